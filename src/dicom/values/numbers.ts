/**
 * Numbers in character strings: Decimal String and Integer String (PS3.5 table 6.2-1).
 */
import type { Dataset, ValueElement } from '../dataset.js';
import { DicomError } from '../errors.js';
import { readBinary } from './binary.js';
import { readStrings } from './strings.js';

/** ANSI X3.9 fixed or floating point number; the text has no padding left. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/**
 * Integer String. A fraction of only zeros ('12.0', '12.') is tolerated as pydicom 2.3.1 does:
 * such values are common and unambiguous.
 */
const INTEGER = /^([+-]?\d+)(?:\.0*)?$/;

/** A DS value as a finite number, or undefined when it is not one ('abc', '1e400', ''). */
export function parseDecimalString(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * An IS value as a number, or undefined when it is not an integer. PS3.5 limits IS to the signed
 * 32-bit range; larger values are accepted while they are safe integers.
 */
export function parseIntegerString(text: string): number | undefined {
  const match = INTEGER.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  return Number.isSafeInteger(value) ? (Object.is(value, -0) ? 0 : value) : undefined;
}

/**
 * DS or IS values parsed one by one: null for an empty value inside a multi-valued element
 * (`1\\3`). Throws DicomError BAD_VALUE (with the tag and the element's offset) naming the first
 * value that is not a number.
 */
export function parseNumberStrings(
  values: readonly string[],
  vr: 'DS' | 'IS',
  element?: ValueElement,
): (number | null)[] {
  const out: (number | null)[] = new Array<number | null>(values.length);
  for (let index = 0; index < values.length; index++) {
    const text = values[index]!;
    if (text === '') {
      out[index] = null;
      continue;
    }
    const value = vr === 'DS' ? parseDecimalString(text) : parseIntegerString(text);
    if (value === undefined) {
      throw new DicomError(
        'BAD_VALUE',
        `${vr} value ${index + 1} ${JSON.stringify(text)} is not ${vr === 'DS' ? 'a finite decimal number' : 'an integer'}`,
        { tag: element?.tag, offset: element?.offset },
      );
    }
    out[index] = value;
  }
  return out;
}

/**
 * The values of a numeric element as numbers: DS and IS parsed from their text, US SS UL SL FL FD
 * read from their binary form, SV and UV while they are safe integers. Throws DicomError
 * BAD_VALUE for a value that is not a number, for an empty value inside a multi-valued DS/IS
 * (readValue shows those as null), for an SV/UV beyond 2^53 and for other VRs.
 */
export function readNumbers(dataset: Dataset, element: ValueElement): number[] {
  const where = { tag: element.tag, offset: element.offset };
  switch (element.vr) {
    case 'DS':
    case 'IS': {
      const values = parseNumberStrings(readStrings(dataset, element), element.vr, element);
      return values.map((value, index) => {
        if (value === null) {
          throw new DicomError('BAD_VALUE', `${element.vr} value ${index + 1} is empty`, where);
        }
        return value;
      });
    }
    case 'US':
    case 'SS':
    case 'UL':
    case 'SL':
    case 'FL':
    case 'FD':
      return Array.from(readBinary(dataset, element) as ArrayLike<number>);
    case 'SV':
    case 'UV':
      return Array.from(readBinary(dataset, element) as ArrayLike<bigint>, (big) => {
        const value = Number(big);
        if (!Number.isSafeInteger(value)) {
          throw new DicomError('BAD_VALUE', `${element.vr} value ${big} is beyond 2^53`, where);
        }
        return value;
      });
    default:
      throw new DicomError('BAD_VALUE', `VR ${element.vr} does not hold numbers`, where);
  }
}
