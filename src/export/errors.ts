/**
 * Stable codes of the errors export raises. Per-file problems are not errors of the run: they
 * become one row of failures.csv with a FailureReason (failures.ts). These are the errors that
 * stop a run before it starts or that a caller must act on.
 */
export type ExportErrorCode =
  | 'NO_KEY' // no pseudonym key in the configuration or the environment
  | 'BAD_KEY' // a key too short to be a secret
  | 'BAD_OPTIONS' // an option value the exporter cannot use (bits, level, featureset file...)
  | 'RESUME_MISMATCH' // the output folder was started with other options or another key
  | 'NO_INPUT' // an input path that does not exist
  | 'WORKER_FAILED'; // a worker thread died (a bug, or out of memory)

export class ExportError extends Error {
  readonly code: ExportErrorCode;

  constructor(code: ExportErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'ExportError';
    this.code = code;
  }
}
