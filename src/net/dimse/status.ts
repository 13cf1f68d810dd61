/**
 * DIMSE status codes (PS3.7 Annex C and the service class sections of PS3.4) by name, so call
 * sites never carry protocol literals.
 */
export const Status = {
  Success: 0x0000,
  Pending: 0xff00,
  /** C-FIND pending with optional keys not supported (PS3.4 C.4.1.1.4). */
  PendingWarning: 0xff01,
  Cancel: 0xfe00,
  /** C-STORE warnings (PS3.4 B.2.3). */
  CoercionOfDataElements: 0xb000,
  ElementsDiscarded: 0xb006,
  DataSetDoesNotMatchSopClassWarning: 0xb007,
  /** C-MOVE / C-GET: sub-operations complete, one or more failures or warnings (PS3.4 C.4.2.1.5). */
  SubOperationsCompleteWithFailures: 0xb000,
  /** PS3.7 C.4: general failures and warnings. */
  AttributeListError: 0x0107,
  AttributeValueOutOfRange: 0x0116,
  RefusedSopClassNotSupported: 0x0122,
  RefusedNotAuthorized: 0x0124,
  DuplicateInvocation: 0x0210,
  UnrecognizedOperation: 0x0211,
  MistypedArgument: 0x0212,
  ProcessingFailure: 0x0110,
  DuplicateSopInstance: 0x0111,
  NoSuchSopClass: 0x0118,
  /** PS3.4 B.2.3, C.4.1.1.4, C.4.2.1.5, C.4.3.1.4: refused, out of resources. */
  OutOfResources: 0xa700,
  OutOfResourcesNumberOfMatches: 0xa701,
  OutOfResourcesSubOperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  IdentifierDoesNotMatchSopClass: 0xa900,
  /** C-STORE: data set does not match SOP class (error). */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** 0xC000-0xCFFF: "cannot understand"; we use 0xC000 for a dataset we cannot parse or store. */
  CannotUnderstand: 0xc000,
  /** C-FIND / C-MOVE / C-GET: unable to process (PS3.4 C.4.1.1.4). */
  UnableToProcess: 0xc001,
} as const;

export type StatusCategory = 'success' | 'pending' | 'cancel' | 'warning' | 'failure';

/** The category a status code falls in (PS3.7 C.1-C.3, PS3.4 tables per service). */
export function statusCategory(code: number): StatusCategory {
  if (code === Status.Success) return 'success';
  if (code === Status.Pending || code === Status.PendingWarning) return 'pending';
  if (code === Status.Cancel) return 'cancel';
  if (
    code === 0x0001 ||
    code === Status.AttributeListError ||
    code === Status.AttributeValueOutOfRange ||
    (code >= 0xb000 && code <= 0xbfff)
  ) {
    return 'warning';
  }
  return 'failure';
}

/** `0xA700` -> `A700`: how dumps and DCMTK print statuses. */
export function formatStatus(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}
