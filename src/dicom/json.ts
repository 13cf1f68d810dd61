/**
 * The DICOM JSON Model (PS3.18 F.2): a dataset as the JSON object DICOMweb exchanges.
 *
 * Choices where the standard leaves room (PS3.18 2025):
 * - Every element of the dataset is included, in ascending tag order (F.2.2), except Group
 *   Length (gggg,0000) elements, which F.2.2 excludes, at every level. File meta elements are
 *   included when the caller passes a dataset that holds them.
 * - DS and IS values are JSON numbers (F.2.3 "Number or String"). A value that is not a finite
 *   number ('abc', '1e400') stays a JSON string and is reported through `onWarning`.
 * - SV and UV values are numbers while they are safe integers (|v| <= 2^53 - 1), decimal strings
 *   beyond (F.2.3 note: a string avoids losing precision).
 * - FL values are written with the fewest digits that read back as the same 32-bit float (9.7,
 *   not 9.699999809265137; dcm2json writes 9 significant digits, 9.69999981).
 * - FL/FD values that are NaN or infinite have no JSON number: they are the strings 'NaN',
 *   'Infinity', '-Infinity', reported through `onWarning`.
 * - PN component groups lose their trailing '^' delimiters; a group with no component text
 *   ('^^^^') is absent, a value with no group is empty.
 * - An empty value inside a multi-valued element is null (F.2.5); an element with an empty value
 *   field (or only padding, or a PN with no group) has no "Value" key.
 * - InlineBinary holds the value field in little endian order (F.2.7 applies the PS3.5 rules; as
 *   DICOMweb bulk data, it is little endian whatever the dataset's byte order). Encapsulated
 *   Pixel Data is its value field as encoded: the items (Basic Offset Table first) and the
 *   sequence delimiter.
 * - A binary value (OB OD OF OL OV OW UN, encapsulated pixel data) longer than
 *   `bulkDataThreshold` bytes, or one not in memory (`element.bulk`), gets the BulkDataURI the
 *   callback returns; when the callback returns undefined (or there is none) the whole attribute
 *   is left out, so that a missing key never reads as an empty value. Other VRs left out as bulk
 *   data get a BulkDataURI only where F.2.2 allows one (DS FL FD IS LT SL SS ST SV UC UL US UT
 *   UV); for the rest the attribute is left out and reported.
 * - A value that cannot be read at all (a US of odd length...) leaves the attribute out and is
 *   reported.
 */
import type { Dataset, Element, EncapsulatedElement, ValueElement } from './dataset.js';
import { tagHex, type Tag } from './tag.js';
import {
  isEmptyPersonName,
  littleEndianBytes,
  readValue,
  shortestFloat32,
  valueIsLittleEndian,
  type DicomValue,
  type PersonName,
} from './values/index.js';
import type { VR } from './vr.js';

export interface DicomJsonPersonName {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

export type DicomJsonValue = string | number | DicomJsonPersonName | DicomJsonDataset | null;

export interface DicomJsonAttribute {
  vr: VR;
  Value?: DicomJsonValue[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

export type DicomJsonDataset = { [tag: string]: DicomJsonAttribute };

/**
 * Where an element sits: the tags of the enclosing sequences alternating with the (0-based) item
 * index, then the element's tag: [0x00081115, 0, 0x00081199, 2, 0x00081155].
 */
export type ElementPath = readonly number[];

export interface DicomJsonWarning {
  readonly path: ElementPath;
  readonly tag: Tag;
  readonly message: string;
}

export interface DicomJsonOptions {
  /** Largest binary value, in bytes, written inline as base64 (default 1024). */
  readonly bulkDataThreshold?: number;
  /**
   * The BulkDataURI for a value not written inline (a value element, or encapsulated pixel data
   * whose fragments may be left out one by one); undefined leaves the attribute out.
   */
  readonly bulkDataUri?: (
    element: ValueElement | EncapsulatedElement,
    path: ElementPath,
  ) => string | undefined;
  /** Told about every value that could not be represented as the standard says. */
  readonly onWarning?: (warning: DicomJsonWarning) => void;
}

/** Binary VRs whose value is InlineBinary or BulkDataURI, never "Value" (F.2.2). */
const INLINE_BINARY_VRS: ReadonlySet<VR> = new Set<VR>(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** VRs F.2.2 allows a BulkDataURI for. */
const BULK_DATA_VRS: ReadonlySet<VR> = new Set<VR>([
  'DS',
  'FL',
  'FD',
  'IS',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SL',
  'SS',
  'ST',
  'SV',
  'UC',
  'UL',
  'UN',
  'US',
  'UT',
  'UV',
]);

const DEFAULT_THRESHOLD = 1024;

/**
 * Attribute names by tag, made once: the same few hundred tags come back in every header, and
 * a name that is already an internalized string makes the property store cheap (formatting and
 * interning it anew was a fifth of this module's time in the receiver's profile). Bounded, since
 * a stream of private tags could otherwise grow it without end.
 */
const TAG_NAMES = new Map<Tag, string>();
const MAX_TAG_NAMES = 65_536;

function tagName(tag: Tag): string {
  let name = TAG_NAMES.get(tag);
  if (name === undefined) {
    name = tagHex(tag);
    if (TAG_NAMES.size < MAX_TAG_NAMES) TAG_NAMES.set(tag, name);
  }
  return name;
}

/** The dataset as a DICOM JSON Model object (see the module comment for the rules). */
export function toDicomJson(dataset: Dataset, options: DicomJsonOptions = {}): DicomJsonDataset {
  return datasetToJson(dataset, [], options);
}

/**
 * The JSON text of a DICOM JSON Model object: what JSON.stringify returns, character for
 * character (keys in the same order: for...in follows it), written by a function that knows the
 * shape instead of inspecting every value. 1.6x JSON.stringify's speed on a CT header.
 */
export function dicomJsonText(json: DicomJsonDataset): string {
  let out = '{';
  let first = true;
  for (const key in json) {
    const attribute = json[key]!;
    // Keys are tags and VRs are two capital letters: nothing to escape.
    out += `${first ? '' : ','}"${key}":{"vr":"${attribute.vr}"`;
    first = false;
    const values = attribute.Value;
    if (values !== undefined) {
      out += ',"Value":[';
      for (let i = 0; i < values.length; i++) {
        if (i > 0) out += ',';
        const value = values[i]!;
        if (typeof value === 'number') out += Number.isFinite(value) ? String(value) : 'null';
        else if (value === null) out += 'null';
        else if (attribute.vr === 'SQ') out += dicomJsonText(value as DicomJsonDataset);
        else out += JSON.stringify(value);
      }
      out += ']';
    }
    if (attribute.InlineBinary !== undefined) out += `,"InlineBinary":"${attribute.InlineBinary}"`;
    if (attribute.BulkDataURI !== undefined) {
      out += `,"BulkDataURI":${JSON.stringify(attribute.BulkDataURI)}`;
    }
    out += '}';
  }
  return `${out}}`;
}

function datasetToJson(
  dataset: Dataset,
  path: ElementPath,
  options: DicomJsonOptions,
): DicomJsonDataset {
  const json: DicomJsonDataset = {};
  for (const element of dataset.sorted()) {
    if ((element.tag & 0xffff) === 0) continue; // Group Length
    const attribute = elementToJson(dataset, element, path, options);
    if (attribute !== undefined) json[tagName(element.tag)] = attribute;
  }
  return json;
}

/**
 * One attribute. `parent` is the path of the enclosing dataset: the element's own path is made
 * only when a callback needs it (a new array per element was a tenth of this module's time).
 */
function elementToJson(
  dataset: Dataset,
  element: Element,
  parent: ElementPath,
  options: DicomJsonOptions,
): DicomJsonAttribute | undefined {
  const { vr } = element;
  const threshold = options.bulkDataThreshold ?? DEFAULT_THRESHOLD;
  if (element.kind === 'sequence') {
    if (element.items.length === 0) return { vr };
    const path = [...parent, element.tag];
    return {
      vr,
      Value: element.items.map((item, index) =>
        datasetToJson(item.dataset, [...path, index], options),
      ),
    };
  }
  if (element.kind === 'encapsulated') {
    const fragments: Uint8Array[] = [];
    for (const fragment of element.fragments) {
      if (fragment.bytes === undefined) return bulk(element, parent, options);
      fragments.push(fragment.bytes);
    }
    const size = fragments.reduce((sum, bytes) => sum + 8 + bytes.length, 8);
    if (size > threshold) return bulk(element, parent, options);
    return { vr, InlineBinary: base64(encapsulatedValueField(fragments, size)) };
  }
  if (element.bytes === undefined && element.bulk !== undefined) {
    if (BULK_DATA_VRS.has(vr)) return bulk(element, parent, options);
    warn(
      options,
      parent,
      element,
      `a ${vr} value left out as bulk data cannot be a BulkDataURI: attribute left out`,
    );
    return undefined;
  }
  if (INLINE_BINARY_VRS.has(vr)) {
    const length = element.bytes?.length ?? 0;
    if (length === 0) return { vr };
    if (length > threshold) return bulk(element, parent, options);
    return { vr, InlineBinary: base64(littleEndianBytes(dataset, element)) };
  }

  let values = numericValues(dataset, element, parent, options);
  if (values === undefined) {
    const value = readValue(dataset, element, { lenient: true });
    if (value.warning !== undefined) warn(options, parent, element, value.warning);
    values = jsonValues(value, (message) => warn(options, parent, element, message));
    if (values === undefined) return undefined;
  }
  // A single empty value ('=' for a PN) is an empty attribute; several keep their nulls (F.2.5).
  return values.length === 0 || (values.length === 1 && values[0] === null)
    ? { vr }
    : { vr, Value: values };
}

function warn(
  options: DicomJsonOptions,
  parent: ElementPath,
  element: Element,
  message: string,
): void {
  options.onWarning?.({ path: [...parent, element.tag], tag: element.tag, message });
}

/** The attribute as a BulkDataURI, or left out when the callback gives none. */
function bulk(
  element: ValueElement | EncapsulatedElement,
  parent: ElementPath,
  options: DicomJsonOptions,
): DicomJsonAttribute | undefined {
  const uri = options.bulkDataUri?.(element, [...parent, element.tag]);
  return uri === undefined ? undefined : { vr: element.vr, BulkDataURI: uri };
}

/*
 * The numbers of a US SS UL SL FL FD value, read from its bytes through one 8-byte scratch
 * buffer. These are most of a header's binary elements, usually one or two numbers at an odd
 * offset in a network chunk, where readBinary must allocate an aligned copy for each.
 */
const SCRATCH = new Uint8Array(8);
const SCRATCH_VIEWS: Readonly<Partial<Record<VR, ArrayLike<number>>>> = {
  US: new Uint16Array(SCRATCH.buffer, 0, 1),
  SS: new Int16Array(SCRATCH.buffer, 0, 1),
  UL: new Uint32Array(SCRATCH.buffer, 0, 1),
  SL: new Int32Array(SCRATCH.buffer, 0, 1),
  FL: new Float32Array(SCRATCH.buffer, 0, 1),
  FD: new Float64Array(SCRATCH.buffer, 0, 1),
};
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** undefined when the element is not one of those VRs or its length is not a whole count. */
function numericValues(
  dataset: Dataset,
  element: ValueElement,
  parent: ElementPath,
  options: DicomJsonOptions,
): DicomJsonValue[] | undefined {
  const view = SCRATCH_VIEWS[element.vr];
  const bytes = element.bytes;
  if (view === undefined || bytes === undefined) return undefined;
  const width = (view as Uint8Array).BYTES_PER_ELEMENT;
  if (bytes.length % width !== 0) return undefined; // readValue reports it
  const swap = valueIsLittleEndian(dataset, element) !== HOST_LITTLE_ENDIAN;
  const numbers: DicomJsonValue[] = [];
  for (let at = 0; at < bytes.length; at += width) {
    for (let k = 0; k < width; k++) SCRATCH[swap ? width - 1 - k : k] = bytes[at + k]!;
    numbers.push(
      jsonNumber(element.vr, view[0]!, (message) => warn(options, parent, element, message)),
    );
  }
  return numbers;
}

/** A binary number as JSON: FL at its shortest, NaN and infinities as strings (reported). */
function jsonNumber(vr: VR, entry: number, onWarning: (message: string) => void): DicomJsonValue {
  if (!Number.isFinite(entry)) {
    onWarning(`${vr} value ${entry} is not a JSON number: written as a string`);
    return String(entry);
  }
  return vr === 'FL' ? shortestFloat32(entry) : entry;
}

/** The "Value" array of a non-binary, non-sequence value; undefined when it has no JSON form. */
function jsonValues(
  value: DicomValue,
  warn: (message: string) => void,
): DicomJsonValue[] | undefined {
  switch (value.kind) {
    case 'strings':
      // A DS/IS/DA... that did not parse (lenient fallback) stays a string.
      return value.values.map((text) => (text === '' ? null : text));
    case 'numbers':
      return value.values;
    case 'dates':
    case 'times':
    case 'datetimes':
      return value.values.map((entry) => entry?.text ?? null);
    case 'person-names':
      return value.values.map(personNameToJson);
    case 'tags':
      return value.values.map(tagHex);
    case 'binary': {
      if (value.warning !== undefined) {
        warn(`${value.vr} value unreadable: attribute left out`);
        return undefined;
      }
      const numbers: DicomJsonValue[] = [];
      for (const entry of value.values) {
        if (typeof entry === 'bigint') {
          numbers.push(
            entry <= BigInt(Number.MAX_SAFE_INTEGER) && entry >= BigInt(Number.MIN_SAFE_INTEGER)
              ? Number(entry)
              : entry.toString(),
          );
        } else {
          numbers.push(jsonNumber(value.vr, entry, warn));
        }
      }
      return numbers;
    }
    case 'sequence':
      // An SQ kept as a value element: empty (a non-empty one reads as malformed binary).
      return [];
    default:
      // Sequence elements, encapsulated pixel data and bulk data are handled by the caller.
      return undefined;
  }
}

function personNameToJson(name: PersonName): DicomJsonPersonName | null {
  if (isEmptyPersonName(name)) return null;
  const json: DicomJsonPersonName = {};
  // Trailing component delimiters are insignificant (PS3.5 6.2.1.1): 'Doe^John^' is 'Doe^John'.
  if (name.alphabetic) json.Alphabetic = name.alphabetic.text.replace(/\^+$/, '');
  if (name.ideographic) json.Ideographic = name.ideographic.text.replace(/\^+$/, '');
  if (name.phonetic) json.Phonetic = name.phonetic.text.replace(/\^+$/, '');
  return json;
}

/** The value field of encapsulated pixel data: items then the sequence delimiter, little endian. */
function encapsulatedValueField(fragments: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const bytes of fragments) {
    view.setUint16(at, 0xfffe, true);
    view.setUint16(at + 2, 0xe000, true);
    view.setUint32(at + 4, bytes.length, true);
    out.set(bytes, at + 8);
    at += 8 + bytes.length;
  }
  view.setUint16(at, 0xfffe, true);
  view.setUint16(at + 2, 0xe0dd, true);
  view.setUint32(at + 4, 0, true);
  return out;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** RFC 4648 base64 with padding (the src/dicom layer stays free of Node's Buffer). */
export function base64(bytes: Uint8Array): string {
  const out: string[] = [];
  let chunk = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk +=
      BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]! + BASE64[(n >>> 6) & 63]! + BASE64[n & 63]!;
    if (chunk.length >= 8192) {
      out.push(chunk);
      chunk = '';
    }
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    chunk += BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    chunk += BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]! + BASE64[(n >>> 6) & 63]! + '=';
  }
  out.push(chunk);
  return out.join('');
}
