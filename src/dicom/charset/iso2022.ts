/**
 * ISO 2022 code extension as DICOM uses it (PS3.5 6.1.2.4, 6.1.2.5; PS3.3 C.12.1.1.2): reading a
 * value run by run, each run decoded with the sets that the escape sequences before it designated
 * into G0 and G1, and writing a value with the escape sequences it needs.
 *
 * The state returns to the initial one (the sets of value 1 of Specific Character Set) at the
 * delimiters of PS3.5 6.1.2.5.3: control characters (CR, LF, FF, TAB...), and for the VRs that
 * have them, the value delimiter '\' and the PN delimiters '^' and '='. While a two-byte set is
 * in G0 (JIS X 0208, JIS X 0212) the bytes 0x21-0x7E are halves of characters, so only control
 * characters and escape sequences end such a run there (as in Python's iso2022_jp codec).
 */
import { DicomError } from '../errors.js';
import type { VR } from '../vr.js';
import {
  decodeShiftJis,
  doubleByteEncodeMap,
  doubleByteTable,
  REPLACEMENT,
  singleByteEncodeMap,
  singleByteTable,
} from './tables.js';
import {
  escapeFor,
  matchEscape,
  type CodeExtensionCharset,
  type G0Set,
  type G1Set,
} from './terms.js';

const ESC = 0x1b;

/** Delimiter kinds, per byte below 0x80. */
const NONE = 0;
/** Ends a run only while G0 holds a single-byte set ('^', '=', '\'). */
const GRAPHIC = 1;
/** Always ends a run (control characters). */
const CONTROL = 2;

const delimiterTables = new Map<string, Uint8Array>();

/** Which bytes reset the state to the initial one in a value of `vr`. */
function delimitersFor(vr: VR): Uint8Array {
  const graphic = vr === 'PN' ? '^=\\' : vr === 'LT' || vr === 'ST' || vr === 'UT' ? '' : '\\';
  let table = delimiterTables.get(graphic);
  if (table === undefined) {
    table = new Uint8Array(0x80);
    for (let b = 0; b < 0x20; b++) if (b !== ESC) table[b] = CONTROL;
    for (const c of graphic) table[c.charCodeAt(0)] = GRAPHIC;
    delimiterTables.set(graphic, table);
  }
  return table;
}

function isDoubleByteG0(set: G0Set): set is 'jis-x0208' | 'jis-x0212' {
  return set === 'jis-x0208' || set === 'jis-x0212';
}

/** The state a value starts in, and returns to at delimiters. */
export interface InitialState {
  readonly g0: G0Set;
  readonly g1: G1Set | undefined;
  /** Decode runs in the initial state as Shift_JIS (ISO_IR 13, like pydicom). */
  readonly shiftJis: boolean;
  /**
   * Bytes 0x80-0xFF while nothing is designated to G1 decode as ISO 8859-1 when value 1 is the
   * default repertoire (pydicom's fallback: its default codec is latin-1), else as U+FFFD.
   */
  readonly latin1Fallback: boolean;
}

/**
 * The initial state for reading: value 1's sets. G0 is ASCII when value 1 designates nothing
 * single-byte into G0 (a two-byte set as value 1, which pydicom reads the same way). A two-byte
 * G1 set as value 1 (ISO 2022 IR 149, IR 58) is taken as invoked from the start, so EUC-KR and
 * EUC-CN text without escapes reads too (pydicom decodes such values with euc_kr / gb2312).
 */
export function initialState(first: CodeExtensionCharset): InitialState {
  const g0 = first.g0 === 'ascii' || first.g0 === 'jis-x0201-roman' ? first.g0 : 'ascii';
  const latin1Fallback = first.g0 === 'ascii' && first.g1 === undefined;
  return { g0, g1: first.g1, shiftJis: first.shiftJis, latin1Fallback };
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/**
 * Decodes a value with code extensions. Never throws: bytes that do not decode give U+FFFD.
 * An escape sequence that the standard does not define (or an incomplete one) switches back to
 * the initial state and is kept in the text, as pydicom does. Escape sequences of the standard
 * are followed even when (0008,0005) did not declare their set (pydicom ignores those).
 * Bytes 0x80-0xFF while nothing is designated to G1: see InitialState.latin1Fallback.
 */
export function decodeIso2022(bytes: Uint8Array, initial: InitialState, vr: VR): string {
  const delimiters = delimitersFor(vr);
  const out: number[] = [];
  let g0 = initial.g0;
  let g1 = initial.g1;
  let isInitial = true;
  let start = 0;
  const flush = (end: number) => {
    if (end <= start) return;
    if (isInitial && initial.shiftJis) decodeShiftJis(bytes, start, end, out);
    else decodeRun(bytes, start, end, g0, g1, initial.latin1Fallback, out);
  };
  const reset = (at: number) => {
    flush(at);
    g0 = initial.g0;
    g1 = initial.g1;
    isInitial = true;
    start = at;
  };
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === ESC) {
      const match = matchEscape(bytes, i);
      if (match === undefined) {
        if (!isInitial) reset(i);
        i++;
        continue;
      }
      flush(i);
      if (match.designation.g === 0) g0 = match.designation.set;
      else g1 = match.designation.set;
      isInitial = g0 === initial.g0 && g1 === initial.g1;
      i += match.length;
      start = i;
      continue;
    }
    if (!isInitial && b < 0x80) {
      const kind = delimiters[b]!;
      if (kind === CONTROL || (kind === GRAPHIC && !isDoubleByteG0(g0))) reset(i);
    }
    i++;
  }
  flush(bytes.length);
  return fromCodeUnits(out);
}

/** Appends the code units of `bytes[start, end)` decoded with `g0` and `g1` invoked. */
function decodeRun(
  bytes: Uint8Array,
  start: number,
  end: number,
  g0: G0Set,
  g1: G1Set | undefined,
  latin1Fallback: boolean,
  out: number[],
): void {
  const g0Table = isDoubleByteG0(g0) ? doubleByteTable(g0) : undefined;
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      // Space, DEL and the control characters are the same whatever G0 holds.
      if (g0Table !== undefined && b > 0x20 && b < 0x7f) {
        const t = i + 1 < end ? bytes[i + 1]! : 0;
        if (t > 0x20 && t < 0x7f) {
          out.push(g0Table[(b - 0x21) * 94 + t - 0x21]!);
          i += 2;
        } else {
          out.push(REPLACEMENT);
          i++;
        }
        continue;
      }
      // ASCII, and JIS X 0201 Roman read like ASCII (0x5C and 0x7E as pydicom's shift_jis does).
      out.push(b);
      i++;
      continue;
    }
    switch (g1) {
      case undefined:
        out.push(latin1Fallback ? b : REPLACEMENT);
        i++;
        break;
      case 'jis-x0201-katakana':
        out.push(b >= 0xa1 && b <= 0xdf ? 0xff61 + b - 0xa1 : REPLACEMENT);
        i++;
        break;
      case 'ks-x1001':
      case 'gb2312': {
        const t = i + 1 < end ? bytes[i + 1]! : 0;
        if (b >= 0xa1 && b <= 0xfe && t >= 0xa1 && t <= 0xfe) {
          out.push(doubleByteTable(g1)[(b - 0xa1) * 94 + t - 0xa1]!);
          i += 2;
        } else {
          out.push(REPLACEMENT);
          i++;
        }
        break;
      }
      default:
        out.push(singleByteTable(g1)[b]!);
        i++;
    }
  }
}

/** A string from UTF-16 code units, in chunks small enough for the argument list. */
export function fromCodeUnits(units: readonly number[] | Uint16Array): string {
  const CHUNK = 0x2000;
  if (units.length <= CHUNK) return String.fromCharCode(...units);
  let text = '';
  for (let i = 0; i < units.length; i += CHUNK) {
    text += String.fromCharCode(...units.slice(i, i + CHUNK));
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

type AnySet = G0Set | G1Set;

/** The bytes of `cp` in `set` (7-bit form for G0, 8-bit for G1), or undefined. */
function encodeIn(set: AnySet, cp: number): number[] | undefined {
  switch (set) {
    case 'ascii':
    case 'jis-x0201-roman':
      return cp < 0x80 ? [cp] : undefined;
    case 'jis-x0201-katakana':
      return cp >= 0xff61 && cp <= 0xff9f ? [cp - 0xff61 + 0xa1] : undefined;
    case 'jis-x0208':
    case 'jis-x0212': {
      const code = doubleByteEncodeMap(set).get(cp);
      return code === undefined ? undefined : [code >> 8, code & 0xff];
    }
    case 'ks-x1001':
    case 'gb2312': {
      const code = doubleByteEncodeMap(set).get(cp);
      return code === undefined ? undefined : [(code >> 8) | 0x80, (code & 0xff) | 0x80];
    }
    default: {
      const b = singleByteEncodeMap(set).get(cp);
      return b === undefined ? undefined : [b];
    }
  }
}

function isG0(set: AnySet): set is G0Set {
  return set === 'ascii' || set === 'jis-x0201-roman' || set === 'jis-x0208' || set === 'jis-x0212';
}

/**
 * Encodes text for a dataset whose Specific Character Set is `charsets` (value 1 first), with
 * the escape sequences of PS3.5 6.1.2.5: each character in the first set that has it (the sets
 * in use first, then value 1's, then the others in order); the initial sets are designated again
 * before each delimiter and at the end of the value where another set took their place (G1 only
 * when value 1 has a G1 set). Two-byte G1 sets (KS X 1001, GB 2312) are always designated
 * explicitly, as the standard's examples do. Throws DicomError NOT_ENCODABLE for a character that
 * none of the sets has, and for ESC itself.
 */
export function encodeIso2022(
  text: string,
  charsets: readonly CodeExtensionCharset[],
  vr: VR,
): Uint8Array {
  const first = charsets[0]!;
  const initialG0: G0Set = first.g0 === 'jis-x0201-roman' ? 'jis-x0201-roman' : 'ascii';
  const initialG1: G1Set | undefined =
    first.g1 === 'ks-x1001' || first.g1 === 'gb2312' ? undefined : first.g1;
  const declared: AnySet[] = [];
  for (const charset of charsets) {
    if (charset.g0 !== undefined && isDoubleByteG0(charset.g0)) declared.push(charset.g0);
    if (charset.g1 !== undefined) declared.push(charset.g1);
  }
  const delimiters = delimitersFor(vr);
  const out: number[] = [];
  // The sets in G0 and G1 (an object, so that the closures' assignments are seen by the loop).
  const state: { g0: G0Set; g1: G1Set | undefined } = { g0: initialG0, g1: initialG1 };
  const designate = (set: AnySet) => {
    out.push(...escapeFor(set));
    if (isG0(set)) state.g0 = set;
    else state.g1 = set;
  };
  const restore = () => {
    if (state.g0 !== initialG0) designate(initialG0);
    if (state.g1 !== initialG1 && initialG1 !== undefined) designate(initialG1);
    state.g1 = initialG1;
  };
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (cp === ESC) throw notEncodable(char, charsets);
    if (cp < 0x80) {
      if (delimiters[cp] !== NONE) {
        restore();
        out.push(cp);
        continue;
      }
      if (isDoubleByteG0(state.g0)) designate(initialG0);
      out.push(cp);
      continue;
    }
    let done = false;
    for (const set of [state.g0, state.g1, initialG1, ...declared]) {
      if (set === undefined || set === 'ascii' || set === 'jis-x0201-roman') continue;
      const encoded = encodeIn(set, cp);
      if (encoded === undefined) continue;
      if (set !== state.g0 && set !== state.g1) designate(set);
      out.push(...encoded);
      done = true;
      break;
    }
    if (!done) throw notEncodable(char, charsets);
  }
  restore();
  return Uint8Array.from(out);
}

export function notEncodable(char: string, charsets: readonly { term: string }[]): DicomError {
  const cp = char.codePointAt(0)!;
  const name = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const terms = charsets.map((c) => c.term).join('\\');
  return new DicomError(
    'NOT_ENCODABLE',
    `character ${JSON.stringify(char)} (${name}) is not in Specific Character Set '${terms}'`,
  );
}
