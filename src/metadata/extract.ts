/**
 * One featureset's values from a header: `{ key: typed value }`, ready to be stored as a JSON
 * document. Pure. The original converted every falsy value to the string 'NaN' (so a slice
 * thickness of 0 became 'NaN'), turned IS into strings and dropped the whole document whenever a
 * listed attribute was a sequence; the rules here:
 *
 * - An attribute the header lacks has no key (as in the original); one present but empty is null.
 * - One value is a scalar, several are an array (a null for an empty value among them).
 * - DS, IS and the binary numbers (US SS UL SL FL FD SV UV) are JSON numbers; FL values are the
 *   shortest decimal that reads back as the same 32-bit float (9.7, not 9.699999809265137); a 64-bit
 *   integer beyond 2^53 stays a decimal string. A DS or IS that does not parse stays its text.
 * - Text VRs, UIDs, dates and times (DA `20240131`, TM `235959.5`, DT, kept as the DICOM text:
 *   it sorts and range-compares as text) and person names (`DOE^JANE`, the component groups as
 *   written, less empty trailing ones: `Wang^XiaoDong=王^小東`) are strings. Leading zeros stay (`000123` is not `123`).
 * - AT values are `GGGGEEEE` strings.
 * - OB, OW, OF, OD, OL, OV and UN: a value that is printable text (a private attribute read as UN
 *   in implicit VR is usually a string) is that text, only spaces is null; anything else (a
 *   binary zero `00 00` included) is `{ "InlineBinary":
 *   "<base64>" }` (the DICOM JSON spelling, PS3.18 F.2.7). A value the parser left on disk (over
 *   64 KiB) is `{ "BulkDataLength": n }`.
 * - A sequence is flattened, every element of every item: key `<i>_<Sequence>_<Child>` (item
 *   index from 0, as the original's intended scheme), nested `<i>_<Outer>_<j>_<Inner>_<Child>`
 *   (single underscores: the original's double underscore came from its string joining). A
 *   sequence with no item is null.
 * - A private attribute is named by its creator: `SIEMENS MR HEADER:0019xx0B` (featureset.ts),
 *   in the featureset's keys and inside sequences alike; without a creator it is `0019100B`.
 *   Private Creator elements themselves are not flattened (they are in the names).
 */
import type { Dataset, Element, ValueElement } from '../dicom/dataset.js';
import {
  isPrivateCreatorTag,
  isPrivateTag,
  makeTag,
  tagElement,
  tagGroup,
  tagHex,
  type Tag,
} from '../dicom/tag.js';
import {
  parseNumberStrings,
  readBinary,
  readStrings,
  readTags,
  shortestFloat32,
} from '../dicom/values/index.js';
import type { VR } from '../dicom/vr.js';
import { privateKey, publicKey, type Featureset } from './featureset.js';

export type FeatureScalar =
  string | number | null | { readonly InlineBinary: string } | { readonly BulkDataLength: number };
export type FeatureValue = FeatureScalar | FeatureScalar[];
export type FeatureDocument = Record<string, FeatureValue>;

const NUMERIC_BINARY: ReadonlySet<VR> = new Set<VR>([
  'US',
  'SS',
  'UL',
  'SL',
  'FL',
  'FD',
  'SV',
  'UV',
]);

/** The featureset's values found in `dataset` (see the module comment for keys and types). */
export function extractFeatures(dataset: Dataset, featureset: Featureset): FeatureDocument {
  const out: FeatureDocument = {};
  for (const entry of featureset.entries) {
    if (entry.kind === 'unknown') continue;
    if (entry.kind === 'private') {
      const tag = findPrivate(dataset, entry.creator, entry.group, entry.offset);
      const element = tag === undefined ? undefined : dataset.get(tag);
      if (element !== undefined) {
        addElement(out, privateKey(entry.creator, entry.group, entry.offset), dataset, element);
      }
      continue;
    }
    const element = dataset.get(entry.tag);
    if (element === undefined) continue;
    addElement(out, isPrivateTag(entry.tag) ? elementKey(element) : entry.key, dataset, element);
  }
  return out;
}

/** The key of an element inside a flattened sequence (or a private one at the top level). */
export function elementKey(element: Element): string {
  if (!isPrivateTag(element.tag)) return publicKey(element.tag);
  if (isPrivateCreatorTag(element.tag))
    return `PrivateCreator:${tagHex(element.tag).toUpperCase()}`;
  const creator = element.privateCreator?.trim();
  if (creator === undefined || creator === '' || tagElement(element.tag) < 0x1000) {
    return tagHex(element.tag).toUpperCase();
  }
  return privateKey(creator, tagGroup(element.tag), tagElement(element.tag) & 0xff);
}

/** The tag of `creator`'s element `offset` in `group`, wherever the creator's block is. */
function findPrivate(
  dataset: Dataset,
  creator: string,
  group: number,
  offset: number,
): Tag | undefined {
  for (let block = 0x10; block <= 0xff; block++) {
    const element = dataset.get(makeTag(group, block));
    if (element?.kind !== 'value') continue;
    let value: string | undefined;
    try {
      value = readStrings(dataset, element)[0];
    } catch {
      continue;
    }
    if (value?.trim() === creator) return makeTag(group, (block << 8) | offset);
  }
  return undefined;
}

function addElement(out: FeatureDocument, key: string, dataset: Dataset, element: Element): void {
  if (element.kind === 'sequence') {
    if (element.items.length === 0) {
      out[key] = null;
      return;
    }
    flatten(
      out,
      '',
      key,
      element.items.map((item) => item.dataset),
    );
    return;
  }
  out[key] = typedValue(dataset, element);
}

function flatten(out: FeatureDocument, prefix: string, name: string, items: Dataset[]): void {
  items.forEach((item, i) => {
    const itemPrefix = prefix === '' ? `${i}_${name}` : `${prefix}_${i}_${name}`;
    for (const child of item.sorted()) {
      if (isPrivateCreatorTag(child.tag) || tagElement(child.tag) === 0x0000) continue;
      const childName = elementKey(child);
      if (child.kind === 'sequence') {
        if (child.items.length === 0) out[`${itemPrefix}_${childName}`] = null;
        else
          flatten(
            out,
            itemPrefix,
            childName,
            child.items.map((it) => it.dataset),
          );
      } else {
        out[`${itemPrefix}_${childName}`] = typedValue(item, child);
      }
    }
  });
}

/** An element's value as JSON: scalar, array, or null (see the module comment). */
export function typedValue(dataset: Dataset, element: Element): FeatureValue {
  if (element.kind === 'sequence') return null;
  if (element.kind === 'encapsulated') {
    return { BulkDataLength: element.fragments.reduce((n, f) => n + f.length, 0) };
  }
  if (element.bytes === undefined) {
    return element.bulk === undefined ? null : { BulkDataLength: element.bulk.length };
  }
  return oneOrMany(valuesOf(dataset, element));
}

function oneOrMany(values: FeatureScalar[]): FeatureValue {
  if (values.length === 0) return null;
  return values.length === 1 ? values[0]! : values;
}

function valuesOf(dataset: Dataset, element: ValueElement): FeatureScalar[] {
  const { vr } = element;
  if (vr === 'DS' || vr === 'IS') {
    try {
      return parseNumberStrings(readStrings(dataset, element), vr, element);
    } catch {
      return textValues(dataset, element);
    }
  }
  if (vr === 'AT') {
    try {
      return readTags(dataset, element).map((tag) => tagHex(tag).toUpperCase());
    } catch {
      return binaryValue(element);
    }
  }
  if (NUMERIC_BINARY.has(vr)) {
    try {
      const values = readBinary(dataset, element);
      return [...values].map((v: number | bigint) => numberOf(v, vr));
    } catch {
      return binaryValue(element);
    }
  }
  if (
    vr === 'OB' ||
    vr === 'OW' ||
    vr === 'OF' ||
    vr === 'OD' ||
    vr === 'OL' ||
    vr === 'OV' ||
    vr === 'UN'
  ) {
    return binaryValue(element);
  }
  return textValues(dataset, element);
}

function textValues(dataset: Dataset, element: ValueElement): FeatureScalar[] {
  let strings: string[];
  try {
    strings = readStrings(dataset, element);
  } catch {
    return binaryValue(element);
  }
  // PS3.5 6.2.1.1: trailing empty component groups of a PN may be omitted; they are.
  if (element.vr === 'PN') strings = strings.map((s) => s.replace(/=+$/, ''));
  return strings.map((s) => (s === '' ? null : s));
}

function numberOf(value: number | bigint, vr: VR): FeatureScalar {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (!Number.isFinite(value)) return String(value);
  return vr === 'FL' ? shortestFloat32(value) : value;
}

/** Printable text (with its padding removed), or the bytes as base64. */
function binaryValue(element: ValueElement): FeatureScalar[] {
  const bytes = element.bytes ?? new Uint8Array(0);
  if (bytes.length === 0) return [];
  // Only spaces: an empty text. Only NULs (a binary zero, `00 00`): binary, not empty.
  if (bytes.every((byte) => byte === 0x20)) return [];
  if (isPrintable(bytes)) {
    const text = Buffer.from(bytes)
      .toString('latin1')
      .replace(/[\0 ]+$/, '')
      .replace(/^ +/, '');
    return text === '' ? [] : [text];
  }
  return [{ InlineBinary: Buffer.from(bytes).toString('base64') }];
}

/** ASCII graphic characters and spaces (at least one graphic), with trailing NUL or space padding. */
function isPrintable(bytes: Uint8Array): boolean {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0 || bytes[end - 1] === 0x20)) end--;
  if (end === 0) return false;
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}
