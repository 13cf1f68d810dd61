/** Fixed values of association negotiation (PS3.7 Annex A and D, PS3.8 9.3). */
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../dicom/write/part10.js';

/** The DICOM Application Context Name (PS3.7 A.2.1), the only one defined. */
export const APPLICATION_CONTEXT_NAME = '1.2.840.10008.3.1.1.1';

/** Protocol version 1: bit 0 of the field (PS3.8 9.3.2). */
export const PROTOCOL_VERSION = 1;

/** Presentation context IDs are odd integers 1-255 (PS3.8 9.3.2.2): at most 128 contexts. */
export const MAX_PRESENTATION_CONTEXTS = 128;

/** Our implementation identity (PS3.7 D.3.3.2), the same as in the files we write. */
export { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME };

/** PS3.7 D.3.3.3: without the item, each side invokes and performs one operation at a time. */
export const NO_ASYNC_OPERATIONS = Object.freeze({
  maxOperationsInvoked: 1,
  maxOperationsPerformed: 1,
});
