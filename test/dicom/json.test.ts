import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Dataset,
  EXPLICIT_BIG,
  EXPLICIT_LITTLE,
  type EncapsulatedElement,
  type Fragment,
  type ValueElement,
} from '../../src/dicom/dataset.js';
import {
  base64,
  dicomJsonText,
  toDicomJson,
  type DicomJsonAttribute,
  type DicomJsonDataset,
  type DicomJsonWarning,
  type ElementPath,
} from '../../src/dicom/json.js';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import { makeTag, SPECIFIC_CHARACTER_SET } from '../../src/dicom/tag.js';
import type { VR } from '../../src/dicom/vr.js';
import { corpusPath, readManifest } from '../helpers/corpus.js';
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

function putSequence(dataset: Dataset, tag: number, items: Dataset[]): void {
  dataset.elements.set(tag, {
    kind: 'sequence',
    tag,
    vr: 'SQ',
    wireVR: 'SQ',
    offset: 0,
    length: 0xffffffff,
    items: items.map((item) => ({ offset: 0, length: 0xffffffff, dataset: item })),
  });
}

function putPixels(dataset: Dataset, fragments: (Uint8Array | undefined)[], lengths?: number[]) {
  const element: EncapsulatedElement = {
    kind: 'encapsulated',
    tag: T(0x7fe0, 0x0010),
    vr: 'OB',
    wireVR: 'OB',
    offset: 0,
    length: 0xffffffff,
    fragments: fragments.map((bytes, index): Fragment => ({
      offset: 0,
      length: bytes?.length ?? lengths?.[index] ?? 0,
      bytes,
    })),
  };
  dataset.elements.set(element.tag, element);
  return element;
}

function b64(bytes: number[]): string {
  return Buffer.from(bytes).toString('base64');
}

describe('toDicomJson', () => {
  test('strings, numbers, keys in order, group lengths left out', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, T(0x0020, 0x0013), 'IS', ' 7 ');
    put(ds, T(0x0008, 0x0060), 'CS', 'CT');
    put(ds, T(0x0008, 0x0000), 'UL', Uint8Array.of(4, 0, 0, 0));
    put(ds, T(0x0028, 0x0030), 'DS', '0.5\\0.25 ');
    put(ds, T(0x0008, 0x0008), 'CS', 'ORIGINAL\\PRIMARY ');
    put(ds, T(0x0008, 0x0020), 'DA', '20200101');
    put(ds, T(0x0008, 0x0018), 'UI', '1.2.3\0');
    put(ds, T(0x0028, 0x0010), 'US', Uint8Array.of(0, 2));
    put(ds, T(0x0018, 0x9087), 'FD', Uint8Array.of(0, 0, 0, 0, 0, 0, 0xf8, 0x3f));
    put(ds, T(0x0020, 0x9165), 'AT', Uint8Array.of(0x10, 0, 0x20, 0, 0xe0, 0x7f, 0x10, 0));
    put(ds, T(0x0018, 0x1000), 'LO', '');
    put(ds, T(0x0008, 0x0005), 'CS', 'ISO_IR 100');
    put(ds, T(0x0040, 0xa160), 'UT', ' free\\text ');
    const json = toDicomJson(ds);
    assert.deepEqual(Object.keys(json), [
      '00080005',
      '00080008',
      '00080018',
      '00080020',
      '00080060',
      '00181000',
      '00189087',
      '00200013',
      '00209165',
      '00280010',
      '00280030',
      '0040A160',
    ]);
    assert.deepEqual(json, {
      '00080005': { vr: 'CS', Value: ['ISO_IR 100'] },
      '00080008': { vr: 'CS', Value: ['ORIGINAL', 'PRIMARY'] },
      '00080018': { vr: 'UI', Value: ['1.2.3'] },
      '00080020': { vr: 'DA', Value: ['20200101'] },
      '00080060': { vr: 'CS', Value: ['CT'] },
      '00181000': { vr: 'LO' },
      '00189087': { vr: 'FD', Value: [1.5] },
      '00200013': { vr: 'IS', Value: [7] },
      '00209165': { vr: 'AT', Value: ['00100020', '7FE00010'] },
      '00280010': { vr: 'US', Value: [512] },
      '00280030': { vr: 'DS', Value: [0.5, 0.25] },
      '0040A160': { vr: 'UT', Value: [' free\\text'] },
    });
  });

  test('empty values inside multi-valued attributes are null (F.2.5)', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, T(0x0028, 0x1050), 'DS', '40\\\\60');
    put(ds, T(0x0008, 0x0008), 'CS', 'A\\\\C');
    put(ds, T(0x0008, 0x1060), 'PN', 'Smith^Anne\\\\Doe');
    put(ds, T(0x0008, 0x0021), 'DA', '\\20200101');
    const json = toDicomJson(ds);
    assert.deepEqual(json['00281050'], { vr: 'DS', Value: [40, null, 60] });
    assert.deepEqual(json['00080008'], { vr: 'CS', Value: ['A', null, 'C'] });
    assert.deepEqual(json['00081060'], {
      vr: 'PN',
      Value: [{ Alphabetic: 'Smith^Anne' }, null, { Alphabetic: 'Doe' }],
    });
    assert.deepEqual(json['00080021'], { vr: 'DA', Value: [null, '20200101'] });
  });

  test('PN: only the component groups present', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, SPECIFIC_CHARACTER_SET, 'CS', 'ISO_IR 192');
    put(
      ds,
      T(0x0010, 0x0010),
      'PN',
      new TextEncoder().encode(
        'Yamada^Tarou=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046',
      ),
    );
    put(ds, T(0x0010, 0x1001), 'PN', new TextEncoder().encode('=\u5c71\u7530'));
    put(ds, T(0x0008, 0x0090), 'PN', '^Bob^^Dr.');
    put(ds, T(0x0008, 0x1070), 'PN', '=');
    put(ds, T(0x0008, 0x1050), 'PN', '^^^^');
    put(ds, T(0x0032, 0x1032), 'PN', 'Veterinarian^VeryGood^^ ');
    const json = toDicomJson(ds);
    assert.deepEqual(json['00100010'], {
      vr: 'PN',
      Value: [
        {
          Alphabetic: 'Yamada^Tarou',
          Ideographic: '\u5c71\u7530^\u592a\u90ce',
          Phonetic: '\u3084\u307e\u3060^\u305f\u308d\u3046',
        },
      ],
    });
    assert.deepEqual(json['00101001'], { vr: 'PN', Value: [{ Ideographic: '\u5c71\u7530' }] });
    assert.deepEqual(json['00080090'], { vr: 'PN', Value: [{ Alphabetic: '^Bob^^Dr.' }] });
    assert.deepEqual(json['00081070'], { vr: 'PN' });
    assert.deepEqual(json['00081050'], { vr: 'PN' });
    assert.deepEqual(json['00321032'], {
      vr: 'PN',
      Value: [{ Alphabetic: 'Veterinarian^VeryGood' }],
    });
  });

  test('SQ: nested objects, empty items, empty sequences, item character set', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, SPECIFIC_CHARACTER_SET, 'CS', 'ISO_IR 100');
    const first = new Dataset(EXPLICIT_LITTLE, ds);
    put(first, T(0x0008, 0x1150), 'UI', '1.2.840.10008.5.1.4.1.1.2\0');
    put(first, T(0x0008, 0x0104), 'LO', latin1('caf\u00e9'));
    const second = new Dataset(EXPLICIT_LITTLE, ds);
    put(second, SPECIFIC_CHARACTER_SET, 'CS', 'ISO_IR 192');
    put(second, T(0x0008, 0x0104), 'LO', new TextEncoder().encode('caf\u00e9'));
    const empty = new Dataset(EXPLICIT_LITTLE, ds);
    putSequence(ds, T(0x0008, 0x1140), [first, second, empty]);
    putSequence(ds, T(0x0008, 0x1115), []);
    put(ds, T(0x0008, 0x1111), 'SQ', new Uint8Array(0));
    const json = toDicomJson(ds);
    assert.deepEqual(json['00081140'], {
      vr: 'SQ',
      Value: [
        {
          '00080104': { vr: 'LO', Value: ['caf\u00e9'] },
          '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
        },
        {
          '00080005': { vr: 'CS', Value: ['ISO_IR 192'] },
          '00080104': { vr: 'LO', Value: ['caf\u00e9'] },
        },
        {},
      ],
    });
    assert.deepEqual(json['00081115'], { vr: 'SQ' });
    assert.deepEqual(json['00081111'], { vr: 'SQ' });
  });

  test('binary: InlineBinary up to the threshold, BulkDataURI above, left out without a URI', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, T(0x0011, 0x0010), 'LO', 'ACME 1.0');
    put(ds, T(0x0011, 0x1010), 'OB', Uint8Array.of(1, 2, 3, 4));
    put(ds, T(0x0011, 0x1011), 'OB', new Uint8Array(5));
    put(ds, T(0x0011, 0x1012), 'UN', new Uint8Array(0));
    put(ds, T(0x0011, 0x1013), 'OW', new Uint8Array(6));
    const calls: [number, ElementPath][] = [];
    const json = toDicomJson(ds, {
      bulkDataThreshold: 4,
      bulkDataUri: (element, path) => {
        calls.push([element.tag, path]);
        return element.tag === T(0x0011, 0x1011) ? 'bulk/1' : undefined;
      },
    });
    assert.deepEqual(json, {
      '00110010': { vr: 'LO', Value: ['ACME 1.0'] },
      '00111010': { vr: 'OB', InlineBinary: b64([1, 2, 3, 4]) },
      '00111011': { vr: 'OB', BulkDataURI: 'bulk/1' },
      '00111012': { vr: 'UN' },
    });
    assert.deepEqual(calls, [
      [T(0x0011, 0x1011), [T(0x0011, 0x1011)]],
      [T(0x0011, 0x1013), [T(0x0011, 0x1013)]],
    ]);
    // Default threshold 1024, no callback: large values are left out.
    const big = new Dataset(EXPLICIT_LITTLE);
    put(big, T(0x0011, 0x1010), 'OB', new Uint8Array(1024));
    put(big, T(0x0011, 0x1011), 'OB', new Uint8Array(1026));
    assert.deepEqual(Object.keys(toDicomJson(big)), ['00111010']);
  });

  test('values left out as bulk data always get a BulkDataURI, with their path', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const item = new Dataset(EXPLICIT_LITTLE, ds);
    const notLoaded = { bytes: undefined, bulk: { offset: 4096, length: 2 } };
    put(item, T(0x0028, 0x3006), 'US', new Uint8Array(0), notLoaded);
    put(item, T(0x0011, 0x1010), 'OB', new Uint8Array(0), notLoaded);
    put(item, T(0x0008, 0x0104), 'LO', new Uint8Array(0), notLoaded);
    putSequence(ds, T(0x0028, 0x3010), [new Dataset(EXPLICIT_LITTLE, ds), item]);
    const warnings: DicomJsonWarning[] = [];
    const json = toDicomJson(ds, {
      bulkDataUri: (element, path) =>
        element.kind === 'value' && element.bulk
          ? `file?offset=${element.bulk.offset}&path=${path.join('/')}`
          : undefined,
      onWarning: (warning) => warnings.push(warning),
    });
    const path = `${T(0x0028, 0x3010)}/1`;
    assert.deepEqual(json['00283010']?.Value?.[1], {
      '00111010': { vr: 'OB', BulkDataURI: `file?offset=4096&path=${path}/${T(0x0011, 0x1010)}` },
      '00283006': { vr: 'US', BulkDataURI: `file?offset=4096&path=${path}/${T(0x0028, 0x3006)}` },
    });
    // LO may not be a BulkDataURI (F.2.2): left out and reported.
    assert.equal(warnings.length, 1);
    assert.deepEqual(warnings[0]?.path, [T(0x0028, 0x3010), 1, T(0x0008, 0x0104)]);
  });

  test('InlineBinary is little endian for big endian datasets', () => {
    const ds = new Dataset(EXPLICIT_BIG);
    put(ds, T(0x7fe0, 0x0010), 'OW', Uint8Array.of(0x01, 0x02, 0x03, 0x04));
    put(ds, T(0x0011, 0x1010), 'OF', Uint8Array.of(0x3f, 0x80, 0x00, 0x00));
    put(ds, T(0x0011, 0x1011), 'OB', Uint8Array.of(0x01, 0x02));
    put(ds, T(0x0028, 0x0010), 'US', Uint8Array.of(0x02, 0x00));
    const json = toDicomJson(ds);
    assert.deepEqual(json['7FE00010'], { vr: 'OW', InlineBinary: b64([0x02, 0x01, 0x04, 0x03]) });
    assert.deepEqual(json['00111010'], { vr: 'OF', InlineBinary: b64([0, 0, 0x80, 0x3f]) });
    assert.deepEqual(json['00111011'], { vr: 'OB', InlineBinary: b64([1, 2]) });
    assert.deepEqual(json['00280010'], { vr: 'US', Value: [512] });
  });

  test('encapsulated pixel data: the item stream inline when small, else bulk', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    putPixels(ds, [new Uint8Array(0), Uint8Array.of(0xff, 0xd8)]);
    const inline = toDicomJson(ds)['7FE00010'];
    assert.deepEqual(inline, {
      vr: 'OB',
      InlineBinary: b64([
        0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0x00, 0xe0, 2, 0, 0, 0, 0xff, 0xd8, 0xfe,
        0xff, 0xdd, 0xe0, 0, 0, 0, 0,
      ]),
    });
    assert.deepEqual(
      toDicomJson(ds, { bulkDataThreshold: 25, bulkDataUri: () => 'px' })['7FE00010'],
      {
        vr: 'OB',
        BulkDataURI: 'px',
      },
    );
    const notLoaded = new Dataset(EXPLICIT_LITTLE);
    putPixels(notLoaded, [new Uint8Array(0), undefined], [0, 10]);
    assert.deepEqual(toDicomJson(notLoaded, { bulkDataUri: () => 'px' })['7FE00010'], {
      vr: 'OB',
      BulkDataURI: 'px',
    });
    assert.deepEqual(toDicomJson(notLoaded), {});
  });

  test('DS/IS that are not JSON numbers stay strings and are reported', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, T(0x0018, 0x0050), 'DS', '1.5\\abc');
    put(ds, T(0x0018, 0x0088), 'DS', '1e400');
    put(ds, T(0x0020, 0x0013), 'IS', '1.5');
    const warnings: DicomJsonWarning[] = [];
    const json = toDicomJson(ds, { onWarning: (warning) => warnings.push(warning) });
    assert.deepEqual(json['00180050'], { vr: 'DS', Value: ['1.5', 'abc'] });
    assert.deepEqual(json['00180088'], { vr: 'DS', Value: ['1e400'] });
    assert.deepEqual(json['00200013'], { vr: 'IS', Value: ['1.5'] });
    assert.deepEqual(
      warnings.map((warning) => warning.tag),
      [T(0x0018, 0x0050), T(0x0018, 0x0088), T(0x0020, 0x0013)],
    );
  });

  test('SV/UV: numbers while safe, strings beyond; FL NaN as a string', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const sv = new Uint8Array(16);
    new DataView(sv.buffer).setBigInt64(0, -5n, true);
    new DataView(sv.buffer).setBigInt64(8, -(1n << 60n), true);
    put(ds, T(0x0011, 0x1001), 'SV', sv);
    const uv = new Uint8Array(8);
    new DataView(uv.buffer).setBigUint64(0, (1n << 64n) - 1n, true);
    put(ds, T(0x0011, 0x1002), 'UV', uv);
    put(ds, T(0x0011, 0x1003), 'FL', Uint8Array.of(0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x3f));
    const warnings: DicomJsonWarning[] = [];
    const json = toDicomJson(ds, { onWarning: (warning) => warnings.push(warning) });
    assert.deepEqual(json['00111001'], { vr: 'SV', Value: [-5, '-1152921504606846976'] });
    assert.deepEqual(json['00111002'], { vr: 'UV', Value: ['18446744073709551615'] });
    assert.deepEqual(json['00111003'], { vr: 'FL', Value: ['NaN', 1] });
    assert.equal(warnings.length, 1);
    assert.doesNotThrow(() => JSON.stringify(json));
  });

  test('an unreadable binary value is left out and reported', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, T(0x0028, 0x0010), 'US', Uint8Array.of(1, 2, 3));
    const warnings: DicomJsonWarning[] = [];
    assert.deepEqual(toDicomJson(ds, { onWarning: (warning) => warnings.push(warning) }), {});
    assert.ok(warnings.length > 0, 'expected warnings.length > 0');
  });

  test('base64 matches RFC 4648', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 100, 10000]) {
      const bytes = Uint8Array.from({ length }, (_, index) => (index * 37 + 11) & 0xff);
      assert.equal(base64(bytes), Buffer.from(bytes).toString('base64'), String(length));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Real files against DCMTK's dcm2json (an interop peer; see scripts/test.sh).
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
 * Differences that are not ours: DCMTK writes Specific Character Set as ISO_IR 192 (its output
 * is UTF-8; we keep the source value, F.2.2 note 3) and FL with 9 significant digits.
 */
function sameAttribute(ours: DicomJsonAttribute, theirs: DicomJsonAttribute): boolean {
  if (ours.vr === 'FL' && theirs.vr === 'FL' && ours.Value && theirs.Value) {
    return (
      ours.Value.length === theirs.Value.length &&
      ours.Value.every((value, index) => {
        const other = theirs.Value?.[index];
        return typeof value === 'number' && typeof other === 'number'
          ? Math.abs(value - other) <= 1e-6 * Math.max(1, Math.abs(other))
          : value === other;
      })
    );
  }
  return JSON.stringify(ours) === JSON.stringify(theirs);
}

function differences(ours: DicomJsonDataset, theirs: DicomJsonDataset, path = ''): string[] {
  const found: string[] = [];
  for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
    const a = ours[key];
    const b = theirs[key];
    if (key === '00080005') continue;
    if (a === undefined || b === undefined) {
      found.push(`${path}${key}: ${a === undefined ? 'missing' : 'extra'}`);
    } else if (a.vr === 'SQ' && b.vr === 'SQ' && a.Value?.length === b.Value?.length) {
      (a.Value ?? []).forEach((item, index) => {
        found.push(
          ...differences(
            item as DicomJsonDataset,
            b.Value?.[index] as DicomJsonDataset,
            `${path}${key}[${index}].`,
          ),
        );
      });
    } else if (!sameAttribute(a, b)) {
      found.push(
        `${path}${key}: ${JSON.stringify(a).slice(0, 80)} != ${JSON.stringify(b).slice(0, 80)}`,
      );
    }
  }
  return found;
}

describe(
  'toDicomJson on real files',
  { skip: skipWhenMissing(!hasTool('dcm2json') && 'dcm2json not installed') },
  () => {
    for (const file of [
      'pydicom/test_files/MR_small.dcm',
      'pydicom/test_files/MR_small_bigendian.dcm',
      'pydicom/test_files/rtplan.dcm',
      'pydicom/test_files/rtdose.dcm',
      'pydicom/test_files/waveform_ecg.dcm',
      'pydicom/test_files/CT_small.dcm',
      'pydicom/charset_files/chrFren.dcm',
    ]) {
      test(`${file} as dcm2json writes it`, () => {
        const path = new URL(file, CORPUS);
        const { dataset } = parseBuffer(readFileSync(path));
        const ours = toDicomJson(dataset, { bulkDataThreshold: Infinity });
        const theirs = JSON.parse(
          execFileSync('dcm2json', [fileURLToPath(path)], {
            stdio: ['ignore', 'pipe', 'ignore'],
          }).toString('utf8'),
        ) as DicomJsonDataset;
        assert.deepEqual(differences(ours, theirs), []);
        assert.ok(Object.keys(ours).length > 10, 'expected Object.keys(ours).length > 10');
      });
    }
  },
);

// ---------------------------------------------------------------------------------------------
// dicomJsonText: JSON.stringify's output, from a serializer that knows the model's shape.
// ---------------------------------------------------------------------------------------------

describe('dicomJsonText', () => {
  test('writes what JSON.stringify writes, for every well-formed corpus file', () => {
    let files = 0;
    let attributes = 0;
    for (const row of readManifest().filter((r) => !r.malformed)) {
      let dataset: Dataset;
      try {
        dataset = parseBuffer(readFileSync(corpusPath(row)), { untilTag: 0x7fe00010 }).dataset;
      } catch {
        continue; // deflated or otherwise unparseable here: the codec tests cover those
      }
      const json = toDicomJson(dataset, { bulkDataUri: (element) => `?tag=${element.tag}` });
      assert.equal(dicomJsonText(json), JSON.stringify(json), row.path);
      files += 1;
      attributes += Object.keys(json).length;
    }
    assert.ok(files >= 200, `only ${files} files compared`);
    assert.ok(attributes > 10_000, `only ${attributes} attributes compared`);
  });

  test('escapes strings, keeps names, nests sequences, writes NaN as null, orders keys as JSON.stringify', () => {
    const json: DicomJsonDataset = {
      '00080005': { vr: 'CS', Value: ['ISO_IR 100'] },
      '00080016': { vr: 'UI', Value: ['1.2\u0000'] },
      '00081030': { vr: 'LO', Value: ['quote " backslash \\ tab \t newline \n é 日本', null] },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^John', Ideographic: '山田' }, null] },
      '00181050': { vr: 'DS', Value: [0.5, -0, 1e21, Number.NaN] },
      '00280030': { vr: 'US' },
      '00081115': {
        vr: 'SQ',
        Value: [{ '00081150': { vr: 'UI', Value: ['1.2.3'] } }, {}],
      },
      // An integer-like key: JSON.stringify (and for...in) put it first.
      '10011000': { vr: 'UN', InlineBinary: 'AAEC' },
      '7FE00010': { vr: 'OW', BulkDataURI: '?offset=1&length="2"' },
    };
    const text = dicomJsonText(json);
    assert.equal(text, JSON.stringify(json));
    assert.ok(text.startsWith('{"10011000"'), text.slice(0, 20));
    assert.ok(text.includes('"Value":[0.5,0,1e+21,null]'), 'numbers');
  });
});

test('a big-endian dataset read from a Buffer is not changed by writing its InlineBinary', () => {
  const bytes = readFileSync(new URL('pydicom/test_files/MR_small_bigendian.dcm', CORPUS));
  const before = Buffer.from(bytes);
  const { dataset } = parseBuffer(bytes);
  const first = toDicomJson(dataset, { bulkDataThreshold: 1e9 });
  const second = toDicomJson(dataset, { bulkDataThreshold: 1e9 });
  assert.ok(
    Object.values(first).some((a) => a.InlineBinary !== undefined && a.vr === 'OW'),
    'the file has OW values written inline',
  );
  assert.deepEqual(second, first, 'the same JSON twice');
  assert.ok(bytes.equals(before), 'the bytes read are unchanged');
});
