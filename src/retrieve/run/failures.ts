/**
 * How a failed request is handled: transient failures (the PACS busy, away, slow, out of
 * resources) are retried with backoff; permanent ones fail the row or study they concern; fatal
 * ones (the PACS refuses us, or does not know the move destination) stop the run, since every
 * other row would fail the same way, and leave the rows pending for a resume once fixed.
 */
import { Status } from '../../net/dimse/status.js';
import { DicomClientError } from '../../net/services/client-errors.js';
import { QueryKeyError } from '../../net/services/query-identifier.js';

export type FailureKind = 'transient' | 'permanent' | 'fatal';

/** DIMSE failure statuses that no other row would escape (PS3.4 C.4.2.1.5, PS3.7 C.5). */
const FATAL_STATUSES = new Set<number>([
  Status.MoveDestinationUnknown,
  Status.RefusedSopClassNotSupported,
  Status.RefusedNotAuthorized,
]);

export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof QueryKeyError) return 'permanent';
  if (!(error instanceof DicomClientError)) return 'fatal';
  switch (error.code) {
    case 'DIMSE_FAILURE': {
      const status = error.status ?? 0;
      if (FATAL_STATUSES.has(status)) return 'fatal';
      // A7xx: refused, out of resources (PS3.4 C.4.1.1.4, C.4.2.1.5).
      if (status >= 0xa700 && status <= 0xa7ff) return 'transient';
      return 'permanent';
    }
    case 'NO_PRESENTATION_CONTEXT':
    case 'TLS_FAILED':
      return 'fatal';
    case 'ASSOCIATION_REJECTED':
      return error.retryable ? 'transient' : 'fatal';
    default:
      return error.retryable ? 'transient' : 'permanent';
  }
}

export interface RetryPolicy {
  /** Attempts in all (1 = no retry). */
  readonly maxAttempts: number;
  /** Wait after the first failed attempt; it doubles for each further one. */
  readonly baseMs: number;
  readonly maxMs: number;
}

/** The wait after `attempt` failed attempts (1-based): base * 2^(attempt-1), capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
}

/** A fatal failure: the run stops, with this message. */
export class FatalRunError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'FatalRunError';
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An error message as progress output and retry announcements show it: without the Error Comment
 * a PACS may add after a DIMSE failure's status (free text, which some PACS fill with the
 * patient's ID or name; see dimseFailure), and without control characters. report.csv keeps the
 * whole text.
 */
export function loggableError(message: string): string {
  return (
    message
      .replace(/( failed with status [0-9A-F]{4} \([^)]*\)): [\s\S]*$/, '$1')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
  );
}
