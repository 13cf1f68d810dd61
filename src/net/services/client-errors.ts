import type { SubOperations } from '../dimse/command.js';
import { formatStatus } from '../dimse/status.js';
import type { AAssociateRj } from '../pdu/index.js';
import { describeStatus, type DimseOperation } from './status-text.js';

/**
 * Stable codes of what can go wrong on the requestor side. The association is gone after every
 * one of them except DIMSE_FAILURE and NO_PRESENTATION_CONTEXT, which concern one request.
 */
export type DicomClientErrorCode =
  /** The TCP connection could not be made (refused, unreachable, unknown host). */
  | 'CONNECT_FAILED'
  | 'CONNECT_TIMEOUT'
  /** The TLS handshake failed (certificate not trusted, hostname mismatch, no client cert). */
  | 'TLS_FAILED'
  /** No A-ASSOCIATE-AC or -RJ within the association timeout, or no A-RELEASE-RP. */
  | 'ASSOCIATION_TIMEOUT'
  /** A-ASSOCIATE-RJ: `rejection` has the result, source and reason (PS3.8 9.3.4). */
  | 'ASSOCIATION_REJECTED'
  /** A-ABORT from the peer or from us, or the connection closed without release. */
  | 'ASSOCIATION_ABORTED'
  /** No response within the DIMSE timeout: we aborted the association. */
  | 'DIMSE_TIMEOUT'
  /** The request needs a presentation context the peer did not accept. */
  | 'NO_PRESENTATION_CONTEXT'
  /** A response with a failure status (`status`, `errorComment`). */
  | 'DIMSE_FAILURE'
  /** The association was released or aborted before this request. */
  | 'CLOSED';

/** Whether trying again later may help: the peer was busy, away, or slow. */
const RETRYABLE: ReadonlySet<DicomClientErrorCode> = new Set<DicomClientErrorCode>([
  'CONNECT_FAILED',
  'CONNECT_TIMEOUT',
  'ASSOCIATION_TIMEOUT',
  'ASSOCIATION_ABORTED',
  'DIMSE_TIMEOUT',
]);

export interface DicomClientErrorDetails {
  readonly rejection?: Pick<AAssociateRj, 'result' | 'source' | 'reason'> | undefined;
  readonly status?: number | undefined;
  readonly errorComment?: string | undefined;
  /** Sub-operation counts of a failed C-MOVE or C-GET. */
  readonly subOperations?: SubOperations | undefined;
  readonly cause?: unknown;
}

/**
 * A failure of an SCU operation. The message names the peer (`AET@host:port`) and the reason in
 * one line, so a CLI prints it as it is.
 */
export class DicomClientError extends Error {
  readonly code: DicomClientErrorCode;
  /** `AET@host:port` */
  readonly peer: string;
  readonly retryable: boolean;
  readonly rejection: DicomClientErrorDetails['rejection'];
  readonly status: number | undefined;
  readonly errorComment: string | undefined;
  readonly subOperations: SubOperations | undefined;

  constructor(
    code: DicomClientErrorCode,
    peer: string,
    reason: string,
    details: DicomClientErrorDetails = {},
  ) {
    super(`${peer}: ${reason}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DicomClientError';
    this.code = code;
    this.peer = peer;
    this.rejection = details.rejection;
    this.status = details.status;
    this.errorComment = details.errorComment;
    this.subOperations = details.subOperations;
    this.retryable =
      RETRYABLE.has(code) ||
      (code === 'ASSOCIATION_REJECTED' && details.rejection?.result === 'rejected-transient');
  }
}

/** The message for an A-ASSOCIATE-RJ: `association rejected (rejected-permanent, service-user: called-ae-title-not-recognized)`. */
export function rejectionReason(rj: Pick<AAssociateRj, 'result' | 'source' | 'reason'>): string {
  return `association rejected (${String(rj.result)}, ${String(rj.source)}: ${String(rj.reason)})`;
}

/** The error for a response with a failure status. */
export function dimseFailure(
  peer: string,
  operation: DimseOperation,
  status: number,
  errorComment: string | undefined,
  subOperations?: SubOperations,
): DicomClientError {
  const comment = errorComment === undefined || errorComment === '' ? '' : `: ${errorComment}`;
  return new DicomClientError(
    'DIMSE_FAILURE',
    peer,
    `${operation} failed with status ${formatStatus(status)} (${describeStatus(status, operation)})${comment}`,
    { status, errorComment, subOperations },
  );
}
