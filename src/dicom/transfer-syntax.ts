/**
 * Transfer syntaxes as the parser and writer need them: how the dataset is encoded (PS3.5 10).
 */
export interface TransferSyntax {
  readonly uid: string;
  /** Explicit VR (PS3.5 7.1.2) or implicit VR (7.1.3). */
  readonly explicitVR: boolean;
  readonly littleEndian: boolean;
  /** The whole dataset after the file meta group is deflated (PS3.5 A.5). */
  readonly deflated: boolean;
  /** Pixel Data is encapsulated in fragments (PS3.5 A.4). */
  readonly encapsulated: boolean;
}

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
/** Encapsulated Uncompressed Explicit VR Little Endian (PS3.5 A.4.11): fragments, no compression. */
export const ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.98';

const NATIVE: Readonly<Record<string, TransferSyntax>> = {
  [IMPLICIT_VR_LITTLE_ENDIAN]: syntax(IMPLICIT_VR_LITTLE_ENDIAN, false, true, false, false),
  [EXPLICIT_VR_LITTLE_ENDIAN]: syntax(EXPLICIT_VR_LITTLE_ENDIAN, true, true, false, false),
  [EXPLICIT_VR_BIG_ENDIAN]: syntax(EXPLICIT_VR_BIG_ENDIAN, true, false, false, false),
  [DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN]: syntax(
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    true,
    true,
    true,
    false,
  ),
  // JPIP Referenced Deflate (PS3.5 A.6): deflated dataset, pixel data referenced by URL.
  '1.2.840.10008.1.2.4.95': syntax('1.2.840.10008.1.2.4.95', true, true, true, false),
  // JPIP Referenced (A.6) and the non-image "Papyrus 3 implicit" style: explicit LE, not encapsulated.
  '1.2.840.10008.1.2.4.94': syntax('1.2.840.10008.1.2.4.94', true, true, false, false),
};

function syntax(
  uid: string,
  explicitVR: boolean,
  littleEndian: boolean,
  deflated: boolean,
  encapsulated: boolean,
): TransferSyntax {
  return { uid, explicitVR, littleEndian, deflated, encapsulated };
}

/**
 * Every other transfer syntax of the standard (JPEG, JPEG-LS, JPEG 2000, HTJ2K, RLE, MPEG, HEVC,
 * encapsulated uncompressed, SMPTE 2110...) is explicit VR little endian with encapsulated pixel
 * data (PS3.5 A.4); an unknown private UID is read the same way, which is what DCMTK and pydicom
 * do with compressed syntaxes they do not know.
 */
export function transferSyntaxOf(uid: string): TransferSyntax {
  const clean = uid.replace(/[\0 ]+$/, '');
  return NATIVE[clean] ?? syntax(clean, true, true, false, true);
}

export function isNativeTransferSyntax(uid: string): boolean {
  return !transferSyntaxOf(uid).encapsulated;
}
