/** Transfer syntax lists for policies and proposals. */
import { uidsOfType } from '../../dicom/dictionary/index.js';
import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
} from '../../dicom/transfer-syntax.js';

/** PS3.5 10.1: every AE supports Implicit VR Little Endian; Explicit VR Little Endian is common. */
export const UNCOMPRESSED_TRANSFER_SYNTAXES: readonly string[] = Object.freeze([
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
]);

/**
 * Every transfer syntax of PS3.6 that is not retired (the compressed ones included: JPEG,
 * JPEG-LS, JPEG 2000, HTJ2K, JPEG XL, RLE, MPEG, HEVC, deflate...), in UID order. A receiver that
 * stores what it is sent verbatim accepts all of them.
 */
export function standardTransferSyntaxes(): string[] {
  return uidsOfType('Transfer Syntax')
    .filter((entry) => !entry.retired)
    .map((entry) => entry.uid);
}
