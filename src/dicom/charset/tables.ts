/**
 * Code tables for the character sets of PS3.3 C.12.1.1.2, built on first use from the WHATWG
 * decoders that Node ships with full ICU (TextDecoder), with the corrections below so that they
 * agree with the mappings Python's codecs (and so pydicom 2.3.1) use for the standard sets.
 * Nothing here runs at import time.
 */

/** U+FFFD, what an undefined byte or byte pair decodes to. */
export const REPLACEMENT = 0xfffd;

/** The single-byte sets that DICOM invokes into G1 (their upper half, 0x80-0xFF). */
export type SingleByteSet =
  | 'iso-8859-1'
  | 'iso-8859-2'
  | 'iso-8859-3'
  | 'iso-8859-4'
  | 'iso-8859-5'
  | 'iso-8859-6'
  | 'iso-8859-7'
  | 'iso-8859-8'
  | 'iso-8859-9'
  | 'iso-8859-15'
  | 'tis-620';

/** The 94 x 94 two-byte sets (JIS X 0208 and JIS X 0212 in G0, KS X 1001 and GB 2312 in G1). */
export type DoubleByteSet = 'jis-x0208' | 'jis-x0212' | 'ks-x1001' | 'gb2312';

/** Decoding one pair needs this many table entries (rows and cells 0x21-0x7E). */
const PAIRS = 94 * 94;

// ---------------------------------------------------------------------------------------------
// Single-byte sets
// ---------------------------------------------------------------------------------------------

/**
 * WHATWG labels of the single-byte sets. WHATWG has no true ISO 8859-9 nor TIS 620: its labels
 * give windows-1254 and windows-874, which differ from them in 0x80-0x9F: C1 controls in ISO 8859
 * and TIS 620, so they map to U+0080-U+009F like Python's iso8859_9 and tis_620 do; windows-874
 * also has Private Use Area characters where TIS 620 has none (U+FFFD here). 0xA0 stays NO-BREAK
 * SPACE: ESC - T designates ISO-IR 166 as a 96-character set, i.e. ISO 8859-11, which has it
 * (Python's tis_620 does not). ISO 8859-1 maps byte to code point.
 */
const SINGLE_BYTE_LABELS: Readonly<Record<SingleByteSet, string | undefined>> = {
  'iso-8859-1': undefined,
  'iso-8859-2': 'iso-8859-2',
  'iso-8859-3': 'iso-8859-3',
  'iso-8859-4': 'iso-8859-4',
  'iso-8859-5': 'iso-8859-5',
  'iso-8859-6': 'iso-8859-6',
  'iso-8859-7': 'iso-8859-7',
  'iso-8859-8': 'iso-8859-8',
  'iso-8859-9': 'windows-1254',
  'iso-8859-15': 'iso-8859-15',
  'tis-620': 'windows-874',
};

const singleByteTables = new Map<SingleByteSet, Uint16Array>();

/** 256 code units: what each byte of `set` decodes to (U+FFFD where the set has no character). */
export function singleByteTable(set: SingleByteSet): Uint16Array {
  let table = singleByteTables.get(set);
  if (table !== undefined) return table;
  table = new Uint16Array(256);
  for (let b = 0; b < 256; b++) table[b] = b;
  const label = SINGLE_BYTE_LABELS[set];
  if (label !== undefined) {
    const decoder = new TextDecoder(label);
    const one = new Uint8Array(1);
    for (let b = 0xa0; b < 256; b++) {
      one[0] = b;
      const text = decoder.decode(one);
      const cp = text.length === 1 ? text.charCodeAt(0) : REPLACEMENT;
      // windows-874 puts vendor characters in the Private Use Area where TIS 620 has none.
      table[b] = cp >= 0xe000 && cp <= 0xf8ff ? REPLACEMENT : cp;
    }
  }
  singleByteTables.set(set, table);
  return table;
}

const singleByteReverse = new Map<SingleByteSet, Map<number, number>>();

/** Code point to byte (0x80-0xFF) for the upper half of a single-byte set. */
export function singleByteEncodeMap(set: SingleByteSet): Map<number, number> {
  let map = singleByteReverse.get(set);
  if (map !== undefined) return map;
  map = new Map();
  const table = singleByteTable(set);
  for (let b = 0x80; b < 256; b++) {
    const cp = table[b]!;
    if (cp !== REPLACEMENT && !map.has(cp)) map.set(cp, b);
  }
  singleByteReverse.set(set, map);
  return map;
}

// ---------------------------------------------------------------------------------------------
// Two-byte sets
// ---------------------------------------------------------------------------------------------

/**
 * Where the WHATWG (Microsoft-derived) tables differ from the standards' own mappings, which
 * Python's iso2022_jp, iso2022_jp_2, euc_kr and gb2312 codecs follow: key row << 8 | cell.
 */
const OVERRIDES: Readonly<Record<DoubleByteSet, ReadonlyArray<readonly [number, number]>>> = {
  'jis-x0208': [
    [0x2141, 0x301c], // WAVE DASH (WHATWG: FULLWIDTH TILDE)
    [0x2142, 0x2016], // DOUBLE VERTICAL LINE (WHATWG: PARALLEL TO)
    [0x215d, 0x2212], // MINUS SIGN (WHATWG: FULLWIDTH HYPHEN-MINUS)
    [0x2171, 0x00a2], // CENT SIGN (WHATWG: FULLWIDTH CENT SIGN)
    [0x2172, 0x00a3], // POUND SIGN (WHATWG: FULLWIDTH POUND SIGN)
    [0x224c, 0x00ac], // NOT SIGN (WHATWG: FULLWIDTH NOT SIGN)
  ],
  'jis-x0212': [[0x2237, 0x007e]], // TILDE (WHATWG: FULLWIDTH TILDE)
  'ks-x1001': [
    [0x2266, 0x20ac], // EURO SIGN, added in KS X 1001:1998 (missing from WHATWG's index)
    [0x2267, 0x00ae], // REGISTERED SIGN, idem
  ],
  gb2312: [
    [0x2124, 0x30fb], // KATAKANA MIDDLE DOT (GBK: MIDDLE DOT)
    [0x212a, 0x2015], // HORIZONTAL BAR (GBK: EM DASH)
  ],
};

/** How to ask the WHATWG decoders for a pair: label and the bytes to put before the pair. */
const DOUBLE_BYTE_SOURCE: Readonly<Record<DoubleByteSet, { label: string; prefix: number[] }>> = {
  'jis-x0208': { label: 'euc-jp', prefix: [] },
  'jis-x0212': { label: 'euc-jp', prefix: [0x8f] },
  'ks-x1001': { label: 'euc-kr', prefix: [] },
  gb2312: { label: 'gbk', prefix: [] },
};

const doubleByteTables = new Map<DoubleByteSet, Uint16Array>();

/**
 * 94 x 94 code units, index (row - 0x21) * 94 + (cell - 0x21) with row and cell in 0x21-0x7E
 * (the 7-bit form; the 8-bit form used in G1 is the same with the high bits set).
 */
export function doubleByteTable(set: DoubleByteSet): Uint16Array {
  let table = doubleByteTables.get(set);
  if (table !== undefined) return table;
  const { label, prefix } = DOUBLE_BYTE_SOURCE[set];
  const width = prefix.length + 2;
  const all = new Uint8Array(PAIRS * width);
  let k = 0;
  for (let row = 0xa1; row < 0xff; row++) {
    for (let cell = 0xa1; cell < 0xff; cell++) {
      for (const p of prefix) all[k++] = p;
      all[k++] = row;
      all[k++] = cell;
    }
  }
  const decoder = new TextDecoder(label);
  table = new Uint16Array(PAIRS);
  // Every sequence is a complete character or one error (its bytes are all >= 0xA1), so the
  // whole block decodes to exactly one code unit per pair (every character of these sets is in
  // the BMP). Otherwise fall back to decoding the pairs one by one.
  const text = decoder.decode(all);
  if (text.length === PAIRS) {
    for (let i = 0; i < PAIRS; i++) table[i] = text.charCodeAt(i);
  } else {
    for (let i = 0; i < PAIRS; i++) {
      const one = decoder.decode(all.subarray(i * width, (i + 1) * width));
      table[i] = one.length === 1 ? one.charCodeAt(0) : REPLACEMENT;
    }
  }
  for (const [code, cp] of OVERRIDES[set])
    table[((code >> 8) - 0x21) * 94 + (code & 0xff) - 0x21] = cp;
  doubleByteTables.set(set, table);
  return table;
}

/**
 * Whether a code of the WHATWG table belongs to the standard set itself, i.e. is safe to write:
 * the vendor extensions (NEC row 13 and IBM rows 89-92 of Windows-31J, GBK's additions to the
 * GB 2312 rows, IBM extensions in JIS X 0212 row 83, user-defined rows mapped to the Private
 * Use Area) decode, but the encoder does not produce them.
 */
function isStandardCode(set: DoubleByteSet, row: number, cell: number, cp: number): boolean {
  if (cp === REPLACEMENT || (cp >= 0xe000 && cp <= 0xf8ff)) return false;
  switch (set) {
    case 'jis-x0208':
      return row <= 0x28 || (row >= 0x30 && row <= 0x74);
    case 'jis-x0212':
      return row !== 0x73;
    case 'ks-x1001':
      return row !== 0x24 || cell !== 0x54; // HANGUL FILLER: starts a make-up sequence
    case 'gb2312':
      if (row === 0x22) return cell >= 0x31;
      if (row === 0x26) return cell < 0x59;
      if (row === 0x28) return cell < 0x3b || cell > 0x44;
      return row <= 0x29 || (row >= 0x30 && row <= 0x77);
  }
}

const doubleByteReverse = new Map<DoubleByteSet, Map<number, number>>();

/** Code point to row << 8 | cell (7-bit form) for the characters of the standard set. */
export function doubleByteEncodeMap(set: DoubleByteSet): Map<number, number> {
  let map = doubleByteReverse.get(set);
  if (map !== undefined) return map;
  map = new Map();
  const table = doubleByteTable(set);
  for (let row = 0x21; row < 0x7f; row++) {
    for (let cell = 0x21; cell < 0x7f; cell++) {
      const cp = table[(row - 0x21) * 94 + cell - 0x21]!;
      if (isStandardCode(set, row, cell, cp) && !map.has(cp)) map.set(cp, (row << 8) | cell);
    }
  }
  doubleByteReverse.set(set, map);
  return map;
}

// ---------------------------------------------------------------------------------------------
// Shift_JIS (how pydicom reads ISO_IR 13: Python's shift_jis codec, a superset of JIS X 0201)
// ---------------------------------------------------------------------------------------------

let shiftJisDecoder: InstanceType<typeof TextDecoder> | undefined;

/**
 * Appends the code units of `bytes[start, end)` decoded as Shift_JIS: ASCII below 0x80 (0x5C and
 * 0x7E stay REVERSE SOLIDUS and TILDE, as in Python's codec), half-width katakana in 0xA1-0xDF,
 * and two-byte JIS X 0208 characters (with the mapping above). Lead bytes 0xF0-0xFC (user-defined
 * and IBM extensions of Windows-31J, which Python rejects) go to the WHATWG decoder. Malformed
 * bytes give U+FFFD; a trail byte that is not valid is not consumed.
 */
export function decodeShiftJis(bytes: Uint8Array, start: number, end: number, out: number[]): void {
  const jis = doubleByteTable('jis-x0208');
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out.push(b);
      i++;
    } else if (b >= 0xa1 && b <= 0xdf) {
      out.push(0xff61 + b - 0xa1);
      i++;
    } else if ((b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc)) {
      const t = i + 1 < end ? bytes[i + 1]! : -1;
      if (!((t >= 0x40 && t <= 0x7e) || (t >= 0x80 && t <= 0xfc))) {
        out.push(REPLACEMENT);
        i++;
        continue;
      }
      if (b >= 0xf0) {
        shiftJisDecoder ??= new TextDecoder('shift_jis');
        const text = shiftJisDecoder.decode(bytes.subarray(i, i + 2));
        out.push(text.length === 1 ? text.charCodeAt(0) : REPLACEMENT);
      } else {
        // JIS row (1-based) from the lead byte, cell from the trail byte.
        let row = (b <= 0x9f ? b - 0x81 : b - 0xc1) * 2 + 1;
        let cell: number;
        if (t >= 0x9f) {
          row++;
          cell = t - 0x9e;
        } else {
          cell = t - 0x3f - (t >= 0x80 ? 1 : 0);
        }
        out.push(jis[(row - 1) * 94 + cell - 1]!);
      }
      i += 2;
    } else {
      out.push(REPLACEMENT);
      i++;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GB 18030 and GBK encoding (TextEncoder only writes UTF-8)
// ---------------------------------------------------------------------------------------------

let gbBmp: Uint32Array | undefined;

/**
 * For each BMP code point, its GB 18030 bytes packed big-endian (two-byte codes as 0xHHLL, four-
 * byte codes, whose first byte is 0x81-0x84, as 0xHHLLHHLL) or 0 when it has none; built by decoding
 * every two-byte code and the four-byte BMP range with the WHATWG gb18030 decoder, so the encoder
 * is the exact inverse of the decoder.
 */
function gb18030Bmp(): Uint32Array {
  if (gbBmp !== undefined) return gbBmp;
  const map = new Uint32Array(0x10000);
  const decoder = new TextDecoder('gb18030');
  const pair = new Uint8Array(2);
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      pair[0] = lead;
      pair[1] = trail;
      const text = decoder.decode(pair);
      if (text.length !== 1) continue;
      const cp = text.charCodeAt(0);
      if (cp !== REPLACEMENT && map[cp] === 0) map[cp] = (lead << 8) | trail;
    }
  }
  // Four-byte codes 0x81308130-0x8439FE39 (pointers 0-39419) cover the rest of the BMP.
  const COUNT = 39420;
  const four = new Uint8Array(COUNT * 4);
  for (let p = 0; p < COUNT; p++) four.set(gbFourBytes(p), p * 4);
  const text = decoder.decode(four);
  if (text.length === COUNT) {
    for (let p = 0; p < COUNT; p++) {
      const cp = text.charCodeAt(p);
      if (cp !== REPLACEMENT && map[cp] === 0) map[cp] = packFour(p);
    }
  }
  gbBmp = map;
  return map;
}

function gbFourBytes(pointer: number): number[] {
  return [
    0x81 + Math.floor(pointer / 12600),
    0x30 + (Math.floor(pointer / 1260) % 10),
    0x81 + (Math.floor(pointer / 10) % 126),
    0x30 + (pointer % 10),
  ];
}

function packFour(pointer: number): number {
  const [a, b, c, d] = gbFourBytes(pointer) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/**
 * Appends the GB 18030 (or, with `gbk`, GBK) bytes of code point `cp`; false when it has none
 * (GBK has no four-byte codes; GBK writes the euro sign as 0x80 like CP936).
 */
export function encodeGb(cp: number, gbk: boolean, out: number[]): boolean {
  if (cp < 0x80) {
    out.push(cp);
    return true;
  }
  if (gbk && cp === 0x20ac) {
    out.push(0x80);
    return true;
  }
  if (cp >= 0x10000) {
    if (gbk || cp > 0x10ffff) return false;
    const p = 189000 + cp - 0x10000;
    out.push(...gbFourBytes(p));
    return true;
  }
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  const code = gb18030Bmp()[cp]!;
  if (code === 0) return false;
  if (code > 0xffff) {
    if (gbk) return false;
    out.push(code >>> 24, (code >>> 16) & 0xff, (code >>> 8) & 0xff, code & 0xff);
    return true;
  }
  out.push(code >> 8, code & 0xff);
  return true;
}
