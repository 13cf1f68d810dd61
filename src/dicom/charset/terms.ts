/**
 * The Defined Terms of Specific Character Set (0008,0005), PS3.3 C.12.1.1.2 tables C.12-2 to
 * C.12-5, the ISO 2022 escape sequences that designate their character sets, and how a list of
 * terms as found in a file resolves to character sets (with pydicom 2.3.1's corrections of common
 * misspellings, `pydicom/charset.py` convert_encodings).
 */
import type { SingleByteSet } from './tables.js';

/** Sets designated into G0 (the bytes 0x21-0x7E). */
export type G0Set = 'ascii' | 'jis-x0201-roman' | 'jis-x0208' | 'jis-x0212';

/** Sets designated into G1 (the bytes 0xA0-0xFF; 0x80-0xFF for the single-byte ones). */
export type G1Set = SingleByteSet | 'jis-x0201-katakana' | 'ks-x1001' | 'gb2312';

/** A character set that may take part in ISO 2022 code extension (all but the stand-alone ones). */
export interface CodeExtensionCharset {
  readonly kind: 'iso2022';
  /** The Defined Term, as the standard spells it. */
  readonly term: string;
  /** What the term designates into G0 (ASCII for the single-byte sets, undefined for G1-only sets). */
  readonly g0: G0Set | undefined;
  /** What the term designates into G1. */
  readonly g1: G1Set | undefined;
  /**
   * Runs in this set's initial state are read as Shift_JIS, a superset of JIS X 0201 (ISO_IR 13):
   * what pydicom does, and what some Japanese writers put in files that declare ISO_IR 13.
   */
  readonly shiftJis: boolean;
}

/** A character set that excludes code extensions (Table C.12-5) or a codec found by name. */
export interface StandaloneCharset {
  readonly kind: 'standalone';
  readonly term: string;
  /** The WHATWG TextDecoder label. */
  readonly label: string;
}

export type Charset = CodeExtensionCharset | StandaloneCharset;

function ext(term: string, g0: G0Set | undefined, g1: G1Set | undefined, shiftJis = false) {
  return { kind: 'iso2022', term, g0, g1, shiftJis } as const satisfies CodeExtensionCharset;
}

function standalone(term: string, label: string) {
  return { kind: 'standalone', term, label } as const satisfies StandaloneCharset;
}

/** [single-byte set, ISO-IR registration number] of the single-byte Defined Terms. */
const SINGLE_BYTE_TERMS: ReadonlyArray<readonly [SingleByteSet, number]> = [
  ['iso-8859-1', 100],
  ['iso-8859-2', 101],
  ['iso-8859-3', 109],
  ['iso-8859-4', 110],
  ['iso-8859-5', 144],
  ['iso-8859-6', 127],
  ['iso-8859-7', 126],
  ['iso-8859-8', 138],
  ['iso-8859-9', 148],
  ['iso-8859-15', 203],
  ['tis-620', 166],
];

let definedTerms: ReadonlyMap<string, Charset> | undefined;

/** Defined Term (exact spelling) to character set. */
function defined(): ReadonlyMap<string, Charset> {
  if (definedTerms !== undefined) return definedTerms;
  const map = new Map<string, Charset>();
  const add = (charset: Charset) => map.set(charset.term, charset);
  add(ext('ISO_IR 6', 'ascii', undefined));
  add(ext('ISO 2022 IR 6', 'ascii', undefined));
  for (const [set, ir] of SINGLE_BYTE_TERMS) {
    add(ext(`ISO_IR ${ir}`, 'ascii', set));
    add(ext(`ISO 2022 IR ${ir}`, 'ascii', set));
  }
  add(ext('ISO_IR 13', 'jis-x0201-roman', 'jis-x0201-katakana', true));
  add(ext('ISO 2022 IR 13', 'jis-x0201-roman', 'jis-x0201-katakana', true));
  add(ext('ISO 2022 IR 87', 'jis-x0208', undefined));
  add(ext('ISO 2022 IR 159', 'jis-x0212', undefined));
  add(ext('ISO 2022 IR 149', undefined, 'ks-x1001'));
  add(ext('ISO 2022 IR 58', undefined, 'gb2312'));
  add(standalone('ISO_IR 192', 'utf-8'));
  add(standalone('GB18030', 'gb18030'));
  add(standalone('GBK', 'gbk'));
  // Spellings pydicom also accepts (from DICOM CP 1234 drafts).
  map.set('ISO 2022 GBK', map.get('GBK')!);
  map.set('ISO 2022 58', map.get('ISO 2022 IR 58')!);
  definedTerms = map;
  return map;
}

/** The default character repertoire (ISO-IR 6), for empty or unusable terms. */
export function defaultCharset(): CodeExtensionCharset {
  return defined().get('ISO_IR 6') as CodeExtensionCharset;
}

// ---------------------------------------------------------------------------------------------
// Escape sequences (PS3.3 tables C.12-3 and C.12-4)
// ---------------------------------------------------------------------------------------------

export type Designation =
  { readonly g: 0; readonly set: G0Set } | { readonly g: 1; readonly set: G1Set };

const ESC = 0x1b;

/** The bytes after ESC of each designation we know. */
const ESCAPES: ReadonlyArray<readonly [string, Designation]> = [
  ['(B', { g: 0, set: 'ascii' }],
  ['(J', { g: 0, set: 'jis-x0201-roman' }],
  [')I', { g: 1, set: 'jis-x0201-katakana' }],
  ['$B', { g: 0, set: 'jis-x0208' }],
  ['$(D', { g: 0, set: 'jis-x0212' }],
  ['$)C', { g: 1, set: 'ks-x1001' }],
  ['$)A', { g: 1, set: 'gb2312' }],
  ['-A', { g: 1, set: 'iso-8859-1' }],
  ['-B', { g: 1, set: 'iso-8859-2' }],
  ['-C', { g: 1, set: 'iso-8859-3' }],
  ['-D', { g: 1, set: 'iso-8859-4' }],
  ['-F', { g: 1, set: 'iso-8859-7' }],
  ['-G', { g: 1, set: 'iso-8859-6' }],
  ['-H', { g: 1, set: 'iso-8859-8' }],
  ['-L', { g: 1, set: 'iso-8859-5' }],
  ['-M', { g: 1, set: 'iso-8859-9' }],
  ['-T', { g: 1, set: 'tis-620' }],
  ['-b', { g: 1, set: 'iso-8859-15' }],
];

let escapeByKey: ReadonlyMap<string, Designation> | undefined;
let escapeBySet: ReadonlyMap<G0Set | G1Set, Uint8Array> | undefined;

/**
 * The escape sequence starting at `bytes[i]` (an ESC): its length and what it designates, or
 * undefined when it is incomplete or not one of the standard's.
 */
export function matchEscape(
  bytes: Uint8Array,
  i: number,
): { length: number; designation: Designation } | undefined {
  escapeByKey ??= new Map(ESCAPES);
  // ISO 2022: ESC, intermediate bytes 0x20-0x2F, one final byte 0x30-0x7E.
  let j = i + 1;
  while (j < bytes.length && bytes[j]! >= 0x20 && bytes[j]! <= 0x2f) j++;
  if (j >= bytes.length || j === i + 1 || bytes[j]! < 0x30 || bytes[j]! > 0x7e) return undefined;
  const key = String.fromCharCode(...bytes.subarray(i + 1, j + 1));
  const designation = escapeByKey.get(key);
  return designation === undefined ? undefined : { length: j + 1 - i, designation };
}

/** The escape sequence (with its ESC) that designates `set`. */
export function escapeFor(set: G0Set | G1Set): Uint8Array {
  escapeBySet ??= new Map(
    ESCAPES.map(([key, d]) => [
      d.set,
      Uint8Array.from([ESC, ...[...key].map((c) => c.charCodeAt(0))]),
    ]),
  );
  return escapeBySet.get(set)!;
}

// ---------------------------------------------------------------------------------------------
// Resolving the terms of a file
// ---------------------------------------------------------------------------------------------

/** Python codec names (normalised: lower case, runs of other characters as '_') to terms. */
const PYTHON_CODEC_TERMS: ReadonlyArray<readonly [string, string]> = [
  ['ISO_IR 6', 'ascii us_ascii us 646 iso646_us ansi_x3_4_1968 cp367 iso_ir_6'],
  ['ISO_IR 100', 'latin_1 latin1 latin l1 iso8859 iso8859_1 iso_8859_1 8859 cp819 iso_ir_100'],
  ['ISO_IR 101', 'iso8859_2 iso_8859_2 latin2 l2 iso_ir_101'],
  ['ISO_IR 109', 'iso8859_3 iso_8859_3 latin3 l3 iso_ir_109'],
  ['ISO_IR 110', 'iso8859_4 iso_8859_4 latin4 l4 iso_ir_110'],
  ['ISO_IR 144', 'iso8859_5 iso_8859_5 cyrillic iso_ir_144'],
  ['ISO_IR 127', 'iso8859_6 iso_8859_6 arabic asmo_708 ecma_114 iso_ir_127'],
  ['ISO_IR 126', 'iso8859_7 iso_8859_7 greek greek8 elot_928 ecma_118 iso_ir_126'],
  ['ISO_IR 138', 'iso8859_8 iso_8859_8 hebrew iso_ir_138'],
  ['ISO_IR 148', 'iso8859_9 iso_8859_9 latin5 l5 iso_ir_148'],
  ['ISO_IR 203', 'iso8859_15 iso_8859_15 latin9 l9'],
  ['ISO_IR 166', 'tis_620 tis620 tis_620_0 tis_620_2529_0 tis_620_2529_1 iso_ir_166'],
  ['ISO_IR 13', 'shift_jis sjis s_jis shiftjis csshiftjis'],
  ['ISO 2022 IR 87', 'iso2022_jp iso_2022_jp iso2022jp csiso2022jp'],
  ['ISO 2022 IR 159', 'iso2022_jp_2 iso_2022_jp_2 iso2022jp_2'],
  ['ISO 2022 IR 149', 'euc_kr euckr korean ksc5601 ks_c_5601 ks_c_5601_1987 ksx1001 ks_x_1001'],
  ['ISO 2022 IR 58', 'gb2312 gb2312_1980 gb2312_80 euc_cn euccn eucgb2312_cn chinese iso_ir_58'],
  ['ISO_IR 192', 'utf_8 utf8 u8 utf cp65001 utf8_ucs2 utf8_ucs4'],
  ['GBK', 'gbk cp936 ms936 936'],
  ['GB18030', 'gb18030 gb18030_2000'],
];

let pythonNames: ReadonlyMap<string, string> | undefined;

function normaliseCodecName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** A term that is not a Defined Term but names a codec, as Python's codecs.lookup would accept. */
function charsetForCodecName(term: string): Charset | undefined {
  pythonNames ??= new Map(
    PYTHON_CODEC_TERMS.flatMap(([dicomTerm, names]) =>
      names.split(' ').map((name) => [name, dicomTerm] as const),
    ),
  );
  const dicomTerm = pythonNames.get(normaliseCodecName(term));
  if (dicomTerm !== undefined) return defined().get(dicomTerm);
  // Any other encoding the WHATWG decoders know (windows-1251, koi8-r, big5, euc-jp...), read
  // as a whole like a stand-alone set. Names that WHATWG maps to windows-1252 or -1254 were
  // caught above when they mean ISO 8859-1 or -9.
  for (const label of [term, term.replace(/_/g, '-')]) {
    let encoding: string;
    try {
      encoding = new TextDecoder(label).encoding;
    } catch {
      continue; // not a label
    }
    // 'replacement' is what WHATWG makes of ISO-2022-KR, HZ and the like: it decodes nothing.
    return encoding === 'replacement' ? undefined : standalone(term, encoding);
  }
  return undefined;
}

/** The stand-alone Defined Terms, which exclude code extensions (Table C.12-5). */
function isStandalone(charset: Charset): boolean {
  return charset.kind === 'standalone';
}

export interface ResolvedTerms {
  /** The character sets, value 1 first. Never empty. */
  readonly charsets: readonly Charset[];
  /** What was corrected or ignored, one sentence each (pydicom warns about the same things). */
  readonly warnings: readonly string[];
}

/**
 * Resolves the values of (0008,0005) (split on backslash; an empty value 1 means the default
 * repertoire) the way pydicom 2.3.1's convert_encodings does:
 * - a Defined Term is used as is ('' and 'ISO_IR 6' are the default repertoire);
 * - 'ISO IR 100', 'ISO-IR 100'... are read as 'ISO_IR 100', and 'ISO_2022-IR 100',
 *   'ISO_2022_IR+100'... as 'ISO 2022 IR 100' (when the corrected term exists; else default);
 * - a Python codec name ('utf8', 'latin_1', 'shift_jis'...) is used as that codec;
 * - anything else is replaced by the default repertoire;
 * - a stand-alone set (ISO_IR 192, GB18030, GBK) as value 1 makes the other values ignored, and
 *   as a later value it is ignored itself.
 * Unlike pydicom, ISO_IR 203 (ISO 8859-15) is known, and terms are trimmed of spaces.
 */
export function resolveTerms(terms: readonly string[]): ResolvedTerms {
  const warnings: string[] = [];
  const values = terms.length === 0 ? [''] : terms.map((t) => t.trim());
  let charsets = values.map((term) => resolveTerm(term, warnings));
  if (charsets.length > 1) {
    if (isStandalone(charsets[0]!)) {
      warnings.push(
        `'${values[0]}' does not allow code extensions: ignoring ${values.slice(1).join(', ')}`,
      );
      charsets = charsets.slice(0, 1);
    } else {
      charsets = charsets.filter((charset, i) => {
        if (i === 0 || !isStandalone(charset)) return true;
        warnings.push(`'${values[i]}' cannot be used as a code extension: ignoring it`);
        return false;
      });
    }
  }
  return { charsets, warnings };
}

function resolveTerm(term: string, warnings: string[]): Charset {
  if (term === '') return defaultCharset();
  const exact = defined().get(term);
  if (exact !== undefined) return exact;
  let patched: string | undefined;
  if (/^ISO[^_]IR/.test(term)) patched = 'ISO_IR' + term.slice(6);
  else if (/^ISO.2022.IR./.test(term) && !term.startsWith('ISO 2022 IR ')) {
    patched = 'ISO 2022 IR ' + term.slice(12);
  }
  if (patched !== undefined) {
    const corrected = defined().get(patched);
    if (corrected !== undefined) {
      warnings.push(
        `Specific Character Set '${term}' is not a Defined Term: assuming '${patched}'`,
      );
      return corrected;
    }
    warnings.push(`Unknown Specific Character Set '${term}': using the default repertoire`);
    return defaultCharset();
  }
  const codec = charsetForCodecName(term);
  if (codec !== undefined) return codec;
  warnings.push(`Unknown Specific Character Set '${term}': using the default repertoire`);
  return defaultCharset();
}
