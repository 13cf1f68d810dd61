import { Status, statusCategory } from '../dimse/status.js';

export type DimseOperation = 'C-ECHO' | 'C-STORE' | 'C-FIND' | 'C-MOVE' | 'C-GET';

/** Meanings that do not depend on the service (PS3.7 Annex C). */
const GENERAL: ReadonlyMap<number, string> = new Map<number, string>([
  [Status.Success, 'Success'],
  [Status.Pending, 'Pending'],
  [Status.PendingWarning, 'Pending, optional keys not supported'],
  [Status.Cancel, 'Cancel'],
  [0x0001, 'Warning: requested optional attributes are not supported'],
  [Status.AttributeListError, 'Warning: attribute list error'],
  [Status.AttributeValueOutOfRange, 'Warning: attribute value out of range'],
  [Status.RefusedSopClassNotSupported, 'Refused: SOP class not supported'],
  [Status.RefusedNotAuthorized, 'Refused: not authorized'],
  [Status.DuplicateInvocation, 'Duplicate invocation'],
  [Status.UnrecognizedOperation, 'Unrecognized operation'],
  [Status.MistypedArgument, 'Mistyped argument'],
  [Status.ProcessingFailure, 'Processing failure'],
  [Status.DuplicateSopInstance, 'Duplicate SOP instance'],
  [0x0112, 'No such SOP instance'],
  [0x0117, 'Invalid SOP instance'],
  [Status.NoSuchSopClass, 'No such SOP class'],
  [0x0119, 'Class-instance conflict'],
]);

/** Meanings of C-STORE statuses (PS3.4 B.2.3). */
const STORE: ReadonlyMap<number, string> = new Map<number, string>([
  [Status.CoercionOfDataElements, 'Warning: coercion of data elements'],
  [Status.ElementsDiscarded, 'Warning: elements discarded'],
  [Status.DataSetDoesNotMatchSopClassWarning, 'Warning: data set does not match SOP class'],
  [Status.DataSetDoesNotMatchSopClass, 'Error: data set does not match SOP class'],
]);

/** Meanings of C-FIND, C-MOVE and C-GET statuses (PS3.4 C.4.1.1.4, C.4.2.1.5, C.4.3.1.4). */
const QUERY: ReadonlyMap<number, string> = new Map<number, string>([
  [
    Status.SubOperationsCompleteWithFailures,
    'Warning: sub-operations complete, one or more failures',
  ],
  [Status.OutOfResourcesNumberOfMatches, 'Refused: out of resources, unable to calculate matches'],
  [
    Status.OutOfResourcesSubOperations,
    'Refused: out of resources, unable to perform sub-operations',
  ],
  [Status.MoveDestinationUnknown, 'Refused: move destination unknown'],
  [Status.IdentifierDoesNotMatchSopClass, 'Error: identifier does not match SOP class'],
]);

/** A short English meaning of `status` for `operation`, for messages and logs. */
export function describeStatus(status: number, operation: DimseOperation): string {
  const specific = operation === 'C-STORE' ? STORE : QUERY;
  const known = specific.get(status) ?? GENERAL.get(status);
  if (known !== undefined) return known;
  // Ranges the standard gives to implementations (PS3.4 B.2.3, C.4.1.1.4).
  if (status >= 0xa700 && status <= 0xa7ff) return 'Refused: out of resources';
  if (status >= 0xa900 && status <= 0xa9ff) return 'Error: data set does not match SOP class';
  if (status >= 0xc000 && status <= 0xcfff) {
    return operation === 'C-STORE' ? 'Error: cannot understand' : 'Failed: unable to process';
  }
  switch (statusCategory(status)) {
    case 'warning':
      return 'Warning';
    case 'failure':
      return 'Failure';
    default:
      return statusCategory(status);
  }
}
