/**
 * Specific Character Set (0008,0005): decoding and encoding of the character-string values that
 * it governs (PS3.5 6.1, Annexes H-K; PS3.3 C.12.1.1.2).
 *
 * Reading follows pydicom 2.3.1 (`pydicom/charset.py`) wherever its behaviour is right:
 * - terms: see resolveTerms (misspellings such as 'ISO IR 100' corrected, Python codec names
 *   accepted, unknown terms replaced by the default repertoire, stand-alone sets not combined);
 * - the default repertoire (no or empty (0008,0005), ISO_IR 6): bytes 0x80-0xFF, which it does
 *   not have, decode as ISO 8859-1 like pydicom's fallback, so nothing is lost;
 * - ISO_IR 13 reads as Shift_JIS (a superset of JIS X 0201; 0x5C and 0x7E stay '\' and '~');
 * - code extensions: see decodeIso2022;
 * - only the VRs of CHARSET_VRS use the character set; the others decode as ISO 8859-1 (their
 *   repertoire is the default one).
 * Where it is not (each difference is listed with its reason in
 * test/dicom/fixtures/charset-differences.json and tested):
 * - a value is decoded as a whole before it is split, so a '\', '=' or '^' byte inside a
 *   two-byte character (GBK, GB18030, Shift_JIS, JIS X 0208) does not split it;
 * - a line end returns to value 1's sets inside a JIS X 0208 run too (PS3.5 6.1.2.5.3);
 * - ESC $ ) A (GB 2312) runs lose their escape sequences, which pydicom leaves in the text;
 * - ESC ( B designates ASCII to G0 only, keeping G1; the standard's escape sequences are followed
 *   even when (0008,0005) does not list their set; UTF-8 values have no escape sequences;
 * - ISO_IR 203 (ISO 8859-15) is known; 0xA0 is NO-BREAK SPACE in ISO_IR 166; GB18030 follows
 *   its 2022 edition (WHATWG) where Python's codec follows 2005.
 * Decoding never throws: bytes that do not decode give U+FFFD.
 */
import { DicomError } from '../errors.js';
import { decodeAscii, decodeLatin1 } from './latin1.js';
import { CHARSET_VRS, type VR } from '../vr.js';
import { decodeIso2022, encodeIso2022, initialState, notEncodable } from './iso2022.js';
import { encodeGb } from './tables.js';
import { resolveTerms, type Charset, type CodeExtensionCharset } from './terms.js';

export { resolveTerms, type Charset, type ResolvedTerms } from './terms.js';

export interface CharsetDecoder {
  /**
   * The text of a whole value field (all its values, with delimiters and padding) of a string
   * VR. For the VRs of CHARSET_VRS (LO LT PN SH ST UC UT) it goes through the character set,
   * for the others as ISO 8859-1. Never throws; bytes that do not decode give U+FFFD.
   */
  decode(bytes: Uint8Array, vr: VR): string;
  /** The character sets in use, value 1 first (after corrections). */
  readonly charsets: readonly Charset[];
  /** What was corrected or ignored in the terms (empty for a valid Specific Character Set). */
  readonly warnings: readonly string[];
}

export interface CharsetEncoder {
  /**
   * The bytes of a whole value field (values joined with '\', PN groups with '=' and
   * components with '^', no padding) of a string VR. Throws DicomError NOT_ENCODABLE when a
   * character is not in the character set (for the VRs outside CHARSET_VRS: not ASCII), or
   * when writing the character set is not supported (a codec found by name, other than UTF-8).
   */
  encode(text: string, vr: VR): Uint8Array;
  readonly charsets: readonly Charset[];
  readonly warnings: readonly string[];
}

const decoders = new Map<string, CharsetDecoder>();
const encoders = new Map<string, CharsetEncoder>();
/** Files choose the terms: a stream of distinct ones must not grow the caches without bound. */
const CACHE_LIMIT = 256;

/** The cache key of a list of terms (backslash cannot occur inside a term). */
function keyOf(terms: readonly string[]): string {
  return terms.map((t) => t.trim()).join('\\');
}

/**
 * The decoder for the values of (0008,0005) `terms` (split on backslash, trimmed; [] or [''] for
 * the default repertoire). Decoders are cached per list of terms.
 */
export function charsetDecoder(terms: readonly string[]): CharsetDecoder {
  const key = keyOf(terms);
  let decoder = decoders.get(key);
  if (decoder === undefined) {
    decoder = makeDecoder(terms);
    if (decoders.size >= CACHE_LIMIT) decoders.clear();
    decoders.set(key, decoder);
  }
  return decoder;
}

/** The encoder for the values of (0008,0005) `terms`, cached like the decoders. */
export function charsetEncoder(terms: readonly string[]): CharsetEncoder {
  const key = keyOf(terms);
  let encoder = encoders.get(key);
  if (encoder === undefined) {
    encoder = makeEncoder(terms);
    if (encoders.size >= CACHE_LIMIT) encoders.clear();
    encoders.set(key, encoder);
  }
  return encoder;
}

function makeDecoder(terms: readonly string[]): CharsetDecoder {
  const { charsets, warnings } = resolveTerms(terms);
  const first = charsets[0]!;
  let decodeText: (bytes: Uint8Array, vr: VR) => string;
  if (first.kind === 'standalone') {
    const textDecoder = new TextDecoder(first.label, { ignoreBOM: true });
    decodeText = (bytes) => textDecoder.decode(bytes);
  } else {
    const initial = initialState(first);
    decodeText = (bytes, vr) => {
      // Fast path: ASCII without escapes reads the same in every initial state.
      return isPlainAscii(bytes) ? decodeAscii(bytes) : decodeIso2022(bytes, initial, vr);
    };
  }
  return {
    charsets,
    warnings,
    decode(bytes, vr) {
      if (bytes.length === 0) return '';
      return CHARSET_VRS.has(vr) ? decodeText(bytes, vr) : decodeLatin1(bytes);
    },
  };
}

function isPlainAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x80 || b === 0x1b) return false;
  }
  return true;
}

function makeEncoder(terms: readonly string[]): CharsetEncoder {
  const { charsets, warnings } = resolveTerms(terms);
  const first = charsets[0]!;
  let encodeText: (text: string, vr: VR) => Uint8Array;
  if (first.kind === 'standalone') {
    encodeText = standaloneEncoder(first.label, charsets);
  } else {
    const sets = charsets as readonly CodeExtensionCharset[];
    encodeText = (text, vr) => encodeIso2022(text, sets, vr);
  }
  return {
    charsets,
    warnings,
    encode(text, vr) {
      return CHARSET_VRS.has(vr) ? encodeText(text, vr) : encodeAscii(text);
    },
  };
}

const DEFAULT_REPERTOIRE = [{ term: 'ISO_IR 6' }];

/** The default repertoire, for the VRs that do not use the Specific Character Set. */
function encodeAscii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const cu = text.charCodeAt(i);
    if (cu >= 0x80)
      throw notEncodable(String.fromCodePoint(text.codePointAt(i)!), DEFAULT_REPERTOIRE);
    out[i] = cu;
  }
  return out;
}

function standaloneEncoder(
  label: string,
  charsets: readonly Charset[],
): (text: string, vr: VR) => Uint8Array {
  if (label === 'utf-8') {
    const textEncoder = new TextEncoder();
    return (text) => {
      const lone = findLoneSurrogate(text);
      if (lone !== undefined) throw notEncodable(lone, charsets);
      return textEncoder.encode(text);
    };
  }
  if (label === 'gb18030' || label === 'gbk') {
    const gbk = label === 'gbk';
    return (text) => {
      const out: number[] = [];
      for (const char of text) {
        if (!encodeGb(char.codePointAt(0)!, gbk, out)) throw notEncodable(char, charsets);
      }
      return Uint8Array.from(out);
    };
  }
  return () => {
    throw new DicomError(
      'NOT_ENCODABLE',
      `writing Specific Character Set '${charsets[0]!.term}' (${label}) is not supported`,
    );
  };
}

/** The first unpaired surrogate of `text`, which UTF-8 cannot represent. */
function findLoneSurrogate(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const cu = text.charCodeAt(i);
    if (cu >= 0xd800 && cu <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return text[i];
    }
    if (cu >= 0xdc00 && cu <= 0xdfff) return text[i];
  }
  return undefined;
}
