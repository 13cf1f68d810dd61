/**
 * The DICOM codec's public surface: parse (incrementally, from chunks), read typed values, write
 * verbatim or converted, dump, and convert to the DICOM JSON model. Pure: no file or socket I/O
 * (src/io reads and writes files with it).
 */
export { DicomParser, parseBuffer } from './parse/index.js';
export type { ParseOptions, ParseResult, ParseWarning } from './parse/index.js';
export {
  Dataset,
  EXPLICIT_BIG,
  EXPLICIT_LITTLE,
  IMPLICIT_LITTLE,
  UNDEFINED_LENGTH,
} from './dataset.js';
export type {
  BulkRef,
  DatasetEncoding,
  Element,
  EncapsulatedElement,
  Fragment,
  Item,
  SequenceElement,
  ValueElement,
} from './dataset.js';
export { DicomError, type DicomErrorCode } from './errors.js';
export * from './tag.js';
export * from './vr.js';
export * from './transfer-syntax.js';
export {
  dictionaryKeywords,
  lookupTag,
  lookupUid,
  tagForKeyword,
  uidForKeyword,
  uidsOfType,
  type TagEntry,
  type UidEntry,
} from './dictionary/index.js';
export { charsetDecoder, charsetEncoder } from './charset/index.js';
export * from './values/index.js';
export { dicomJsonText, toDicomJson } from './json.js';
export { formatDump } from './dump.js';
export { encodeDataset, byteLength, swapBytes, type EncodeOptions } from './write/encode.js';
export {
  encodePart10,
  encodeFileMetaHeader,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  type FileMetaInfo,
  type Part10Options,
} from './write/part10.js';
export { removeElement, setBytes, setNumbers, setStrings } from './write/edit.js';
