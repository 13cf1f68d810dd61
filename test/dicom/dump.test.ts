import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Dataset,
  EXPLICIT_BIG,
  EXPLICIT_LITTLE,
  IMPLICIT_LITTLE,
  type ValueElement,
} from '../../src/dicom/dataset.js';
import { formatDump } from '../../src/dicom/dump.js';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import { makeTag } from '../../src/dicom/tag.js';
import type { VR } from '../../src/dicom/vr.js';
import { skipWhenMissing } from '../helpers/skip.js';

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

const T = (group: number, element: number): number => makeTag(group, element);

function put(
  dataset: Dataset,
  tag: number,
  vr: VR,
  value: Uint8Array | string,
  extra: Partial<ValueElement> = {},
): ValueElement {
  const bytes = typeof value === 'string' ? latin1(value) : value;
  const element: ValueElement = {
    kind: 'value',
    tag,
    vr,
    wireVR: vr,
    offset: 0,
    length: bytes.length,
    bytes,
    ...extra,
  };
  dataset.elements.set(tag, element);
  return element;
}

/** The dump's element lines (without the header comments and blank lines). */
function elementLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('formatDump', () => {
  test('one line per element in the dcmdump layout', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, T(0x0010, 0x0010), 'PN', 'Yamada^Tarou');
    put(ds, T(0x0008, 0x0016), 'UI', '1.2.840.10008.5.1.4.1.1.2\0');
    put(ds, T(0x0008, 0x0018), 'UI', '1.2.3.4\0');
    put(ds, T(0x0008, 0x0008), 'CS', 'ORIGINAL\\PRIMARY');
    put(ds, T(0x0028, 0x0010), 'US', Uint8Array.of(0, 2));
    put(ds, T(0x0028, 0x0030), 'DS', '0.5\\0.5 ');
    put(ds, T(0x0010, 0x1010), 'AS', '');
    put(ds, T(0x0020, 0x9165), 'AT', Uint8Array.of(0x10, 0, 0x20, 0, 0xe0, 0x7f, 0x10, 0));
    put(ds, T(0x0018, 0x9087), 'FD', Uint8Array.of(0, 0, 0, 0, 0, 0, 0xf8, 0x3f));
    const text = formatDump(undefined, ds);
    assert.equal(
      text,
      [
        '',
        '# Dicom-Data-Set',
        '# Used TransferSyntax: Little Endian Explicit',
        '(0008,0008) CS [ORIGINAL\\PRIMARY]                       #  16, 2 ImageType',
        '(0008,0016) UI =CTImageStorage                          #  26, 1 SOPClassUID',
        '(0008,0018) UI [1.2.3.4]                                #   8, 1 SOPInstanceUID',
        '(0010,0010) PN [Yamada^Tarou]                           #  12, 1 PatientName',
        '(0010,1010) AS (no value available)                     #   0, 0 PatientAge',
        '(0018,9087) FD 1.5                                      #   8, 1 DiffusionBValue',
        '(0020,9165) AT (0010,0020)\\(7fe0,0010)                  #   8, 2 DimensionIndexPointer',
        '(0028,0010) US 512                                      #   2, 1 Rows',
        '(0028,0030) DS [0.5\\0.5]                                #   8, 2 PixelSpacing',
        '',
      ].join('\n'),
    );
  });

  test('file meta header and the transfer syntax name', () => {
    const meta = new Dataset(EXPLICIT_LITTLE);
    put(meta, T(0x0002, 0x0000), 'UL', Uint8Array.of(30, 0, 0, 0));
    put(meta, T(0x0002, 0x0001), 'OB', Uint8Array.of(0, 1));
    put(meta, T(0x0002, 0x0010), 'UI', '1.2.840.10008.1.2.4.50');
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, T(0x0008, 0x0060), 'CS', 'CT');
    const lines = formatDump(meta, ds).split('\n');
    assert.deepEqual(lines.slice(0, 5), [
      '',
      '# Dicom-File-Format',
      '',
      '# Dicom-Meta-Information-Header',
      '# Used TransferSyntax: Little Endian Explicit',
    ]);
    assert.equal(
      lines[5],
      '(0002,0000) UL 30                                       #   4, 1 FileMetaInformationGroupLength',
    );
    assert.equal(
      lines[6],
      '(0002,0001) OB 00\\01                                    #   2, 1 FileMetaInformationVersion',
    );
    assert.match(
      lines[7] ?? '',
      /^\(0002,0010\) UI =JPEGBaseline8Bit +# {2}22, 1 TransferSyntaxUID$/,
    );
    assert.equal(lines[8], '');
    assert.equal(lines[9], '# Dicom-Data-Set');
    assert.equal(lines[10], '# Used TransferSyntax: JPEG Baseline (Process 1)');
  });

  test('sequences: items indented, with item and delimitation lines', () => {
    const ds = new Dataset(IMPLICIT_LITTLE);
    const item = new Dataset(IMPLICIT_LITTLE, ds);
    put(item, T(0x0008, 0x1150), 'UI', '1.2.840.10008.5.1.4.1.1.2\0');
    put(item, T(0x0008, 0x1155), 'UI', '1.2.3\0');
    ds.elements.set(T(0x0008, 0x1140), {
      kind: 'sequence',
      tag: T(0x0008, 0x1140),
      vr: 'SQ',
      wireVR: undefined,
      offset: 0,
      length: 0xffffffff,
      items: [{ offset: 0, length: 48, dataset: item }],
    });
    ds.elements.set(T(0x0040, 0x0275), {
      kind: 'sequence',
      tag: T(0x0040, 0x0275),
      vr: 'SQ',
      wireVR: undefined,
      offset: 0,
      length: 0,
      items: [],
    });
    assert.deepEqual(elementLines(formatDump(undefined, ds)), [
      '(0008,1140) SQ (Sequence with undefined length #=1)     # u/l, 1 ReferencedImageSequence',
      '  (fffe,e000) na (Item with explicit length #=2)          #  48, 1 Item',
      '    (0008,1150) UI =CTImageStorage                          #  26, 1 ReferencedSOPClassUID',
      '    (0008,1155) UI [1.2.3]                                  #   6, 1 ReferencedSOPInstanceUID',
      '  (fffe,e00d) na (ItemDelimitationItem for re-encoding)   #   0, 0 ItemDelimitationItem',
      '(fffe,e0dd) na (SequenceDelimitationItem)               #   0, 0 SequenceDelimitationItem',
      '(0040,0275) SQ (Sequence with explicit length #=0)      #   0, 1 RequestAttributesSequence',
      '(fffe,e0dd) na (SequenceDelimitationItem for re-encod.) #   0, 0 SequenceDelimitationItem',
    ]);
  });

  test('private creators and private elements', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, T(0x0029, 0x0010), 'LO', 'SIEMENS CSA HEADER');
    put(ds, T(0x0029, 0x1008), 'CS', 'IMAGE NUM 4 ', { privateCreator: 'SIEMENS CSA HEADER' });
    put(ds, T(0x0029, 0x2001), 'UN', Uint8Array.of(0xab, 0xcd));
    put(ds, T(0x0009, 0x0000), 'UL', Uint8Array.of(0, 0, 0, 0));
    put(ds, T(0x0018, 0xfffe), 'LO', 'x');
    const lines = elementLines(formatDump(undefined, ds));
    assert.match(lines[0] ?? '', /^\(0009,0000\) UL 0 +# {3}4, 1 PrivateGroupLength$/);
    assert.match(lines[1] ?? '', /^\(0018,fffe\) LO \[x\] +# {3}1, 1 UnknownTag$/);
    assert.match(
      lines[2] ?? '',
      /^\(0029,0010\) LO \[SIEMENS CSA HEADER\] +# {2}18, 1 PrivateCreator$/,
    );
    assert.match(
      lines[3] ?? '',
      /^\(0029,1008\) CS \[IMAGE NUM 4\] +# {2}12, 1 PrivateTag \[SIEMENS CSA HEADER\]$/,
    );
    assert.match(lines[4] ?? '', /^\(0029,2001\) UN ab\\cd +# {3}2, 1 PrivateTag$/);
  });

  test('long values are cut with "..."; binary as hex; bulk data not loaded', () => {
    const ds = new Dataset(EXPLICIT_BIG);
    put(ds, T(0x0008, 0x103e), 'LO', 'x'.repeat(100));
    put(
      ds,
      T(0x7fe0, 0x0010),
      'OW',
      Uint8Array.from({ length: 200 }, (_, i) => i),
    );
    put(ds, T(0x0028, 0x1201), 'OW', Uint8Array.of(0x12, 0x34));
    put(ds, T(0x0040, 0xa160), 'UT', 'line one\r\nline two');
    put(ds, T(0x0011, 0x1010), 'OB', new Uint8Array(0), {
      bytes: undefined,
      bulk: { offset: 4000, length: 5000 },
      length: 5000,
    });
    const lines = elementLines(formatDump(undefined, ds, { maxValueLength: 64 }));
    assert.match(lines[0] ?? '', /^\(0008,103e\) LO \[x{60}\.\.\. +# 100, 1 SeriesDescription$/);
    assert.match(lines[1] ?? '', /^\(0011,1010\) OB \(not loaded\) +# 5000, 1 PrivateTag$/);
    assert.match(
      lines[2] ?? '',
      /^\(0028,1201\) OW 1234 +# {3}2, 1 RedPaletteColorLookupTableData$/,
    );
    assert.match(
      lines[3] ?? '',
      /^\(0040,a160\) UT \[line one\.\.line two\] +# {2}18, 1 TextValue$/,
    );
    // Big endian words: 00 01 -> 0001, 02 03 -> 0203.
    assert.match(
      lines[4] ?? '',
      /^\(7fe0,0010\) OW 0001\\0203\\0405\\.*\.\.\. # 200, 1 PixelData$/,
    );
  });

  test('encapsulated pixel data: one line per fragment', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    ds.elements.set(T(0x7fe0, 0x0010), {
      kind: 'encapsulated',
      tag: T(0x7fe0, 0x0010),
      vr: 'OB',
      wireVR: 'OB',
      offset: 0,
      length: 0xffffffff,
      fragments: [
        { offset: 0, length: 0, bytes: new Uint8Array(0) },
        { offset: 8, length: 4, bytes: Uint8Array.of(0xff, 0xd8, 0xff, 0xe0) },
        { offset: 20, length: 50000, bytes: undefined },
      ],
    });
    assert.deepEqual(elementLines(formatDump(undefined, ds)), [
      '(7fe0,0010) OB (PixelSequence #=3)                      # u/l, 1 PixelData',
      '  (fffe,e000) pi (no value available)                     #   0, 1 Item',
      '  (fffe,e000) pi ff\\d8\\ff\\e0                              #   4, 1 Item',
      '  (fffe,e000) pi (not loaded)                             # 50000, 1 Item',
      '(fffe,e0dd) na (SequenceDelimitationItem)               #   0, 0 SequenceDelimitationItem',
    ]);
  });

  test('malformed values are still shown', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, T(0x0028, 0x0010), 'US', Uint8Array.of(1, 2, 3));
    put(ds, T(0x0018, 0x0050), 'DS', 'abc');
    const lines = elementLines(formatDump(undefined, ds));
    assert.match(lines[0] ?? '', /^\(0018,0050\) DS \[abc\] +# {3}3, 1 SliceThickness$/);
    assert.match(lines[1] ?? '', /^\(0028,0010\) US 01\\02\\03 +# {3}3, 3 Rows$/);
  });
});

// ---------------------------------------------------------------------------------------------
// Real files against DCMTK's dcmdump (an interop peer; see scripts/test.sh).
// ---------------------------------------------------------------------------------------------

const CORPUS = new URL('../corpus/', import.meta.url);

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The lines to compare: not the transfer syntax ones (DCMTK has its own names), and without the
 * keyword for private elements (DCMTK has a private dictionary; we print `PrivateTag [creator]`).
 */
function comparableLines(text: string, privateLines: ReadonlySet<number>): string[] {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('(0002,0010)') && !line.startsWith('# Used TransferSyntax'))
    .map((line, index) =>
      privateLines.has(index) ? line.replace(/ # ([^,]*,..).*$/, ' # $1') : line,
    );
}

describe(
  'formatDump on real files',
  { skip: skipWhenMissing(!hasTool('dcmdump') && 'dcmdump not installed') },
  () => {
    for (const file of [
      'pydicom/test_files/MR_small.dcm',
      'pydicom/test_files/MR_small_bigendian.dcm',
      'pydicom/test_files/rtplan.dcm',
      'pydicom/test_files/rtdose.dcm',
      'pydicom/test_files/waveform_ecg.dcm',
      'pydicom/test_files/JPEG2000.dcm',
    ]) {
      test(`${file} as dcmdump prints it`, () => {
        const path = new URL(file, CORPUS);
        const { meta, dataset } = parseBuffer(readFileSync(path));
        const ours = formatDump(meta, dataset);
        const theirs = execFileSync('dcmdump', [fileURLToPath(path)], {
          stdio: ['ignore', 'pipe', 'ignore'],
        }).toString('latin1');
        const oursLines = ours
          .split('\n')
          .filter(
            (line) => !line.startsWith('(0002,0010)') && !line.startsWith('# Used TransferSyntax'),
          );
        const privateLines = new Set(
          oursLines.flatMap((line, index) => (/ PrivateTag( \[.*\])?$/.test(line) ? [index] : [])),
        );
        // dcmdump prints floating point numbers with 17 (FD) or 9 (FL) digits, we print the
        // shortest that reads back the same: compare those lines up to the VR.
        const floats = new Set(
          oursLines.flatMap((line, index) =>
            /^ *\([0-9a-f,]+\) F[LD] /.test(line) ? [index] : [],
          ),
        );
        const a = comparableLines(ours, privateLines).map((line, index) =>
          floats.has(index) ? line.slice(0, line.indexOf(' F') + 3) : line,
        );
        const b = comparableLines(theirs, privateLines).map((line, index) =>
          floats.has(index) ? line.slice(0, line.indexOf(' F') + 3) : line,
        );
        assert.deepEqual(a, b);
      });
    }
  },
);
