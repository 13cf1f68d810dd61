import { DimseStatusError } from '../net/services/handlers.js';
import { Status } from '../net/dimse/status.js';

/**
 * Stable codes of the receive path's refusals. Each carries the DIMSE status the sender gets
 * (status-for-error.ts reads it from DimseStatusError), and a message that names the attribute.
 */
export type ReceiveErrorCode =
  /** The data set does not parse as DICOM (PS3.4 B.2.3: C000, cannot understand). */
  | 'UNREADABLE_DATASET'
  /** A UID the index and the path need is missing or empty (C000). */
  | 'MISSING_UID'
  /** The data set's SOP Class or Instance UID differs from the C-STORE request's (A900). */
  | 'UID_MISMATCH'
  /** The disk is above the hard limit or below the free-space floor (A700, out of resources). */
  | 'DISK_FULL'
  /** The receiver is shutting down and takes no new objects (A700: the sender retries later). */
  | 'SHUTTING_DOWN';

const STATUS_OF: Readonly<Record<ReceiveErrorCode, number>> = {
  UNREADABLE_DATASET: Status.CannotUnderstand,
  MISSING_UID: Status.CannotUnderstand,
  UID_MISMATCH: Status.DataSetDoesNotMatchSopClass,
  DISK_FULL: Status.OutOfResources,
  SHUTTING_DOWN: Status.OutOfResources,
};

export class ReceiveError extends DimseStatusError {
  readonly code: ReceiveErrorCode;
  constructor(code: ReceiveErrorCode, message: string, options?: { cause?: unknown }) {
    super(STATUS_OF[code], message, options);
    this.name = 'ReceiveError';
    this.code = code;
  }
}
