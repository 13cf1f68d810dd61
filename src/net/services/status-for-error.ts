import { DicomError } from '../../dicom/errors.js';
import { Status } from '../dimse/status.js';
import { DimseStatusError } from './handlers.js';

/** File-system errors that mean "no room": the peer may retry later (PS3.4 B.2.3: A7xx). */
const OUT_OF_RESOURCES = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'ENOMEM']);

/**
 * The one place that turns an error inside a service into the DIMSE status the peer gets
 * (like MONAI Deploy's exception-to-status mapping): a handler's chosen status, out of resources
 * for a full disk, "cannot understand" for a data set we cannot read, processing failure otherwise.
 */
export function statusForError(error: unknown, operation: 'store' | 'query'): number {
  if (error instanceof DimseStatusError) return error.status;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && OUT_OF_RESOURCES.has(code)) {
    return operation === 'store' ? Status.OutOfResources : Status.OutOfResourcesSubOperations;
  }
  if (error instanceof DicomError) {
    return operation === 'store' ? Status.CannotUnderstand : Status.IdentifierDoesNotMatchSopClass;
  }
  return operation === 'store' ? Status.ProcessingFailure : Status.UnableToProcess;
}

/** A short comment for the response (Error Comment is LO: 64 characters, PS3.7 C.4). */
export function commentForError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/[\\\r\n]/g, ' ').slice(0, 64);
}
