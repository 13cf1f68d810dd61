// Specific Character Set (0008,0005): src/dicom/charset against the examples of PS3.5 Annexes
// H-K, pydicom 2.3.1's own test vectors, the corpus files and Python's code tables (the
// reference values come from pydicom through test/dicom/fixtures/pydicom_charset_values.py).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { charsetDecoder, charsetEncoder, resolveTerms } from '../../src/dicom/charset/index.js';
import { doubleByteEncodeMap, type DoubleByteSet } from '../../src/dicom/charset/tables.js';
import { DicomError } from '../../src/dicom/errors.js';
import type { VR } from '../../src/dicom/vr.js';
import { corpusPath, readManifest } from '../helpers/corpus.js';
import { skipWhenMissing } from '../helpers/skip.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Bytes from hex, ignoring spaces. */
function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Bytes from a mix of ASCII text and `<hex>` groups: 'Buc^J<e9>r<f4>me'. */
function bytesOf(spec: string): Uint8Array {
  const out: number[] = [];
  for (const [, ascii, hexPart] of spec.matchAll(/([^<]+)|<([0-9a-fA-F ]+)>/g)) {
    if (ascii !== undefined) for (const c of ascii) out.push(c.charCodeAt(0));
    else out.push(...hex(hexPart!));
  }
  return Uint8Array.from(out);
}

function decode(terms: readonly string[], bytes: Uint8Array, vr: VR): string {
  return charsetDecoder(terms).decode(bytes, vr);
}

function encodeHex(terms: readonly string[], text: string, vr: VR): string {
  return toHex(charsetEncoder(terms).encode(text, vr));
}

/**
 * Our decoded text seen the way pydicom 2.3.1 presents the value (values.py convert_text,
 * convert_single_string, convert_PN; valuerep.PersonName): split on '\' except for LT ST UT,
 * trailing spaces and NULs removed; a PN value stripped of white space at both ends, its
 * trailing empty groups removed.
 */
function pydicomView(text: string, vr: VR): string[] {
  const rstrip = (s: string) => s.replace(/[\0 ]+$/, '');
  if (vr === 'LT' || vr === 'ST' || vr === 'UT') return [rstrip(text)];
  if (vr !== 'PN') return text.split('\\').map(rstrip);
  return rstrip(text)
    .split('\\')
    .map((value) => {
      const groups = value.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '').split('=');
      while (groups.length > 0 && groups[groups.length - 1] === '') groups.pop();
      return groups.join('=');
    });
}

function assertNotEncodable(fn: () => unknown): void {
  assert.throws(
    fn,
    (error: unknown) => error instanceof DicomError && error.code === 'NOT_ENCODABLE',
  );
}

// ---------------------------------------------------------------------------------------------
// pydicom, the reference
// ---------------------------------------------------------------------------------------------

const PYTHON = '/usr/bin/python3'; // Debian's python3-pydicom is installed for this Python only
const HELPER = fileURLToPath(new URL('./fixtures/pydicom_charset_values.py', import.meta.url));

function pydicomVersion(): string | undefined {
  try {
    const out = execFileSync(PYTHON, ['-c', 'import pydicom; print(pydicom.__version__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.trim();
  } catch {
    return undefined;
  }
}

const PYDICOM_VERSION = pydicomVersion();
/** The reference values and the known differences are those of pydicom 2.3.1. */
const skipPydicom = skipWhenMissing(
  PYDICOM_VERSION === '2.3.1'
    ? false
    : `needs pydicom 2.3.1 for ${PYTHON} (found: ${PYDICOM_VERSION ?? 'none'})`,
);

function runHelper(args: string[], input?: string): unknown {
  const stdout = execFileSync(PYTHON, [HELPER, ...args], {
    encoding: 'utf8',
    input,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(stdout) as unknown;
}

/** A value pydicom could not decode stays bytes; the helper prints it as {undecoded: hex}. */
type PydicomValue = string | { undecoded: string };

interface PydicomElement {
  readonly path: string;
  readonly vr?: VR;
  readonly charset?: string[];
  readonly hex?: string;
  readonly values?: PydicomValue[];
  readonly error?: string;
}

interface PydicomFile {
  readonly file: string;
  readonly error: string | null;
  readonly elements: PydicomElement[];
}

/** pydicom's reading of whole files, in one Python process per list. */
function pydicomFiles(paths: readonly string[]): Map<string, PydicomFile> {
  const result = runHelper([...paths]) as { files: PydicomFile[] };
  return new Map(result.files.map((f) => [f.file, f]));
}

interface ValueCase {
  readonly terms: readonly string[];
  readonly vr: VR;
  readonly bytes: Uint8Array;
}

/** pydicom's values for raw elements with the given (0008,0005) values. */
function pydicomValues(cases: readonly ValueCase[]): { values?: PydicomValue[]; error?: string }[] {
  const input = JSON.stringify(
    cases.map((c) => ({ terms: c.terms, vr: c.vr, hex: toHex(c.bytes) })),
  );
  return runHelper(['--values'], input) as { values?: PydicomValue[]; error?: string }[];
}

// ---------------------------------------------------------------------------------------------
// Known differences (test/dicom/fixtures/charset-differences.json)
// ---------------------------------------------------------------------------------------------

interface KnownDifference {
  /** Corpus path and element path, or example name, or table and value hex. */
  readonly file?: string;
  readonly path?: string;
  readonly example?: string;
  readonly table?: string;
  readonly hex?: string;
  readonly reason: string;
  readonly pydicom: PydicomValue[] | string | null;
  readonly ours: string[] | string;
}

const DIFFERENCES = JSON.parse(
  readFileSync(new URL('./fixtures/charset-differences.json', import.meta.url), 'utf8'),
) as { corpus: KnownDifference[]; examples: KnownDifference[]; tables: KnownDifference[] };

// ---------------------------------------------------------------------------------------------
// The standard's examples (PS3.5 Annexes H, I, J, K)
// ---------------------------------------------------------------------------------------------

interface Example {
  readonly name: string;
  readonly terms: readonly string[];
  readonly vr: VR;
  readonly bytes: Uint8Array;
  /** Our decoded text, exactly (delimiters and padding included). */
  readonly text: string;
  /** The encoder writes exactly these bytes for `text` (when the example is canonical). */
  readonly encodes?: boolean;
}

const JAPANESE_ASCII =
  '59616d6164615e5461726f753d 1b2442 3b334544 1b2842 5e 1b2442 42404f3a 1b2842 3d' +
  '1b2442 2464245e2440 1b2842 5e 1b2442 243f246d2426 1b2842';
const JAPANESE_JISX0201 =
  'd4cfc0de5ec0dbb3 3d 1b2442 3b334544 1b284a 5e 1b2442 42404f3a 1b284a 3d' +
  '1b2442 2464245e2440 1b284a 5e 1b2442 243f246d2426 1b284a';
const KOREAN_PN =
  '486f6e675e47696c646f6e673d 1b242943 fbf3 5e 1b242943 d1ced4d7 3d 1b242943 c8ab 5e' +
  '1b242943 b1e6b5bf';
const KOREAN_LT =
  '1b242943 54686520317374206c696e6520696e636c7564657320 b1e6b5bf 2e 0d0a' +
  '1b242943 54686520326e64206c696e6520696e636c7564657320 b1e6b5bf 2c20746f6f2e 0d0a' +
  '5468652033726420 6c696e652e';
const CHINESE_LT =
  'The first line includes中文.\r\nThe second line includes中文, too.\r\nThe third line.\r\n';

const EXAMPLES: readonly Example[] = [
  {
    name: 'H.3.1 Japanese person name, value 1 ISO 2022 IR 6',
    terms: ['', 'ISO 2022 IR 87'],
    vr: 'PN',
    bytes: hex(JAPANESE_ASCII),
    text: 'Yamada^Tarou=山田^太郎=やまだ^たろう',
    encodes: true,
  },
  {
    name: 'H.3.2 Japanese person name, value 1 ISO 2022 IR 13',
    terms: ['ISO 2022 IR 13', 'ISO 2022 IR 87'],
    vr: 'PN',
    bytes: hex(JAPANESE_JISX0201),
    text: 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
    encodes: true,
  },
  {
    name: 'I.2 Korean person name',
    terms: ['', 'ISO 2022 IR 149'],
    vr: 'PN',
    bytes: hex(KOREAN_PN),
    text: 'Hong^Gildong=洪^吉洞=홍^길동',
    encodes: true,
  },
  {
    name: 'I.3 Korean long text',
    terms: ['', 'ISO 2022 IR 149'],
    vr: 'LT',
    bytes: hex(KOREAN_LT),
    text: 'The 1st line includes 길동.\r\nThe 2nd line includes 길동, too.\r\nThe 3rd line.',
  },
  {
    name: 'J.1 Chinese person name in UTF-8',
    terms: ['ISO_IR 192'],
    vr: 'PN',
    bytes: hex('57616e675e5869616f446f6e673d e78e8b 5e e5b08f e69db1 3d'),
    text: 'Wang^XiaoDong=王^小東=',
    encodes: true,
  },
  {
    name: 'J.2 Chinese long text in UTF-8',
    terms: ['ISO_IR 192'],
    vr: 'LT',
    bytes: new TextEncoder().encode(CHINESE_LT),
    text: CHINESE_LT,
    encodes: true,
  },
  {
    name: 'J.3 Chinese person name in GB18030',
    terms: ['GB18030'],
    vr: 'PN',
    bytes: hex('57616e675e5869616f446f6e673d cdf5 5e d0a1b6ab 3d'),
    text: 'Wang^XiaoDong=王^小东=',
    encodes: true,
  },
  {
    name: 'J.4 Chinese long text in GB18030',
    terms: ['GB18030'],
    vr: 'LT',
    bytes: bytesOf(
      'The first line includes<d6d0cec4>.\r\nThe second line includes<d6d0cec4>, too.\r\n' +
        'The third line.\r\n',
    ),
    text: CHINESE_LT,
    encodes: true,
  },
  {
    name: 'J.3 Chinese person name in GBK',
    terms: ['GBK'],
    vr: 'PN',
    bytes: hex('57616e675e5869616f446f6e673d cdf5 5e d0a1b6ab 3d'),
    text: 'Wang^XiaoDong=王^小东=',
    encodes: true,
  },
  {
    name: 'K.2 Chinese person name with ISO 2022 IR 58 (with its SPACE pad)',
    terms: ['', 'ISO 2022 IR 58'],
    vr: 'PN',
    bytes: hex('5A68616E675E5869616F446F6E673D 1B242941 D5C5 5E 1B242941 D0A1B6AB 3D 20'),
    text: 'Zhang^XiaoDong=张^小东= ',
  },
  {
    name: 'K.3 Chinese long text with ISO 2022 IR 58',
    terms: ['', 'ISO 2022 IR 58'],
    vr: 'LT',
    bytes: hex(
      '312e 1B242941 B5DAD2BBD0D0CEC4D7D6A1A3 0D0A 322e 1B242941 B5DAB6FED0D0CEC4D7D6A1A3 0D0A' +
        '332e 1B242941 B5DAC8FDD0D0CEC4D7D6A1A3 0D0A',
    ),
    text: '1.第一行文字。\r\n2.第二行文字。\r\n3.第三行文字。\r\n',
    encodes: true,
  },
  {
    name: 'K.3 (2015 edition) Chinese long text with ISO 2022 IR 58 and ESC ( B before CR LF',
    terms: ['', 'ISO 2022 IR 58'],
    vr: 'LT',
    bytes: hex(
      '312e 1B242941 B5DAD2BBD0D0CEC4D7D6A1A3 1B2842 0D0A 322e 1B242941 B5DAB6FED0D0CEC4D7D6A1A3' +
        '1B2842 0D0A 332e 1B242941 B5DAC8FDD0D0CEC4D7D6A1A3 1B2842 0D0A 20',
    ),
    text: '1.第一行文字。\r\n2.第二行文字。\r\n3.第三行文字。\r\n ',
  },
];

/** pydicom 2.3.1's test vectors (tests/test_charset.py) and cases around its rules. */
const VECTORS: readonly Example[] = [
  // ENCODED_NAMES: single-byte sets as code extensions after ASCII.
  ...(
    [
      ['ISO 2022 IR 13', 'ﾔﾏﾀﾞ^ﾀﾛｳ', '1b2949d4cfc0de5e1b2949c0dbb3'],
      ['ISO 2022 IR 100', 'Buc^Jérôme', '1b2d414275635e1b2d414ae972f46d65'],
      ['ISO 2022 IR 101', 'Wałęsa', '1b2d425761b3ea7361'],
      ['ISO 2022 IR 109', 'antaŭnomo', '1b2d43616e7461fd6e6f6d6f'],
      ['ISO 2022 IR 110', 'vārds', '1b2d4476e0726473'],
      ['ISO 2022 IR 127', 'قباني^لنزار', '1b2d47e2c8c7e6ea5e1b2d47e4e6d2c7d1'],
      ['ISO 2022 IR 126', 'Διονυσιος', '1b2d46c4e9efedf5f3e9eff2'],
      ['ISO 2022 IR 138', 'שרון^דבורה', '1b2d48f9f8e5ef5e1b2d48e3e1e5f8e4'],
      ['ISO 2022 IR 144', 'Люкceмбypг', '1b2d4cbbeeda6365dcd17970d3'],
      ['ISO 2022 IR 148', 'Çavuşoğlu', '1b2d4dc7617675fe6ff06c75'],
      ['ISO 2022 IR 166', 'นามสกุล', '1b2d54b9d2c1caa1d8c5'],
    ] as const
  ).map(([term, text, bytes]): Example => ({
    name: `code extension ${term}`,
    terms: ['', term],
    vr: 'PN',
    bytes: Uint8Array.from([...bytesOf('ASCII+'), ...hex(bytes)]),
    text: 'ASCII+' + text,
  })),
  {
    name: 'missing escape sequence after a PN delimiter: back to value 1 (latin-1 fallback)',
    terms: ['', 'ISO 2022 IR 13'],
    vr: 'PN',
    bytes: bytesOf('ASCII+<1b2949d4cfc0de5ec0dbb3>'),
    text: 'ASCII+ﾔﾏﾀﾞ^ÀÛ³',
  },
  {
    name: 'value 1 is used until an escape sequence (PN)',
    terms: ['ISO 2022 IR 100', 'ISO 2022 IR 144'],
    vr: 'PN',
    bytes: bytesOf('Buc^J<e9>r<f4>me'),
    text: 'Buc^Jérôme',
  },
  {
    name: 'value 1 is used until an escape sequence (LO)',
    terms: ['ISO 2022 IR 100', 'ISO 2022 IR 144'],
    vr: 'LO',
    bytes: bytesOf('R<f6>ntgenaufnahme'),
    text: 'Röntgenaufnahme',
  },
  {
    name: 'PN groups in different single-byte sets',
    terms: ['ISO 2022 IR 100', 'ISO 2022 IR 126'],
    vr: 'PN',
    bytes: bytesOf('Dionysios=<1b2d46c4e9efedf5f3e9eff2>'),
    text: 'Dionysios=Διονυσιος',
  },
  {
    name: 'PN values in different single-byte sets',
    terms: ['ISO 2022 IR 100', 'ISO 2022 IR 144', 'ISO 2022 IR 126'],
    vr: 'PN',
    bytes: bytesOf('Buc^J<e9>r<f4>me\\<1b2d46c4e9efedf5f3e9eff2>\\<1b2d4cbbeeda6365dcd17970d3>'),
    text: 'Buc^Jérôme\\Διονυσιος\\Люкceмбypг',
  },
  {
    name: 'LO values in different single-byte sets',
    terms: ['ISO 2022 IR 100', 'ISO 2022 IR 144', 'ISO 2022 IR 126'],
    vr: 'LO',
    bytes: bytesOf('Buc^J<e9>r<f4>me\\<1b2d46c4e9efedf5f3e9eff2>\\<1b2d4cbbeeda6365dcd17970d3>'),
    text: 'Buc^Jérôme\\Διονυσιος\\Люкceмбypг',
  },
  {
    name: 'change of set inside a LO value',
    terms: ['ISO 2022 IR 100', 'ISO 2022 IR 126'],
    vr: 'LO',
    bytes: bytesOf('Dionysios is <1b2d46c4e9efedf5f3e9eff2>'),
    text: 'Dionysios is Διονυσιος',
  },
  {
    name: 'a TAB in LT returns to value 1; ^ does not',
    terms: ['ISO 2022 IR 100', 'ISO 2022 IR 126'],
    vr: 'LT',
    bytes: bytesOf('<1b2d46c4e9>^<ef>\t<e9>'),
    text: 'Δι^ο\té',
  },
  {
    name: 'a backslash in ST is text, not a value delimiter',
    terms: ['ISO 2022 IR 100', 'ISO 2022 IR 126'],
    vr: 'ST',
    bytes: bytesOf('<1b2d46c4>\\<c4>'),
    text: 'Δ\\Δ',
  },
  {
    name: "Japanese with ISO 2022 IR 159 (pydicom's Mori^Ogai)",
    terms: ['ISO 2022 IR 6', 'ISO 2022 IR 87', 'ISO 2022 IR 159'],
    vr: 'PN',
    bytes: hex(
      '4d6f72695e4f6761693d1b24423f391b28425e1b2428446c3f1b244233301b28423d1b24422462246a1b2842' +
        '5e1b2442242a2426242c24241b2842',
    ),
    text: 'Mori^Ogai=森^鷗外=もり^おうがい',
    encodes: true,
  },
  {
    name: 'Japanese mixing four sets (pydicom test_japanese_multi_byte_encoding)',
    terms: ['ISO 2022 IR 13', 'ISO 2022 IR 87', 'ISO 2022 IR 159'],
    vr: 'LO',
    bytes: bytesOf('<1b2442>$"<1b284a>a<1b2949b1>' + '<1b2442>%"<1b242844>mN<1b284a>'),
    text: 'あaｱア齩',
  },
  {
    name: 'Korean without escape sequences when value 1 is ISO 2022 IR 149 (EUC-KR)',
    terms: ['ISO 2022 IR 149'],
    vr: 'LO',
    bytes: hex('b1e8c8f1c1df'),
    text: '김희중',
  },
  {
    name: 'stand-alone value 1: the other values are ignored',
    terms: ['ISO_IR 192', 'ISO 2022 IR 100', 'ISO 2022 IR 144'],
    vr: 'PN',
    bytes: bytesOf('Buc^J<c3a9>r<c3b4>me'),
    text: 'Buc^Jérôme',
  },
  {
    name: 'stand-alone sets as code extensions are ignored',
    terms: ['ISO_IR 126', 'GBK', 'ISO 2022 IR 144', 'ISO_IR 192'],
    vr: 'PN',
    bytes: bytesOf('<c4e9>^<1b2d4cbbee>'),
    text: 'Δι^Лю',
  },
  {
    name: 'misspelled ISO IR 192',
    terms: ['ISO IR 192'],
    vr: 'PN',
    bytes: bytesOf('Buc^J<c3a9>r<c3b4>me'),
    text: 'Buc^Jérôme',
  },
  {
    name: 'misspelled ISO-IR 144 as value 2',
    terms: ['ISO_IR 100', 'ISO-IR 144'],
    vr: 'PN',
    bytes: bytesOf('Buc^J<e9>r<f4>me=<1b2d4cbbee>'),
    text: 'Buc^Jérôme=Лю',
  },
  {
    name: 'misspelled ISO_2022-IR 100 and ISO_2022_IR+126',
    terms: ['ISO_2022-IR 100', 'ISO_2022_IR+126'],
    vr: 'PN',
    bytes: bytesOf('Dionysios=<1b2d46c4e9efedf5f3e9eff2>'),
    text: 'Dionysios=Διονυσιος',
  },
  {
    name: 'unknown ISOIR 192: default repertoire, 8-bit bytes as latin-1',
    terms: ['ISOIR 192'],
    vr: 'PN',
    bytes: bytesOf('Buc^J<c3a9>r<c3b4>me'),
    text: 'Buc^JÃ©rÃ´me',
  },
  {
    name: 'unknown term UNSUPPORTED: default repertoire',
    terms: ['UNSUPPORTED'],
    vr: 'PN',
    bytes: bytesOf('CompressedSamples^CT1'),
    text: 'CompressedSamples^CT1',
  },
  {
    name: 'Python codec name utf8',
    terms: ['utf8'],
    vr: 'PN',
    bytes: bytesOf('Buc^J<c3a9>r<c3b4>me'),
    text: 'Buc^Jérôme',
  },
  {
    name: 'Python codec name latin_1',
    terms: ['latin_1'],
    vr: 'LO',
    bytes: bytesOf('R<f6>ntgen'),
    text: 'Röntgen',
  },
  {
    name: 'default repertoire with 8-bit bytes: latin-1',
    terms: [],
    vr: 'PN',
    bytes: bytesOf('Buc^J<e9>r<f4>me'),
    text: 'Buc^Jérôme',
  },
  {
    name: 'empty value 1 is the default repertoire',
    terms: [''],
    vr: 'LO',
    bytes: bytesOf('<c4>neas'),
    text: 'Äneas',
  },
  {
    name: 'ISO_IR 13: Shift_JIS kanji are read too, 0x5C and 0x7E are \\ and ~',
    terms: ['ISO_IR 13'],
    vr: 'LO',
    bytes: bytesOf('<c6 ce dd 8cea>~'),
    text: 'ﾆﾎﾝ語~',
  },
  {
    name: 'UTF-8 that does not decode',
    terms: ['ISO_IR 192'],
    vr: 'PN',
    bytes: hex('c4e9efedf5f3e9eff2'),
    text: '\ufffd'.repeat(9),
  },
  {
    name: 'JIS X 0212 escape followed by 8-bit bytes',
    terms: ['ISO 2022 IR 159'],
    vr: 'PN',
    bytes: hex('1b242844c4e9efedf5f3e9eff2'),
    text: '\ufffd'.repeat(9),
  },
  {
    name: 'CR LF end a JIS X 0208 run',
    terms: ['', 'ISO 2022 IR 87'],
    vr: 'LT',
    bytes: bytesOf('<1b2442>;3<0d0a>;3'),
    text: '山\r\n;3',
  },
  {
    name: 'UTF-8 byte order mark is kept',
    terms: ['ISO_IR 192'],
    vr: 'LO',
    bytes: hex('efbbbf41'),
    text: '\ufeffA',
  },
  {
    name: 'VRs outside the Specific Character Set read as latin-1',
    terms: ['ISO_IR 192'],
    vr: 'CS',
    bytes: bytesOf('A<c3a9>'),
    text: 'AÃ©',
  },
  // Where pydicom 2.3.1 goes wrong (listed in charset-differences.json):
  {
    name: 'a JIS X 0208 character whose first byte is = (純) in a PN',
    terms: ['', 'ISO 2022 IR 87'],
    vr: 'PN',
    bytes: bytesOf('Jun=<1b2442>=c0l<1b2842>'),
    text: 'Jun=純一',
  },
  {
    name: 'a GBK character whose second byte is \\ (誠) in a multi-valued LO',
    terms: ['GBK'],
    vr: 'LO',
    bytes: hex('d55c 5c 41'),
    text: '誠\\A',
  },
  {
    name: 'a Shift_JIS character whose second byte is \\ (表) with ISO_IR 13',
    terms: ['ISO_IR 13'],
    vr: 'LO',
    bytes: hex('955c'),
    text: '表',
  },
  {
    name: 'ESC ( B designates ASCII to G0 only: katakana in G1 stay',
    terms: ['ISO 2022 IR 13', 'ISO 2022 IR 87'],
    vr: 'PN',
    bytes: bytesOf('<1b2442>;3<1b2842 d4cf>'),
    text: '山ﾔﾏ',
  },
  {
    name: 'an escape sequence of the standard to an undeclared set is followed',
    terms: ['ISO_IR 100'],
    vr: 'PN',
    bytes: hex('1b2d46c4e9efedf5f3e9eff2'),
    text: 'Διονυσιος',
  },
  {
    name: 'ISO_IR 203 (ISO 8859-15), which pydicom does not know',
    terms: ['ISO_IR 203'],
    vr: 'LO',
    bytes: bytesOf('<a4 bd>'),
    text: '€œ',
  },
  {
    name: 'ESC in a UTF-8 value is a control character, not an escape sequence',
    terms: ['ISO_IR 192'],
    vr: 'LO',
    bytes: bytesOf('A<1b2842 c3a9>'),
    text: 'A\u001b(Bé',
  },
  {
    name: 'an unknown escape sequence is kept as text',
    terms: ['', 'ISO 2022 IR 87'],
    vr: 'LO',
    bytes: bytesOf('A<1b2843>B'),
    text: 'A\u001b(CB',
  },
];

describe('PS3.5 Annex H-K examples', () => {
  for (const example of EXAMPLES) {
    test(`decodes ${example.name}`, () => {
      assert.equal(decode(example.terms, example.bytes, example.vr), example.text);
    });
    if (example.encodes === true) {
      test(`encodes ${example.name} to the standard's bytes`, () => {
        assert.equal(encodeHex(example.terms, example.text, example.vr), toHex(example.bytes));
      });
    }
  }

  test('encodes the Korean long text (I.3) to bytes that decode back', () => {
    const text = 'The 1st line includes 길동.\r\nThe 2nd line includes 길동, too.\r\nThe 3rd line.';
    const bytes = charsetEncoder(['', 'ISO 2022 IR 149']).encode(text, 'LT');
    assert.equal(
      toHex(bytes),
      toHex(
        bytesOf(
          'The 1st line includes <1b242943 b1e6b5bf>.\r\nThe 2nd line includes <1b242943 b1e6b5bf>' +
            ', too.\r\nThe 3rd line.',
        ),
      ),
    );
    assert.equal(decode(['', 'ISO 2022 IR 149'], bytes, 'LT'), text);
  });

  test('encodes the GB 2312 person name (K.2) like the standard, without its pad', () => {
    assert.equal(
      encodeHex(['', 'ISO 2022 IR 58'], 'Zhang^XiaoDong=张^小东=', 'PN'),
      toHex(hex('5A68616E675E5869616F446F6E673D 1B242941 D5C5 5E 1B242941 D0A1B6AB 3D')),
    );
  });
});

describe('pydicom test vectors and edge cases', () => {
  for (const vector of VECTORS) {
    test(vector.name, () => {
      assert.equal(decode(vector.terms, vector.bytes, vector.vr), vector.text);
    });
  }
});

describe('examples and vectors written back', () => {
  test('every text that the character set can hold reads back the same', () => {
    let written = 0;
    for (const c of [...EXAMPLES, ...VECTORS]) {
      let bytes: Uint8Array;
      try {
        bytes = charsetEncoder(c.terms).encode(c.text, c.vr);
      } catch (error) {
        // U+FFFD, ESC, or latin-1 read from a default-repertoire value: not writable.
        assert.ok(error instanceof DicomError && error.code === 'NOT_ENCODABLE', c.name);
        continue;
      }
      assert.equal(decode(c.terms, bytes, c.vr), c.text, c.name);
      written++;
    }
    assert.ok(written >= 45, `${written} written`);
  });
});

describe('agrees with pydicom 2.3.1 on the examples and vectors', () => {
  const cases = [...EXAMPLES, ...VECTORS];
  const known = new Map(DIFFERENCES.examples.map((d) => [d.example, d]));
  let reference: ReturnType<typeof pydicomValues> | undefined;
  const pydicomOf = (i: number) => (reference ??= pydicomValues(cases))[i]!;

  test('every example and vector not listed as a known difference', { skip: skipPydicom }, () => {
    const mismatches: unknown[] = [];
    cases.forEach((c, i) => {
      if (known.has(c.name)) return;
      const ours = pydicomView(decode(c.terms, c.bytes, c.vr), c.vr);
      const theirs = pydicomOf(i);
      if (!isDeepEqual(theirs.values, ours))
        mismatches.push({ name: c.name, ours, pydicom: theirs });
    });
    assert.deepEqual(mismatches, []);
  });

  for (const [name, difference] of known) {
    test(`known difference: ${name}: ${difference.reason}`, { skip: skipPydicom }, () => {
      const i = cases.findIndex((c) => c.name === name);
      assert.ok(i >= 0, `no example or vector named ${name}`);
      const c = cases[i]!;
      assert.deepEqual(pydicomView(decode(c.terms, c.bytes, c.vr), c.vr), difference.ours);
      assert.deepEqual(pydicomOf(i).values, difference.pydicom);
    });
  }
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Terms
// ---------------------------------------------------------------------------------------------

describe('Specific Character Set terms', () => {
  test('resolves Defined Terms, corrections and codec names, with warnings', () => {
    const terms = (values: string[]) => resolveTerms(values).charsets.map((c) => c.term);
    assert.deepEqual(terms([]), ['ISO_IR 6']);
    assert.deepEqual(terms(['', 'ISO 2022 IR 87']), ['ISO_IR 6', 'ISO 2022 IR 87']);
    assert.deepEqual(terms(['ISO-IR 100']), ['ISO_IR 100']);
    assert.deepEqual(terms(['ISO IR 192']), ['ISO_IR 192']);
    assert.deepEqual(terms(['ISO_2022_IR_87']), ['ISO 2022 IR 87']);
    assert.deepEqual(terms(['ISO_IR 100 ']), ['ISO_IR 100']);
    assert.deepEqual(terms(['ISO 2022 IR 146']), ['ISO_IR 6']);
    assert.deepEqual(terms(['ISO_IR 192', 'ISO 2022 IR 100']), ['ISO_IR 192']);
    assert.deepEqual(terms(['ISO_IR 126', 'GBK', 'ISO 2022 IR 144']), [
      'ISO_IR 126',
      'ISO 2022 IR 144',
    ]);
    assert.deepEqual(terms(['shift_jis']), ['ISO_IR 13']);
    assert.deepEqual(terms(['windows-1251']), ['windows-1251']);
    assert.deepEqual(resolveTerms(['ISO_IR 100']).warnings, []);
    assert.equal(resolveTerms(['ISO-IR 100']).warnings.length, 1);
    assert.match(resolveTerms(['BOGUS']).warnings[0]!, /Unknown Specific Character Set 'BOGUS'/);
  });

  test('caches decoders and encoders per list of terms', () => {
    assert.equal(charsetDecoder(['ISO_IR 100']), charsetDecoder(['ISO_IR 100']));
    assert.equal(charsetEncoder(['', 'ISO 2022 IR 87']), charsetEncoder(['', 'ISO 2022 IR 87']));
    assert.notEqual(charsetDecoder(['ISO_IR 100']), charsetDecoder(['ISO_IR 101']));
  });
});

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** Single-byte terms and a sample of their repertoire. */
const SINGLE_BYTE_SAMPLES: ReadonlyArray<readonly [string, string]> = [
  ['ISO_IR 100', 'Buc^Jérôme Äneas Rüdiger ÿ¡¿ß'],
  ['ISO_IR 101', 'Wałęsa Dvořák Šťastný'],
  ['ISO_IR 109', 'antaŭnomo ĉĝĥĵŝ Ħ'],
  ['ISO_IR 110', 'vārds ķēniņš Ŗ'],
  ['ISO_IR 126', 'Διονυσιος ΑΩ άώ'],
  ['ISO_IR 127', 'قباني^لنزار'],
  ['ISO_IR 138', 'שרון^דבורה'],
  ['ISO_IR 144', 'Люкceмбypг Ёё'],
  ['ISO_IR 148', 'Çavuşoğlu İı Ğğ'],
  ['ISO_IR 166', 'นามสกุล'],
  ['ISO_IR 203', 'Œuvre 10€ šž'],
  ['ISO_IR 13', 'ﾔﾏﾀﾞ^ﾀﾛｳ'],
  ['ISO 2022 IR 100', 'Buc^Jérôme'],
];

describe('encoding', () => {
  for (const [term, sample] of SINGLE_BYTE_SAMPLES) {
    test(`${term}: every character of the set round-trips`, () => {
      const decoder = charsetDecoder([term]);
      const encoder = charsetEncoder([term]);
      const bytes = encoder.encode(sample, 'PN');
      assert.equal(bytes.length, [...sample].length, 'one byte per character');
      assert.equal(decoder.decode(bytes, 'PN'), sample);
      // Every byte 0x20-0xFF that decodes to a character encodes back to that byte.
      for (let b = 0x20; b < 0x100; b++) {
        if (b === 0x7f) continue;
        const char = decoder.decode(Uint8Array.of(b), 'LT');
        if (char === '\ufffd' || (term === 'ISO_IR 13' && b >= 0x80 && char.length !== 1)) continue;
        if (term === 'ISO_IR 13' && b >= 0x80 && !(b >= 0xa1 && b <= 0xdf)) continue;
        assert.deepEqual([...encoder.encode(char, 'LT')], [b], `${term} byte ${b.toString(16)}`);
      }
    });
  }

  test('UTF-8 round-trips any text, including astral characters', () => {
    const text = 'Wang^XiaoDong=王^小東=\\Jérôme 😀 𠀋';
    const bytes = charsetEncoder(['ISO_IR 192']).encode(text, 'PN');
    assert.deepEqual(bytes, new TextEncoder().encode(text));
    assert.equal(decode(['ISO_IR 192'], bytes, 'PN'), text);
  });

  test('GB18030 and GBK round-trip', () => {
    const text = '王小东 誠 中文 €😀 ḿ';
    const gb = charsetEncoder(['GB18030']).encode(text, 'LO');
    assert.equal(decode(['GB18030'], gb, 'LO'), text);
    assert.equal(toHex(charsetEncoder(['GB18030']).encode('€', 'LO')), 'a2e3');
    assert.equal(toHex(charsetEncoder(['GB18030']).encode('😀', 'LO')), '9439fc36');
    const gbkText = '王小东 誠 中文 €';
    const gbk = charsetEncoder(['GBK']).encode(gbkText, 'LO');
    assert.equal(toHex(charsetEncoder(['GBK']).encode('€', 'LO')), '80');
    assert.equal(decode(['GBK'], gbk, 'LO'), gbkText);
    assertNotEncodable(() => charsetEncoder(['GBK']).encode('😀', 'LO'));
  });

  test('ISO 2022: Japanese, Korean and Chinese texts round-trip', () => {
    const cases: ReadonlyArray<readonly [string[], string, VR]> = [
      [['', 'ISO 2022 IR 87'], '山田^太郎=やまだ^たろう\\テスト１２３', 'PN'],
      [['ISO 2022 IR 13', 'ISO 2022 IR 87', 'ISO 2022 IR 159'], 'ﾃｽﾄ 森鷗外 abc\r\n次の行', 'LT'],
      [['', 'ISO 2022 IR 149'], '홍길동 洪吉洞 €', 'LO'],
      [['', 'ISO 2022 IR 58'], '张小东 第一行文字。', 'LO'],
      [['ISO 2022 IR 100', 'ISO 2022 IR 126', 'ISO 2022 IR 144'], 'Jérôme Διονυσιος Лю é', 'SH'],
    ];
    for (const [terms, text, vr] of cases) {
      const bytes = charsetEncoder(terms).encode(text, vr);
      assert.equal(decode(terms, bytes, vr), text, terms.join('\\'));
    }
  });

  test('ISO 2022: the initial sets are designated again before delimiters and at the end', () => {
    assert.equal(
      encodeHex(['ISO 2022 IR 100', 'ISO 2022 IR 126'], 'é=Δ^é', 'PN'),
      toHex(bytesOf('<e9>=<1b2d46 c4 1b2d41>^<e9>')),
    );
    assert.equal(
      encodeHex(['', 'ISO 2022 IR 87'], '山\\川', 'LO'),
      toHex(bytesOf('<1b2442>;3<1b2842>\\<1b2442>@n<1b2842>')),
    );
    // A '\' in LT is text: the JIS X 0208 run goes on around it only after returning to ASCII.
    assert.equal(
      encodeHex(['', 'ISO 2022 IR 87'], '山\\川', 'LT'),
      toHex(bytesOf('<1b2442>;3<1b2842>\\<1b2442>@n<1b2842>')),
    );
  });

  test('NOT_ENCODABLE for a character outside the repertoire', () => {
    assertNotEncodable(() => charsetEncoder([]).encode('Jérôme', 'PN'));
    assertNotEncodable(() => charsetEncoder(['']).encode('é', 'LO'));
    assertNotEncodable(() => charsetEncoder(['ISO_IR 100']).encode('Δ', 'PN'));
    assertNotEncodable(() => charsetEncoder(['ISO_IR 144']).encode('é', 'PN'));
    assertNotEncodable(() => charsetEncoder(['ISO_IR 13']).encode('¥', 'PN'));
    assertNotEncodable(() => charsetEncoder(['', 'ISO 2022 IR 87']).encode('한', 'PN'));
    assertNotEncodable(() => charsetEncoder(['', 'ISO 2022 IR 149']).encode('ｱ', 'PN'));
    assertNotEncodable(() => charsetEncoder(['ISO_IR 192']).encode('a\ud800b', 'LO'));
    assertNotEncodable(() => charsetEncoder(['ISO_IR 100']).encode('a\u001bb', 'LO'));
    // VRs outside the Specific Character Set take the default repertoire.
    assertNotEncodable(() => charsetEncoder(['ISO_IR 192']).encode('É', 'CS'));
    assert.deepEqual([...charsetEncoder(['ISO_IR 192']).encode('AB', 'CS')], [0x41, 0x42]);
    // Writing a codec found by name is not supported.
    assertNotEncodable(() => charsetEncoder(['windows-1251']).encode('A', 'LO'));
    try {
      charsetEncoder(['ISO_IR 100']).encode('Δ', 'PN');
    } catch (error) {
      assert.match((error as Error).message, /U\+0394.*ISO_IR 100/);
    }
  });

  test('decoding never throws on arbitrary bytes', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const termLists = [
      [],
      ['ISO_IR 100'],
      ['ISO_IR 13'],
      ['ISO_IR 192'],
      ['GB18030'],
      ['', 'ISO 2022 IR 87', 'ISO 2022 IR 159'],
      ['ISO 2022 IR 13', 'ISO 2022 IR 87'],
      ['', 'ISO 2022 IR 149'],
      ['', 'ISO 2022 IR 58'],
    ];
    for (let round = 0; round < 200; round++) {
      const bytes = Uint8Array.from({ length: 1 + (random() % 40) }, () =>
        random() < 40 ? 0x1b : random(),
      );
      for (const terms of termLists) {
        for (const vr of ['PN', 'LO', 'LT'] as const) {
          assert.equal(typeof decode(terms, bytes, vr), 'string');
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Code tables against Python's codecs (the ones pydicom 2.3.1 uses for each set)
// ---------------------------------------------------------------------------------------------

/** The (0008,0005) values under which each table of the helper is decoded. */
const TABLE_TERMS: Readonly<Record<string, readonly string[]>> = {
  'ISO_IR 100': ['ISO_IR 100'],
  'ISO_IR 101': ['ISO_IR 101'],
  'ISO_IR 109': ['ISO_IR 109'],
  'ISO_IR 110': ['ISO_IR 110'],
  'ISO_IR 126': ['ISO_IR 126'],
  'ISO_IR 127': ['ISO_IR 127'],
  'ISO_IR 138': ['ISO_IR 138'],
  'ISO_IR 144': ['ISO_IR 144'],
  'ISO_IR 148': ['ISO_IR 148'],
  'ISO_IR 166': ['ISO_IR 166'],
  'ISO_IR 203': ['ISO_IR 203'],
  'ISO_IR 13': ['ISO_IR 13'],
  'ISO 2022 IR 87': ['', 'ISO 2022 IR 87'],
  'ISO 2022 IR 159': ['', 'ISO 2022 IR 159'],
  'ISO 2022 IR 149': ['', 'ISO 2022 IR 149'],
  'ISO 2022 IR 58': ['', 'ISO 2022 IR 58'],
  GBK: ['GBK'],
  GB18030: ['GB18030'],
};

/** Table name for each two-byte set, and how its codes appear in the helper's value hex. */
const DOUBLE_BYTE_TABLES: ReadonlyArray<
  readonly [DoubleByteSet, string, (code: number) => string]
> = [
  ['jis-x0208', 'ISO 2022 IR 87', (c) => `1b2442${hex4(c)}1b2842`],
  ['jis-x0212', 'ISO 2022 IR 159', (c) => `1b242844${hex4(c)}1b2842`],
  ['ks-x1001', 'ISO 2022 IR 149', (c) => `1b242943${hex4(c | 0x8080)}`],
  ['gb2312', 'ISO 2022 IR 58', (c) => `1b242941${hex4(c | 0x8080)}`],
];

function hex4(code: number): string {
  return code.toString(16).padStart(4, '0');
}

describe("code tables agree with Python's codecs", () => {
  let tables: Record<string, [string, string | null][]> | undefined;
  const table = (name: string) => {
    tables ??= runHelper(['--tables']) as Record<string, [string, string | null][]>;
    return tables[name]!;
  };
  const knownTable = new Map(DIFFERENCES.tables.map((d) => [`${d.table} ${d.hex}`, d]));

  for (const [name, terms] of Object.entries(TABLE_TERMS)) {
    test(`${name}: every code Python decodes, we decode the same`, { skip: skipPydicom }, () => {
      const decoder = charsetDecoder(terms);
      const mismatches: string[] = [];
      let compared = 0;
      for (const [valueHex, python] of table(name)) {
        if (knownTable.has(`${name} ${valueHex}`)) continue;
        const ours = decoder.decode(hex(valueHex), 'LT');
        // A single byte Python rejects must be U+FFFD for us too; pairs it rejects are
        // vendor extensions that we read leniently.
        const expected = python ?? (valueHex.length === 2 ? '\ufffd' : undefined);
        if (expected === undefined) continue;
        compared++;
        if (ours !== expected)
          mismatches.push(`${valueHex}: ours ${esc(ours)}, Python ${esc(expected)}`);
      }
      assert.deepEqual(mismatches, []);
      assert.ok(compared > 0, 'expected compared > 0');
    });
  }

  for (const [set, name, valueHex] of DOUBLE_BYTE_TABLES) {
    test(
      `${name}: the encoder writes only codes that Python decodes to the same character`,
      {
        skip: skipPydicom,
      },
      () => {
        const python = new Map(table(name));
        const mismatches: string[] = [];
        for (const [cp, code] of doubleByteEncodeMap(set)) {
          const decoded = python.get(valueHex(code));
          if (decoded !== String.fromCodePoint(cp)) {
            mismatches.push(
              `${hex4(code)}: ours ${esc(String.fromCodePoint(cp))}, Python ${esc(decoded ?? null)}`,
            );
          }
        }
        assert.deepEqual(mismatches, []);
        // And every character Python has in the set can be written.
        let writable = 0;
        for (const [, decoded] of python) {
          if (decoded === null || decoded.length !== 1) continue;
          assert.ok(
            doubleByteEncodeMap(set).has(decoded.codePointAt(0)!),
            `${name}: ${esc(decoded)}`,
          );
          writable++;
        }
        assert.ok(writable > 6000, 'expected writable > 6000');
      },
    );
  }

  for (const difference of DIFFERENCES.tables) {
    test(
      `known difference: ${difference.table} ${difference.hex}: ${difference.reason}`,
      {
        skip: skipPydicom,
      },
      () => {
        const row = table(difference.table!).find(([valueHex]) => valueHex === difference.hex);
        assert.ok(row !== undefined, 'expected row !== undefined');
        assert.equal(row[1], difference.pydicom);
        const ours = charsetDecoder(TABLE_TERMS[difference.table!]!).decode(
          hex(difference.hex!),
          'LT',
        );
        assert.equal(ours, difference.ours);
      },
    );
  }
});

function esc(text: string | null): string {
  if (text === null) return 'null';
  return [...text]
    .map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)
    .join(' ');
}

// ---------------------------------------------------------------------------------------------
// The corpus against pydicom
// ---------------------------------------------------------------------------------------------

const PLAIN_CHARSETS = new Set(['ISO_IR 100', 'ISO_IR 192']);

interface Comparison {
  readonly values: number;
  readonly mismatches: unknown[];
}

const knownCorpus = new Map(DIFFERENCES.corpus.map((d) => [`${d.file} ${d.path}`, d]));

/** Compares every text element pydicom read in `file` with our decoding of its raw bytes. */
function compareFile(relative: string, file: PydicomFile): Comparison {
  assert.equal(file.error, null, `pydicom could not read ${relative}`);
  const mismatches: unknown[] = [];
  let values = 0;
  for (const element of file.elements) {
    if (element.error !== undefined) {
      mismatches.push({ path: element.path, pydicomError: element.error });
      continue;
    }
    if (knownCorpus.has(`${relative} ${element.path}`)) continue;
    const vr = element.vr!;
    const ours = pydicomView(decode(element.charset!, hex(element.hex!), vr), vr);
    values += ours.length;
    if (!isDeepEqual(element.values, ours)) {
      mismatches.push({
        path: element.path,
        vr,
        charset: element.charset,
        ours,
        pydicom: element.values,
      });
    }
  }
  return { values, mismatches };
}

describe('agrees with pydicom 2.3.1 on the corpus', () => {
  const rows = readManifest().filter((row) => row.size_bytes !== '0');
  const special = rows.filter(
    (row) => row.specific_character_set !== '' && !PLAIN_CHARSETS.has(row.specific_character_set),
  );
  const others = rows.filter((row) => !special.includes(row));
  let reference: Map<string, PydicomFile> | undefined;
  const pydicomOf = (relative: string) => {
    reference ??= pydicomFiles(rows.map((row) => corpusPath(row)));
    const file = reference.get(corpusPath({ path: relative }));
    assert.ok(file !== undefined, `no pydicom output for ${relative}`);
    return file;
  };

  test('the corpus has files with special character sets', () => {
    assert.ok(special.length >= 15, `${special.length} files`);
  });

  for (const row of special) {
    test(`${row.path} (${row.specific_character_set})`, { skip: skipPydicom }, (t) => {
      const { values, mismatches } = compareFile(row.path, pydicomOf(row.path));
      t.diagnostic(`${values} values compared`);
      assert.deepEqual(mismatches, []);
    });
  }

  test(
    'every other corpus file (no, ISO_IR 100 or ISO_IR 192 character set)',
    {
      skip: skipPydicom,
    },
    (t) => {
      let values = 0;
      const mismatches: unknown[] = [];
      for (const row of others) {
        const result = compareFile(row.path, pydicomOf(row.path));
        values += result.values;
        for (const m of result.mismatches) mismatches.push({ file: row.path, ...(m as object) });
      }
      t.diagnostic(`${others.length} files, ${values} values compared`);
      assert.deepEqual(mismatches, []);
    },
  );

  for (const difference of DIFFERENCES.corpus) {
    test(
      `known difference: ${difference.file} ${difference.path}: ${difference.reason}`,
      {
        skip: skipPydicom,
      },
      () => {
        const element = pydicomOf(difference.file!).elements.find(
          (e) => e.path === difference.path,
        );
        assert.ok(element !== undefined, 'expected element !== undefined');
        assert.deepEqual(element.values, difference.pydicom);
        const vr = element.vr!;
        assert.deepEqual(
          pydicomView(decode(element.charset!, hex(element.hex!), vr), vr),
          difference.ours,
        );
      },
    );
  }
});
