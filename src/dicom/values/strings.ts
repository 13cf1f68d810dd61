/**
 * Character-string values (PS3.5 6.1, 6.2, 6.4): decoding with the Specific Character Set,
 * splitting on the backslash delimiter and removing insignificant padding.
 */
import { charsetDecoder } from '../charset/index.js';
import { decodeLatin1 } from '../charset/latin1.js';
import type { Dataset, ValueElement } from '../dataset.js';
import { DicomError } from '../errors.js';
import { CHARSET_VRS, SINGLE_VALUED_STRING_VRS, STRING_VRS, type VR } from '../vr.js';

export { decodeLatin1 };

type Decoder = ReturnType<typeof charsetDecoder>;

/**
 * VRs whose leading spaces are not significant. PS3.5 table 6.2-1 calls leading spaces padding
 * for AE, CS, DS, IS, LO and SH; DA, DT, TM and AS do not allow them at all, so removing them
 * there only tolerates a writer's mistake. LT, ST, UT, UC, PN, UI and UR keep leading spaces
 * (significant for the texts, never produced by a correct writer for the others).
 * pydicom 2.3.1 strips leading spaces for AE only (and DS/IS through float()/int()); we follow
 * the standard's wording for LO, SH and CS as well.
 */
const LEADING_INSIGNIFICANT: ReadonlySet<VR> = new Set<VR>([
  'AE',
  'AS',
  'CS',
  'DA',
  'DS',
  'DT',
  'IS',
  'LO',
  'SH',
  'TM',
]);

// Trailing spaces pad strings to even length; trailing NULs pad UIs and appear (wrongly)
// elsewhere: both are removed (trimPadding), and leading spaces where insignificant.

const decoders = new WeakMap<ValueElement, Decoder>();
let defaultDecoder: Decoder | undefined;

/** The decoder for the character set that governs `dataset` (its own or an enclosing one's). */
export function decoderFor(dataset: Dataset): Decoder {
  const element = dataset.characterSetElement();
  if (element === undefined) {
    defaultDecoder ??= charsetDecoder([]);
    return defaultDecoder;
  }
  let decoder = decoders.get(element);
  if (decoder === undefined) {
    decoder = charsetDecoder(characterSetTerms(element));
    decoders.set(element, decoder);
  }
  return decoder;
}

/**
 * The Defined Terms of a Specific Character Set element, in order. Empty values are kept: an
 * empty first value means "default repertoire in G0" before the ISO 2022 extensions (PS3.3
 * C.12.1.1.2).
 */
export function characterSetTerms(element: ValueElement): string[] {
  if (element.bytes === undefined || element.bytes.length === 0) return [];
  return splitStrings(decodeLatin1(element.bytes), 'CS');
}

/**
 * The whole value field of a string VR as text: through the dataset's character set for the VRs
 * that use it (LO LT PN SH ST UC UT), as default repertoire for the others. The result still
 * holds delimiters and padding. Decoding happens before splitting because a 0x5C byte can be part
 * of a multi-byte character in some character sets.
 */
export function decodeString(dataset: Dataset, bytes: Uint8Array, vr: VR): string {
  if (CHARSET_VRS.has(vr)) return decoderFor(dataset).decode(bytes, vr);
  return decodeLatin1(bytes);
}

/**
 * Splits a decoded value into its values and removes padding: trailing spaces and NULs from each
 * value, and leading spaces for the VRs where they are insignificant. LT, ST, UT and UR hold one
 * value (a backslash is an ordinary character there). A value with nothing but padding gives [];
 * an empty value between delimiters stays '' (`A\\C` gives ['A', '', 'C']).
 */
export function splitStrings(text: string, vr: VR): string[] {
  const whole = trimPadding(text);
  const trimLeading = LEADING_INSIGNIFICANT.has(vr);
  if (SINGLE_VALUED_STRING_VRS.has(vr) || whole.indexOf('\\') < 0) {
    const value = trimLeading ? trimLeadingSpaces(whole) : whole;
    return value === '' ? [] : [value];
  }
  const parts = whole.split('\\');
  for (let k = 0; k < parts.length; k++) {
    const trimmed = trimPadding(parts[k]!);
    parts[k] = trimLeading ? trimLeadingSpaces(trimmed) : trimmed;
  }
  return parts;
}

/** Without trailing spaces and NULs. */
function trimPadding(text: string): string {
  let end = text.length;
  for (; end > 0; end--) {
    const c = text.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x00) break;
  }
  return end === text.length ? text : text.slice(0, end);
}

/** Without leading spaces. */
function trimLeadingSpaces(text: string): string {
  let start = 0;
  while (start < text.length && text.charCodeAt(start) === 0x20) start++;
  return start === 0 ? text : text.slice(start);
}

/** The value bytes of an element, or a BAD_VALUE error when the value was left out as bulk data. */
export function valueBytes(element: ValueElement): Uint8Array {
  if (element.bytes !== undefined) return element.bytes;
  if (element.bulk !== undefined) {
    throw new DicomError('BAD_VALUE', 'the value was not loaded (bulk data)', {
      tag: element.tag,
      offset: element.offset,
    });
  }
  return new Uint8Array(0);
}

/**
 * The values of a character-string element (AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT)
 * as text, decoded, split and without padding (see splitStrings). DA/DS/PN... are returned as
 * their text; readValue parses them. Throws DicomError BAD_VALUE for a non-string VR or a value
 * that was not loaded; a character-set error from the decoder propagates.
 */
export function readStrings(dataset: Dataset, element: ValueElement): string[] {
  if (!STRING_VRS.has(element.vr)) {
    throw new DicomError('BAD_VALUE', `VR ${element.vr} is not a character string`, {
      tag: element.tag,
      offset: element.offset,
    });
  }
  const bytes = valueBytes(element);
  if (bytes.length === 0) return [];
  return splitStrings(decodeString(dataset, bytes, element.vr), element.vr);
}
