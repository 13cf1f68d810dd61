/**
 * Typed values of data elements (PS3.5 6.2): every VR to a JavaScript value.
 *
 * readValue returns a DicomValue, a union discriminated by `kind`:
 *
 * | kind           | VRs                                      | values                           |
 * |----------------|------------------------------------------|----------------------------------|
 * | 'strings'      | AE AS CS LO LT SH ST UC UI UR UT         | string[]                         |
 * | 'numbers'      | DS IS                                    | (number \| null)[]               |
 * | 'dates'        | DA                                       | (DicomDate \| null)[]            |
 * | 'times'        | TM                                       | (DicomTime \| null)[]            |
 * | 'datetimes'    | DT                                       | (DicomDateTime \| null)[]        |
 * | 'person-names' | PN                                       | PersonName[]                     |
 * | 'tags'         | AT                                       | Tag[]                            |
 * | 'binary'       | US SS UL SL FL FD SV UV OB OW OL OD OF   | BinaryArray (see readBinary)     |
 * |                | OV UN                                    |                                  |
 * | 'sequence'     | SQ                                       | items: Dataset[]                 |
 * | 'encapsulated' | encapsulated Pixel Data                  | fragments: Fragment[] (BOT 1st)  |
 * | 'bulk'         | any value the parser left out            | bulk: BulkRef                    |
 *
 * null stands for an empty value inside a multi-valued element (`1\\3`); an element with an
 * empty value field (or only padding) has `values: []`. Every kind carries the element's `vr`.
 *
 * By default readValue throws DicomError BAD_VALUE for a value its VR cannot hold. With
 * `{ lenient: true }` it never throws for a malformed value and sets `warning` instead: a
 * DS/IS/DA/TM/DT that does not parse comes back as kind 'strings' (the text), a binary value
 * whose length is not a multiple of its size (US, AT...) as kind 'binary' with the raw bytes in a
 * Uint8Array, text whose decoder throws as ISO 8859-1 text.
 */
import type { BulkRef, Dataset, Element, Fragment, ValueElement } from '../dataset.js';
import { DicomError } from '../errors.js';
import type { Tag } from '../tag.js';
import { BINARY_VR_WIDTH, STRING_VRS, type VR } from '../vr.js';
import { BINARY_VRS, readBinary, readTags, type BinaryArray } from './binary.js';
import {
  parseDate,
  parseDateTime,
  parseTime,
  type DicomDate,
  type DicomDateTime,
  type DicomTime,
} from './datetime.js';
import { parseNumberStrings } from './numbers.js';
import { parsePersonName, type PersonName } from './person-name.js';
import { decodeLatin1, readStrings, splitStrings } from './strings.js';

export * from './binary.js';
export * from './datetime.js';
export * from './numbers.js';
export * from './person-name.js';
export * from './strings.js';

interface ValueCommon {
  readonly vr: VR;
  /** Set in lenient mode when the value was malformed and a fallback is returned. */
  readonly warning?: string;
}

export interface StringsValue extends ValueCommon {
  readonly kind: 'strings';
  readonly values: string[];
}
export interface NumbersValue extends ValueCommon {
  readonly kind: 'numbers';
  readonly values: (number | null)[];
}
export interface DatesValue extends ValueCommon {
  readonly kind: 'dates';
  readonly values: (DicomDate | null)[];
}
export interface TimesValue extends ValueCommon {
  readonly kind: 'times';
  readonly values: (DicomTime | null)[];
}
export interface DateTimesValue extends ValueCommon {
  readonly kind: 'datetimes';
  readonly values: (DicomDateTime | null)[];
}
export interface PersonNamesValue extends ValueCommon {
  readonly kind: 'person-names';
  readonly values: PersonName[];
}
export interface TagsValue extends ValueCommon {
  readonly kind: 'tags';
  readonly values: Tag[];
}
export interface BinaryValue extends ValueCommon {
  readonly kind: 'binary';
  /** In host byte order; may be a view of the dataset's bytes (see readBinary): do not modify. */
  readonly values: BinaryArray;
}
export interface SequenceValue extends ValueCommon {
  readonly kind: 'sequence';
  readonly items: Dataset[];
}
export interface EncapsulatedValue extends ValueCommon {
  readonly kind: 'encapsulated';
  readonly fragments: Fragment[];
}
export interface BulkValue extends ValueCommon {
  readonly kind: 'bulk';
  readonly bulk: BulkRef;
}

export type DicomValue =
  | StringsValue
  | NumbersValue
  | DatesValue
  | TimesValue
  | DateTimesValue
  | PersonNamesValue
  | TagsValue
  | BinaryValue
  | SequenceValue
  | EncapsulatedValue
  | BulkValue;

export interface ReadValueOptions {
  /** Return a fallback with a warning instead of throwing for a malformed value. */
  readonly lenient?: boolean;
}

function badValue(element: ValueElement, message: string): DicomError {
  return new DicomError('BAD_VALUE', message, { tag: element.tag, offset: element.offset });
}

function parseEach<T>(
  values: readonly string[],
  parse: (text: string) => T | undefined,
  element: ValueElement,
): (T | null)[] {
  const out: (T | null)[] = new Array<T | null>(values.length);
  for (let index = 0; index < values.length; index++) {
    const text = values[index]!;
    if (text === '') {
      out[index] = null;
      continue;
    }
    const value = parse(text);
    if (value === undefined) {
      throw badValue(
        element,
        `${element.vr} value ${index + 1} ${JSON.stringify(text)} is invalid`,
      );
    }
    out[index] = value;
  }
  return out;
}

function strictValue(dataset: Dataset, element: ValueElement, strings: string[]): DicomValue {
  const { vr } = element;
  switch (vr) {
    case 'DS':
    case 'IS':
      return { kind: 'numbers', vr, values: parseNumberStrings(strings, vr, element) };
    case 'DA':
      return { kind: 'dates', vr, values: parseEach(strings, parseDate, element) };
    case 'TM':
      return { kind: 'times', vr, values: parseEach(strings, parseTime, element) };
    case 'DT':
      return { kind: 'datetimes', vr, values: parseEach(strings, parseDateTime, element) };
    case 'PN':
      return { kind: 'person-names', vr, values: strings.map(parsePersonName) };
    case 'AT':
      return { kind: 'tags', vr, values: readTags(dataset, element) };
    case 'SQ':
      // A sequence the parser kept as a value (e.g. empty, or not parsed): no items known.
      if ((element.bytes?.length ?? 0) === 0) return { kind: 'sequence', vr, items: [] };
      throw badValue(element, 'SQ value was not parsed into items');
    default:
      if (STRING_VRS.has(vr)) return { kind: 'strings', vr, values: strings };
      if (BINARY_VRS.has(vr)) return { kind: 'binary', vr, values: readBinary(dataset, element) };
      throw badValue(element, `VR ${vr} has no reader`);
  }
}

/**
 * The value of any element as a DicomValue (see the table above). Throws DicomError BAD_VALUE
 * for a malformed value unless `lenient` is set; then it returns a fallback with `warning`.
 */
export function readValue(
  dataset: Dataset,
  element: Element,
  options: ReadValueOptions = {},
): DicomValue {
  const { vr } = element;
  if (element.kind === 'sequence') {
    return { kind: 'sequence', vr, items: element.items.map((item) => item.dataset) };
  }
  if (element.kind === 'encapsulated') {
    return { kind: 'encapsulated', vr, fragments: element.fragments };
  }
  if (element.bytes === undefined && element.bulk !== undefined) {
    return { kind: 'bulk', vr, bulk: element.bulk };
  }
  // Only the string VRs (texts, numbers, dates, names) read their value as strings.
  const isString = STRING_VRS.has(vr);
  if (!options.lenient) {
    return strictValue(dataset, element, isString ? readStrings(dataset, element) : NO_STRINGS);
  }

  let warning: string | undefined;
  let strings = NO_STRINGS;
  if (isString) {
    try {
      strings = readStrings(dataset, element);
    } catch (error) {
      warning = `text not decodable with the character set, read as ISO 8859-1: ${message(error)}`;
      strings = splitStrings(decodeLatin1(element.bytes ?? new Uint8Array(0)), vr);
    }
  }
  try {
    const value = strictValue(dataset, element, strings);
    return warning === undefined ? value : { ...value, warning };
  } catch (error) {
    const reason = message(error);
    if (isString) {
      return {
        kind: 'strings',
        vr,
        values: strings,
        warning: warning ? `${warning}; ${reason}` : reason,
      };
    }
    return { kind: 'binary', vr, values: element.bytes ?? new Uint8Array(0), warning: reason };
  }
}

const NO_STRINGS: string[] = [];

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** VRs whose VM is always 1 (PS3.5 6.4), whatever their length. */
const SINGLE_VALUE_VRS: ReadonlySet<VR> = new Set<VR>([
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'ST',
  'UN',
  'UR',
  'UT',
]);

/**
 * The number of values (VM) of a value: the count of string, number, date, name and tag values
 * (empty ones included), of numbers in a binary array; 1 for the O* VRs, UN, a sequence with
 * items and encapsulated pixel data; 0 for an empty value. For a value left out as bulk data it
 * is computed from the length for fixed-size VRs and is 1 for the others.
 */
export function elementVM(value: DicomValue): number {
  switch (value.kind) {
    case 'sequence':
      return value.items.length === 0 ? 0 : 1;
    case 'encapsulated':
      return 1;
    case 'bulk': {
      const width = BINARY_VR_WIDTH[value.vr];
      if (SINGLE_VALUE_VRS.has(value.vr) || width === undefined)
        return value.bulk.length > 0 ? 1 : 0;
      return Math.floor(value.bulk.length / (value.vr === 'AT' ? 4 : width));
    }
    case 'binary':
      if (SINGLE_VALUE_VRS.has(value.vr)) return value.values.length === 0 ? 0 : 1;
      return value.values.length;
    default:
      return value.values.length;
  }
}
