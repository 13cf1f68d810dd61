// Our parse result in the oracle's normalized form (see pydicom_dump.py), and the comparison of
// the two.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Dataset, Element, Fragment, ValueElement } from '../../../src/dicom/dataset.js';
import { DicomError } from '../../../src/dicom/errors.js';
import { tagHex } from '../../../src/dicom/tag.js';
import { readStrings, readValue, type DicomValue } from '../../../src/dicom/values/index.js';
import { isVR, type VR } from '../../../src/dicom/vr.js';
import type { Digest, NormalElement, NormalValue, Scalar } from './pydicom.js';

/** VRs whose value is compared as a digest of the bytes (pydicom keeps them as bytes). */
const BYTES_VRS: ReadonlySet<VR> = new Set<VR>(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** Dates and times are compared as text: pydicom 2.3.1 keeps them as str by default. */
const DATE_TIME_VRS: ReadonlySet<VR> = new Set<VR>(['DA', 'DT', 'TM']);

export function digest(bytes: Uint8Array): Digest {
  return { length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The digest of encapsulated Pixel Data as pydicom holds it: every item (tag FFFE,E000, 32-bit
 * length, data), the Basic Offset Table first, without the Sequence Delimitation Item.
 */
export function fragmentsDigest(fragments: readonly Fragment[]): Digest {
  const hash = createHash('sha256');
  let length = 0;
  for (const fragment of fragments) {
    const header = Buffer.alloc(8);
    header.writeUInt16LE(0xfffe, 0);
    header.writeUInt16LE(0xe000, 2);
    header.writeUInt32LE(fragment.length, 4);
    hash.update(header);
    hash.update(fragment.bytes ?? new Uint8Array(0));
    length += 8 + (fragment.bytes?.length ?? 0);
  }
  return { length, sha256: hash.digest('hex') };
}

/** A number as the oracle prints it: non-finite as text, integers beyond 2^53 as text. */
function normalNumber(value: number | bigint): Scalar {
  if (typeof value === 'bigint') {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : value.toString();
  }
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

function normalValue(value: DicomValue): NormalValue {
  switch (value.kind) {
    case 'strings':
    case 'numbers':
      return [...value.values];
    case 'person-names':
      return value.values.map((name) => name.text);
    case 'tags':
      return value.values.map((tag) => tagHex(tag));
    case 'binary':
      return Array.from(value.values as ArrayLike<number | bigint>, normalNumber);
    case 'dates':
    case 'times':
    case 'datetimes':
    case 'sequence':
    case 'encapsulated':
    case 'bulk':
      throw new Error(`unexpected value kind ${value.kind}`);
  }
}

function readNormal(dataset: Dataset, element: ValueElement, lenient: boolean): NormalValue {
  if (BYTES_VRS.has(element.vr)) return digest(element.bytes ?? new Uint8Array(0));
  if (DATE_TIME_VRS.has(element.vr)) return readStrings(dataset, element);
  return normalValue(readValue(dataset, element, { lenient }));
}

/** Our value, or the lenient one with the strict reader's error when that one refuses it. */
function readBoth(dataset: Dataset, element: ValueElement): { value: NormalValue; error?: string } {
  try {
    return { value: readNormal(dataset, element, false) };
  } catch (error) {
    if (!(error instanceof DicomError)) throw error;
    return { value: readNormal(dataset, element, true), error: `${error.code}: ${error.message}` };
  }
}

/** One of our elements in the oracle's form. */
export interface OurElement extends NormalElement {
  readonly items?: OurElement[][];
  /**
   * Our value read as if the element had this VR (for pydicom's private dictionary VRs); with
   * `swapped`, in the dataset's byte order even if it was encoded as UN (pydicom's way).
   */
  readonly readAs?: (vr: VR, swapped?: boolean) => { value: NormalValue; error?: string };
}

function normalizeElement(dataset: Dataset, element: Element): OurElement {
  const tag = tagHex(element.tag);
  const { vr } = element;
  switch (element.kind) {
    case 'sequence':
      return { tag, vr, items: element.items.map((item) => normalizeDataset(item.dataset)) };
    case 'encapsulated':
      return { tag, vr, value: fragmentsDigest(element.fragments) };
    case 'value': {
      const readAs = (as: VR, swapped = false): { value: NormalValue; error?: string } =>
        readBoth(dataset, { ...element, vr: as, wireVR: swapped ? as : element.wireVR });
      return { tag, vr, ...readBoth(dataset, element), readAs };
    }
  }
}

/** Every element of a dataset in the oracle's form, in tag order. */
export function normalizeDataset(dataset: Dataset): OurElement[] {
  return dataset.sorted().map((element) => normalizeElement(dataset, element));
}

// -----------------------------------------------------------------------------------------------
// Comparison

export type DifferenceField = 'vr' | 'value' | 'missing' | 'extra';

/**
 * Differences that follow from one documented behaviour of the oracle and occur by the thousand
 * are matched by a rule of known-differences.json rather than listed one by one:
 *
 * - 'private-dictionary': a private data element whose VR the file does not give (implicit VR,
 *   or explicit UN). We keep it UN (PS3.5 6.2.2, 7.8: only the private creator knows the VR);
 *   pydicom takes a VR from its own dictionary of private tags. The rule covers only the VR:
 *   our bytes read with pydicom's VR must still give pydicom's value, or a 'value' difference
 *   is reported as well.
 * - 'un-byte-order': the value of such an element in a big endian dataset. pydicom reads the
 *   bytes of an explicit UN element in the dataset's byte order once it has a VR for it; PS3.5
 *   6.2.2 (and its note 2) says a UN value is never byte-swapped, it stays little endian. The
 *   rule holds only when our bytes read in the dataset's byte order give pydicom's value.
 */
export type DifferenceRule = 'private-dictionary' | 'un-byte-order';

/** One way our element differs from the oracle's. */
export interface Difference {
  /** The corpus path (MANIFEST.tsv). */
  readonly path: string;
  /**
   * The tag, with the sequence tags and item indexes above it: `00081140/0/00081155`. Elements
   * of the file meta group start with `meta/`.
   */
  readonly tag: string;
  readonly field: DifferenceField;
  readonly ours: unknown;
  readonly oracle: unknown;
  /** Set when a rule of the fixture, not an entry, accounts for the difference. */
  readonly rule?: DifferenceRule;
}

/** An element in a 'missing' or 'extra' difference: its VR and value (or item count). */
function summary(element: NormalElement): unknown {
  if (element.items !== undefined) return { vr: element.vr, items: element.items.length };
  if (element.error !== undefined) return { vr: element.vr, error: element.error };
  return { vr: element.vr, value: element.value };
}

/** What a value comparison shows of one side. */
function valueOf(element: Pick<NormalElement, 'items' | 'error' | 'value'>): unknown {
  if (element.items !== undefined) return { items: element.items.length };
  if (element.error !== undefined) return { error: element.error, value: element.value };
  return element.value;
}

/** Values longer than this are shown by count, first values and digest in a difference. */
const SHOWN_VALUES = 8;

function compact(value: unknown): unknown {
  if (!Array.isArray(value) || value.length <= SHOWN_VALUES) return value;
  const json = JSON.stringify(value);
  return {
    count: value.length,
    first: value.slice(0, SHOWN_VALUES) as unknown[],
    sha256: createHash('sha256').update(json).digest('hex'),
  };
}

function compareValues(
  path: string,
  tag: string,
  ours: Pick<NormalElement, 'error' | 'value'>,
  oracle: NormalElement,
  readAs?: string,
): Difference[] {
  // Both sides refusing the value is agreement, whatever the wording.
  if (ours.error !== undefined && oracle.error !== undefined) return [];
  const mine = valueOf(ours);
  const theirs = valueOf(oracle);
  if (isDeepStrictEqual(mine, theirs)) return [];
  const shown = readAs === undefined ? compact(mine) : { readAs, value: compact(mine) };
  return [{ path, tag, field: 'value', ours: shown, oracle: compact(theirs) }];
}

/**
 * The differences between our elements and the oracle's (both in tag order). `prefix` is the tag
 * path of the enclosing dataset ('' at the top).
 */
export function compareElements(
  path: string,
  ours: readonly OurElement[],
  oracle: readonly NormalElement[],
  prefix = '',
): Difference[] {
  const differences: Difference[] = [];
  const theirs = new Map(oracle.map((element) => [element.tag, element]));
  const mine = new Map(ours.map((element) => [element.tag, element]));
  const tags = [...new Set([...mine.keys(), ...theirs.keys()])].sort();
  for (const tag of tags) {
    const a = mine.get(tag);
    const b = theirs.get(tag);
    const where = `${prefix}${tag}`;
    if (a === undefined) {
      differences.push({ path, tag: where, field: 'missing', ours: null, oracle: summary(b!) });
      continue;
    }
    if (b === undefined) {
      differences.push({ path, tag: where, field: 'extra', ours: summary(a), oracle: null });
      continue;
    }
    if (a.vr === 'UN' && b.vrFrom === 'private dictionary' && a.readAs !== undefined) {
      const rule: DifferenceRule = 'private-dictionary';
      differences.push({ path, tag: where, field: 'vr', ours: a.vr, oracle: b.vr, rule });
      // pydicom keeps the bytes of VRs it cannot read ('US or SS'...): so do we, as UN.
      const as = b.vr !== null && isVR(b.vr) ? b.vr : undefined;
      const reread = as === undefined ? a : a.readAs(as);
      const found = compareValues(path, where, reread, b, as);
      if (found.length > 0 && as !== undefined) {
        const swapped = a.readAs(as, true);
        if (compareValues(path, where, swapped, b).length === 0) {
          const [difference] = found;
          differences.push({ ...difference!, rule: 'un-byte-order' });
          continue;
        }
      }
      differences.push(...found);
      continue;
    }
    if (a.vr !== b.vr)
      differences.push({ path, tag: where, field: 'vr', ours: a.vr, oracle: b.vr });
    if (a.items !== undefined && b.items !== undefined) {
      if (a.items.length !== b.items.length) {
        differences.push({
          path,
          tag: where,
          field: 'value',
          ours: { items: a.items.length },
          oracle: { items: b.items.length },
        });
      }
      const count = Math.min(a.items.length, b.items.length);
      for (let k = 0; k < count; k++) {
        differences.push(...compareElements(path, a.items[k]!, b.items[k]!, `${where}/${k}/`));
      }
      continue;
    }
    differences.push(...compareValues(path, where, a, b));
  }
  return differences;
}
