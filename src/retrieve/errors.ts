/**
 * Stable codes of what stops a retrieval before or while it runs. A problem with one CSV row is
 * not an error of the run: it is a RowProblem (./cohort/rows.ts), reported or fatal by option.
 */
export type RetrieveErrorCode =
  /** The cohort CSV cannot be read (missing, not UTF-8 text). */
  | 'CSV_UNREADABLE'
  /** The CSV is not CSV (an unterminated quote): the message names the line. */
  | 'CSV_MALFORMED'
  /** The header does not name any usable key column, or the column map does not fit it. */
  | 'CSV_COLUMNS'
  /** Rows are malformed and the run was asked to stop on a bad row (every one is listed). */
  | 'CSV_ROWS'
  /** A retrieval option is wrong (PACS name, window, level, filter...). */
  | 'BAD_OPTION'
  /** `--resume RUN`, pause or cancel name a run the database does not have. */
  | 'RUN_NOT_FOUND'
  /** Another live process is executing this run. */
  | 'RUN_BUSY'
  /** The run was cancelled: it cannot be resumed (start a fresh one). */
  | 'RUN_CANCELLED'
  /** The PACS refused us in a way no retry fixes (unknown AE, unknown move destination...). */
  | 'PACS_REFUSED';

export class RetrieveError extends Error {
  readonly code: RetrieveErrorCode;

  constructor(code: RetrieveErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'RetrieveError';
    this.code = code;
  }
}
