import { Dataset, EXPLICIT_LITTLE, type DatasetEncoding, type ValueElement } from '../dataset.js';
import { DicomError } from '../errors.js';
import { makeTag, TRANSFER_SYNTAX_UID, type Tag } from '../tag.js';
import { deflateSync } from 'fflate';
import { transferSyntaxOf, type TransferSyntax } from '../transfer-syntax.js';
import type { VR } from '../vr.js';
import { byteLength, encodeDataset, type EncodeOptions } from './encode.js';

/** Our implementation identity in the file meta (PS3.7 D.3.3.2; a UUID-derived 2.25 UID, PS3.5 B.2). */
export const IMPLEMENTATION_CLASS_UID = '2.25.173934624012749392553298226591573410619';
export const IMPLEMENTATION_VERSION_NAME = 'NIFFLER_0_1';

const META_GROUP_LENGTH = makeTag(0x0002, 0x0000);
const META_VERSION = makeTag(0x0002, 0x0001);
const MEDIA_SOP_CLASS = makeTag(0x0002, 0x0002);
const MEDIA_SOP_INSTANCE = makeTag(0x0002, 0x0003);
const IMPLEMENTATION_CLASS = makeTag(0x0002, 0x0012);
const IMPLEMENTATION_VERSION = makeTag(0x0002, 0x0013);
const SOP_CLASS_UID = makeTag(0x0008, 0x0016);
const SOP_INSTANCE_UID = makeTag(0x0008, 0x0018);

/** The transfer syntaxes the writer can encode a dataset in (others are copied, not converted). */
const WRITABLE: Readonly<Record<string, DatasetEncoding>> = {
  '1.2.840.10008.1.2': { explicitVR: false, littleEndian: true },
  '1.2.840.10008.1.2.1': EXPLICIT_LITTLE,
  '1.2.840.10008.1.2.1.99': EXPLICIT_LITTLE,
};

export interface Part10Options extends EncodeOptions {
  /** Transfer syntax of the output. Default: the one the dataset was read in (`sourceTransferSyntaxUid`). */
  readonly transferSyntaxUid?: string | undefined;
  /** The transfer syntax the dataset is encoded in now. */
  readonly sourceTransferSyntaxUid: string;
  /**
   * 'preserve' keeps the meta elements as they were (group length recomputed), so a file comes
   * back byte-identical; 'rebuild' (default) writes a fresh meta group naming us as implementation,
   * keeping the optional elements such as Source Application Entity Title.
   */
  readonly meta?: 'preserve' | 'rebuild' | undefined;
  /** The original 128-byte preamble; zeros by default (PS3.10 7.1). */
  readonly preamble?: Uint8Array | undefined;
}

/**
 * Encodes a Part 10 file (PS3.10 7.1): preamble, 'DICM', the file meta group in explicit VR
 * little endian, then the dataset. Native data can be written as explicit or implicit VR little
 * endian; an encapsulated or deflated dataset is written in its own transfer syntax only.
 */
export function encodePart10(
  meta: Dataset | undefined,
  dataset: Dataset,
  options: Part10Options,
): Uint8Array[] {
  const targetUid = options.transferSyntaxUid ?? options.sourceTransferSyntaxUid;
  const target = transferSyntaxOf(targetUid);
  const encoding = targetEncoding(
    target,
    transferSyntaxOf(options.sourceTransferSyntaxUid),
    dataset,
  );
  const metaParts = encodeMeta(meta, dataset, target.uid, options.meta ?? 'rebuild');
  const preamble = new Uint8Array(132);
  if (options.preamble !== undefined) preamble.set(options.preamble.subarray(0, 128));
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  const body = encodeDataset(dataset, encoding, options);
  // PS3.5 A.5: the deflated syntax is explicit VR little endian, then raw deflate (RFC 1951).
  const data = target.deflated ? [deflateSync(concatParts(body))] : body;
  return [preamble, ...metaParts, ...data];
}

/**
 * The encoding to write in. Native datasets convert freely between the little-endian syntaxes;
 * encapsulated pixel data is never transcoded here, so such a dataset keeps its own syntax.
 */
function targetEncoding(
  target: TransferSyntax,
  source: TransferSyntax,
  dataset: Dataset,
): DatasetEncoding {
  if (target.uid === source.uid) {
    return { explicitVR: target.explicitVR, littleEndian: target.littleEndian };
  }
  const encoding = WRITABLE[target.uid];
  const hasEncapsulated = [...dataset.elements.values()].some((e) => e.kind === 'encapsulated');
  if (encoding === undefined || (source.encapsulated && hasEncapsulated)) {
    throw new DicomError(
      'UNSUPPORTED_TRANSFER_SYNTAX',
      `cannot write a dataset read as ${source.uid} in transfer syntax ${target.uid}`,
    );
  }
  return encoding;
}

function concatParts(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(byteLength(parts));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function encodeMeta(
  original: Dataset | undefined,
  dataset: Dataset,
  transferSyntaxUid: string,
  mode: 'preserve' | 'rebuild',
): Uint8Array[] {
  const meta = new Dataset(EXPLICIT_LITTLE);
  if (mode === 'preserve' && original !== undefined) {
    for (const element of original.elements.values()) {
      if (element.tag !== META_GROUP_LENGTH) meta.elements.set(element.tag, element);
    }
    if (!meta.has(TRANSFER_SYNTAX_UID) || uidOf(meta, TRANSFER_SYNTAX_UID) !== transferSyntaxUid) {
      set(meta, TRANSFER_SYNTAX_UID, 'UI', uidBytes(transferSyntaxUid));
    }
  } else {
    set(meta, META_VERSION, 'OB', new Uint8Array([0x00, 0x01]));
    set(
      meta,
      MEDIA_SOP_CLASS,
      'UI',
      uidBytes(uidOf(dataset, SOP_CLASS_UID) ?? uidOf(original, MEDIA_SOP_CLASS) ?? ''),
    );
    set(
      meta,
      MEDIA_SOP_INSTANCE,
      'UI',
      uidBytes(uidOf(dataset, SOP_INSTANCE_UID) ?? uidOf(original, MEDIA_SOP_INSTANCE) ?? ''),
    );
    set(meta, TRANSFER_SYNTAX_UID, 'UI', uidBytes(transferSyntaxUid));
    set(meta, IMPLEMENTATION_CLASS, 'UI', uidBytes(IMPLEMENTATION_CLASS_UID));
    set(meta, IMPLEMENTATION_VERSION, 'SH', textBytes(IMPLEMENTATION_VERSION_NAME));
    // Optional elements that describe where the file came from stay (PS3.10 7.1).
    for (const element of original?.elements.values() ?? []) {
      if (element.tag > IMPLEMENTATION_VERSION) meta.elements.set(element.tag, element);
    }
  }
  const body = encodeDataset(meta, EXPLICIT_LITTLE);
  const groupLength = new Uint8Array(12);
  const view = new DataView(groupLength.buffer);
  view.setUint16(0, 0x0002, true);
  view.setUint16(2, 0x0000, true);
  groupLength.set([0x55, 0x4c], 4); // 'UL'
  view.setUint16(6, 4, true);
  view.setUint32(8, byteLength(body), true);
  return [groupLength, ...body];
}

function set(meta: Dataset, tag: Tag, vr: VR, bytes: Uint8Array): void {
  const element: ValueElement = {
    kind: 'value',
    tag,
    vr,
    wireVR: vr,
    offset: -1,
    length: bytes.length,
    bytes,
  };
  meta.elements.set(tag, element);
}

function uidOf(dataset: Dataset | undefined, tag: Tag): string | undefined {
  const element = dataset?.get(tag);
  if (element?.kind !== 'value' || element.bytes === undefined) return undefined;
  return String.fromCharCode(...element.bytes).replace(/[\0 ]+$/, '');
}

/** UI values are padded to even length with NUL (PS3.5 6.2). */
export function uidBytes(uid: string): Uint8Array {
  const out = new Uint8Array(uid.length + (uid.length % 2));
  for (let i = 0; i < uid.length; i++) out[i] = uid.charCodeAt(i);
  return out;
}

/** Default-repertoire text padded to even length with a space (PS3.5 6.2). */
export function textBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length + (text.length % 2)).fill(0x20);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export interface FileMetaInfo {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** The AE title of the peer that sent the object (PS3.10 7.1: Source Application Entity Title). */
  readonly sourceAeTitle?: string | undefined;
}

/**
 * Preamble, 'DICM' and a file meta group for a dataset that is written as received (PS3.10 7.1):
 * the receiver puts these bytes in front of the data set bytes of a C-STORE, unchanged.
 */
export function encodeFileMetaHeader(info: FileMetaInfo): Uint8Array {
  // Written directly: it is made once per received object, and the general path below (three
  // Datasets and the data set encoder) cost 15-45 µs of the receiving thread per object (CPU
  // profile of store-scp). Both give the same bytes (test/dicom/part10.test.ts).
  const elements: [number, 'OB' | 'UI' | 'SH' | 'AE', Uint8Array][] = [
    [0x0001, 'OB', META_VERSION_VALUE],
    [0x0002, 'UI', uidBytes(trimUid(info.sopClassUid))],
    [0x0003, 'UI', uidBytes(trimUid(info.sopInstanceUid))],
    [0x0010, 'UI', uidBytes(info.transferSyntaxUid)],
    [0x0012, 'UI', IMPLEMENTATION_CLASS_VALUE],
    [0x0013, 'SH', IMPLEMENTATION_VERSION_VALUE],
  ];
  if (info.sourceAeTitle !== undefined && info.sourceAeTitle !== '') {
    elements.push([0x0016, 'AE', textBytes(info.sourceAeTitle)]);
  }
  let groupLength = 0;
  for (const [, vr, value] of elements) {
    // A value too long for a 16-bit length takes the general path, which writes it as UN.
    if (vr !== 'OB' && value.length > 0xfffe) return encodeFileMetaHeaderGeneric(info);
    groupLength += (vr === 'OB' ? 12 : 8) + value.length;
  }
  const out = new Uint8Array(132 + 12 + groupLength);
  const view = new DataView(out.buffer);
  out.set(DICM, 128);
  let at = 132;
  const header = (element: number, vr: string): void => {
    view.setUint16(at, 0x0002, true);
    view.setUint16(at + 2, element, true);
    out[at + 4] = vr.charCodeAt(0);
    out[at + 5] = vr.charCodeAt(1);
  };
  header(0x0000, 'UL');
  view.setUint16(at + 6, 4, true);
  view.setUint32(at + 8, groupLength, true);
  at += 12;
  for (const [element, vr, value] of elements) {
    header(element, vr);
    if (vr === 'OB') {
      view.setUint32(at + 8, value.length, true);
      at += 12;
    } else {
      view.setUint16(at + 6, value.length, true);
      at += 8;
    }
    out.set(value, at);
    at += value.length;
  }
  return out;
}

const DICM = new Uint8Array([0x44, 0x49, 0x43, 0x4d]);
const META_VERSION_VALUE = new Uint8Array([0x00, 0x01]);
const IMPLEMENTATION_CLASS_VALUE = uidBytes(IMPLEMENTATION_CLASS_UID);
const IMPLEMENTATION_VERSION_VALUE = textBytes(IMPLEMENTATION_VERSION_NAME);

/** As uidOf() reads a UI value back: without trailing NULs and spaces. */
function trimUid(uid: string): string {
  return uid.replace(/[\0 ]+$/, '');
}

/** encodeFileMetaHeader through the general meta encoder; exported for the test that compares. */
export function encodeFileMetaHeaderGeneric(info: FileMetaInfo): Uint8Array {
  const meta = new Dataset(EXPLICIT_LITTLE);
  if (info.sourceAeTitle !== undefined && info.sourceAeTitle !== '') {
    set(meta, makeTag(0x0002, 0x0016), 'AE', textBytes(info.sourceAeTitle));
  }
  const original = new Dataset(EXPLICIT_LITTLE);
  set(original, MEDIA_SOP_CLASS, 'UI', uidBytes(info.sopClassUid));
  set(original, MEDIA_SOP_INSTANCE, 'UI', uidBytes(info.sopInstanceUid));
  for (const element of meta.elements.values()) original.elements.set(element.tag, element);
  const parts = encodeMeta(
    original,
    new Dataset(EXPLICIT_LITTLE),
    info.transferSyntaxUid,
    'rebuild',
  );
  const out = new Uint8Array(132 + byteLength(parts));
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  let at = 132;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
