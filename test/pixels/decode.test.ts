// Pixel decoding against the golden references in test/corpus-ref (REFS.tsv, VALIDATION.tsv):
// every `ok` row byte for byte, malformed inputs decoded or refused with a typed error, files
// without a reference against their lossless siblings (fixtures/expectations.json).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DicomError } from '../../src/dicom/errors.js';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import { openPixelData, PixelError } from '../../src/dicom/pixels/index.js';
import { loadCodecs } from '../../src/io/codecs.js';
import { corpusPath, readManifest } from '../helpers/corpus.js';
import { readRawReference, readRefs, readValidation, type RefRow } from '../helpers/corpus-ref.js';
import {
  byteDifference,
  compareSamples,
  decodeCorpusFile,
  samples,
  type Decoded,
} from './samples.js';

interface Expectations {
  readonly lossy: {
    readonly tolerances: readonly { file: string; maxAbsDifference: number; reason: string }[];
  };
  readonly siblings: readonly {
    file: string;
    sibling: string;
    maxAbsDifference: number;
    reason: string;
  }[];
  readonly spotValues: {
    readonly files: readonly {
      file: string;
      row160_columns295to304: number[][];
      rows275to284_column635: number[][];
    }[];
  };
  readonly unreadable: { readonly files: readonly { file: string; code: string }[] };
}

const expectations = JSON.parse(
  readFileSync(new URL('./fixtures/expectations.json', import.meta.url), 'utf8'),
) as Expectations;

const codecs = await loadCodecs();
const refs = readRefs();
const byPath = new Map(refs.map((row) => [row.path, row]));

const cache = new Map<string, Decoded>();
function decoded(path: string): Decoded {
  let value = cache.get(path);
  if (value === undefined) {
    value = decodeCorpusFile(path, codecs);
    cache.set(path, value);
  }
  return value;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Lossy JPEG, JPEG-LS near-lossless, lossy JPEG 2000 and HTJ2K (PS3.5 A.4). */
const LOSSY = new Set([
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.53',
  '1.2.840.10008.1.2.4.55',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.91',
  '1.2.840.10008.1.2.4.203',
]);

/** Our output against a row's reference: exact, or within a documented tolerance. */
function assertMatchesReference(row: RefRow, ours: Decoded): void {
  assert.equal(
    ours.layout.photometricInterpretation,
    row.photometric,
    'decoded photometric interpretation',
  );
  // REFS.tsv copies Planar Configuration even for one sample (OT-PAL-8-face has 1), where it
  // means nothing (PS3.3 C.7.6.3.1.3).
  if (row.planar !== undefined && (row.samplesPerPixel ?? 1) > 1) {
    assert.equal(ours.layout.planarConfiguration, row.planar, 'decoded planar configuration');
  }
  if (sha256(ours.bytes) === row.rawSha256 && ours.bytes.length === row.rawBytes) return;
  const reference = readRawReference(row);
  const where = reference === undefined ? 'no raw file' : byteDifference(ours.bytes, reference);
  const tolerance = expectations.lossy.tolerances.find((t) => t.file === row.path);
  if (tolerance !== undefined && reference !== undefined) {
    const delta = compareSamples(ours, { bytes: reference, layout: ours.layout });
    assert.ok(
      delta.count > 0 && delta.maxAbsDifference <= tolerance.maxAbsDifference,
      `${row.path}: max |d| ${delta.maxAbsDifference} exceeds the documented ` +
        `${tolerance.maxAbsDifference} (${tolerance.reason})`,
    );
    return;
  }
  assert.fail(
    `${row.path}: sha256/length differ from the reference (${ours.bytes.length} bytes, ` +
      `reference ${row.rawBytes ?? '?'}): ${where}`,
  );
}

function isTyped(error: unknown): error is PixelError | DicomError {
  return error instanceof PixelError || error instanceof DicomError;
}

describe('decoded pixel data equals the golden references (REFS.tsv, status ok)', () => {
  const ok = refs.filter((row) => row.status === 'ok');
  test('REFS.tsv has the rows this suite was written for', () => {
    assert.equal(ok.length, 201);
    assert.ok(
      ok.every((row) => row.rawFile !== ''),
      'every ok row has a raw file',
    );
  });
  for (const row of ok) {
    const kind = LOSSY.has(row.transferSyntax) ? 'lossy ' : '';
    test(`${row.path} [${kind}${row.transferSyntax}]`, () => {
      assertMatchesReference(row, decoded(row.path));
    });
  }
});

describe('malformed inputs (ok-best-effort): equal to the reference, or refused with a typed error', () => {
  // What each malformed input gives. Where we decode, our bytes equal the (non-authoritative)
  // reference; a refusal names the attribute that cannot be read.
  const outcome: Record<string, 'equal' | PixelError['code']> = {
    'pydicom/test_files/SC_rgb_jpeg.dcm': 'equal',
    // Number of Frames "1A": not an integer (PS3.5 6.2 IS); DCMTK reads the leading 1.
    'pydicom/test_files/badVR.dcm': 'BAD_PIXEL_ATTRIBUTES',
    'pydicom-data/bad_sequence.dcm': 'equal',
    'pylibjpeg-data/JPEGLossless/JPEGLossless_1s_1f_i_16_16_bad.dcm': 'equal',
    'pynetdicom/CTImageStorage_bad_meta.dcm': 'equal',
  };
  const rows = refs.filter((r) => r.status === 'ok-best-effort');
  test('every ok-best-effort row has an expected outcome', () => {
    assert.deepEqual(rows.map((r) => r.path).sort(), Object.keys(outcome).sort());
  });
  for (const row of rows) {
    test(`${row.path}: ${outcome[row.path] ?? '?'}`, () => {
      const expected = outcome[row.path];
      if (expected === 'equal') {
        const ours = decoded(row.path);
        assert.equal(ours.bytes.length, row.rawBytes, 'length');
        assert.equal(sha256(ours.bytes), row.rawSha256, 'sha256 of the decoded bytes');
        return;
      }
      assert.throws(
        () => decoded(row.path),
        (error) => isTyped(error) && error.code === expected,
      );
    });
  }
});

describe('files without a reference', () => {
  for (const { file, sibling, maxAbsDifference, reason } of expectations.siblings) {
    test(`${file} decodes to the samples of ${sibling} (max |d| ${maxAbsDifference})`, () => {
      assert.notEqual(byPath.get(file)?.status, 'ok', `${file} has a reference: test it there`);
      const delta = compareSamples(decoded(file), decoded(sibling));
      assert.ok(delta.count > 0, `${file}: geometry differs from ${sibling}`);
      assert.ok(
        delta.maxAbsDifference <= maxAbsDifference,
        `${file}: ${delta.differing} samples differ from ${sibling}, max |d| ` +
          `${delta.maxAbsDifference} (first at sample ${delta.first}); allowed ` +
          `${maxAbsDifference}: ${reason}`,
      );
    });
  }

  for (const spot of expectations.spotValues.files) {
    test(`${spot.file} has pydicom's reference pixel values`, () => {
      const { bytes, layout } = decoded(spot.file);
      assert.equal(layout.photometricInterpretation, 'RGB');
      const at = (row: number, column: number): number[] => {
        const i = (row * layout.columns + column) * 3;
        return [...bytes.subarray(i, i + 3)];
      };
      assert.deepEqual(
        spot.row160_columns295to304.map((_, k) => at(160, 295 + k)),
        spot.row160_columns295to304,
      );
      assert.deepEqual(
        spot.rows275to284_column635.map((_, k) => at(275 + k, 635)),
        spot.rows275to284_column635,
      );
    });
  }

  for (const { file, code } of expectations.unreadable.files) {
    test(`${file}: a typed ${code} error`, () => {
      assert.throws(
        () => decoded(file),
        (error) => isTyped(error) && error.code === code,
      );
    });
  }

  test('every no-ref and ambiguous row is covered by a sibling or an expected error', () => {
    const covered = new Set([
      ...expectations.siblings.map((s) => s.file),
      ...expectations.unreadable.files.map((u) => u.file),
      ...expectations.spotValues.files.map((s) => s.file),
    ]);
    const missing = refs
      .filter((row) => row.status === 'no-ref' || row.status === 'ambiguous')
      .map((row) => row.path)
      .filter((path) => !covered.has(path));
    assert.deepEqual(missing, []);
  });
});

describe('VALIDATION.tsv pairs decode as documented', () => {
  for (const pair of readValidation()) {
    if (pair.expectation === 'informational') continue; // rtdose_expb: see expectations.json
    const label = `${pair.compared} vs ${pair.reference} (${pair.result})`;
    test(label, () => {
      const delta = compareSamples(decoded(pair.compared), decoded(pair.reference));
      assert.ok(delta.count > 0, 'same geometry');
      assert.equal(delta.maxAbsDifference, pair.maxDifference, `max |d| as in VALIDATION.tsv`);
    });
  }
});

describe('every corpus file with pixel data: decoded or a typed error, never a crash', () => {
  const files = readManifest().filter((row) => row.photometric !== '' || row.bits_allocated !== '');
  test(`${files.length} files`, () => {
    const failures: string[] = [];
    for (const row of files) {
      try {
        const result = parseBuffer(readFileSync(corpusPath(row)));
        openPixelData(result, { codecs }).all();
      } catch (error) {
        if (!isTyped(error)) failures.push(`${row.path}: ${String(error)}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('float and double pixel data are returned as stored (OF, OD)', () => {
    for (const [path, bits] of [
      ['pydicom-data/parametric_map_float.dcm', 32],
      ['pydicom-data/parametric_map_double_float.dcm', 64],
    ] as const) {
      const ours = decoded(path);
      const { bytes, layout } = ours;
      assert.equal(layout.kind, bits === 32 ? 'float' : 'double');
      assert.equal(layout.bitsAllocated, bits);
      assert.equal(bytes.length, (layout.rows * layout.columns * layout.frames * bits) / 8);
      const values = Array.from(samples(ours));
      assert.ok(values.every(Number.isFinite), `${path}: finite values`);
      assert.ok(
        values.some((v) => v !== 0 && !Number.isInteger(v)),
        `${path}: fractional values`,
      );
    }
  });
});
