// Featuresets (src/metadata): the original's default featureset files, shipped in featuresets/,
// extracted from every readable corpus file and compared, value by value and type by type, with
// pydicom 2.3.1 applying the same documented rules (featureset_oracle.py); plus a featureset of
// sequences and private attributes named by creator, and the file format's errors and warnings.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { PIXEL_DATA } from '../../src/dicom/tag.js';
import { readDicomFileSync } from '../../src/io/dicom-file.js';
import {
  BUILTIN_FEATURESETS_DIR,
  extractFeatures,
  FeaturesetError,
  loadFeaturesets,
  parseFeatureset,
  type FeatureDocument,
  type Featureset,
} from '../../src/metadata/index.js';
import { corpusPath, readManifest } from '../helpers/corpus.js';
import { skipWhenMissing } from '../helpers/skip.js';
import { existsSync } from 'node:fs';

const ORACLE = fileURLToPath(new URL('./featureset_oracle.py', import.meta.url));
const PYTHON = '/usr/bin/python3';
const hasPydicom = (): boolean => {
  try {
    execFileSync(PYTHON, ['-c', 'import pydicom'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** A featureset of sequences and private attributes found in the corpus. */
const EXTRA = [
  'ReferencedImageSequence',
  'SourceImageSequence',
  'ProcedureCodeSequence',
  'RequestAttributesSequence',
  'AnatomicRegionSequence',
  'RealWorldValueMappingSequence',
  'SharedFunctionalGroupsSequence',
  'GEMS_IDEN_01:0009xx01',
  'SIEMENS MEDCOM HEADER:0029xx31',
  '0x00091001',
  '0x00290010',
  'PixelSpacing',
  'WindowCenter',
  'SliceThickness',
  'ImageType',
  'BitsAllocated',
  'ImagePositionPatient',
  'PatientName',
  'AcquisitionDate',
  'ContentTime',
].join('\n');

/** Equal up to float32 rounding (FL values: pydicom widens them, we print the shortest). */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      sameValue(ka, kb) &&
      ka.every((k) =>
        sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return a === b;
}

describe('featuresets', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'niffler-featuresets-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('ships the original four featureset files', () => {
    const { featuresets, warnings } = loadFeaturesets({ builtin: true });
    assert.deepEqual(
      featuresets.map((f) => [f.name, f.entries.length]),
      [
        ['featureset', 28],
        ['featureset1', 50],
        ['featureset2', 26],
        ['featureset3', 9],
      ],
      'names and sizes as in the original (niffler.md 2.2)',
    );
    assert.deepEqual(warnings, [], 'every line is a known attribute');
    assert.ok(existsSync(path.join(BUILTIN_FEATURESETS_DIR, 'featureset1.txt')), 'shipped as data');
  });

  it('reads every spelling of the original files and names bad lines', () => {
    const { featureset, warnings } = parseFeatureset(
      'site',
      'PatientID\n\n# a comment\n0x0051,0x100F\n0x00090010\n(0010,0020)\nPulseSeqName\nSIEMENS MR HEADER:0019xx0B\n',
      'site.txt',
    );
    assert.deepEqual(
      featureset.entries.map((e) => e.kind),
      ['tag', 'tag', 'tag', 'tag', 'unknown', 'private'],
      'kinds',
    );
    assert.equal(warnings.length, 1, 'one warning');
    assert.match(
      warnings[0]!,
      /^site\.txt:7: PulseSeqName is not a keyword/,
      'names file and line',
    );
    assert.throws(
      () => parseFeatureset('x', 'PatientID\nnot a keyword!\n', 'x.txt'),
      (e: unknown) => e instanceof FeaturesetError && /x\.txt:2:/.test(e.message),
      'a bad line is an error naming file:line',
    );
    assert.throws(
      () => parseFeatureset('1bad', '', '1bad.txt'),
      (e: unknown) => e instanceof FeaturesetError && e.code === 'BAD_FEATURESET_NAME',
      'a bad name',
    );
  });

  it(
    'extracts the same typed values as pydicom over the corpus',
    { skip: skipWhenMissing(hasPydicom() ? false : 'python3-pydicom is not installed') },
    () => {
      const extraFile = path.join(work, 'extra.txt');
      writeFileSync(extraFile, `${EXTRA}\n`);
      const { featuresets } = loadFeaturesets({ builtin: true, files: [extraFile] });
      const files = readManifest()
        .filter((row) => !row.malformed && Number(row.size_bytes) > 0)
        .map((row) => corpusPath(row));
      const featuresetFiles = featuresets.map((f) => f.source);
      const oracle = JSON.parse(
        execFileSync(PYTHON, [ORACLE, ...featuresetFiles, '--', ...files], {
          maxBuffer: 256 * 1024 * 1024,
          encoding: 'utf8',
        }),
      ) as Record<string, Record<string, FeatureDocument> | { error: string }>;

      let compared = 0;
      let values = 0;
      let flattened = 0;
      let byCreator = 0;
      const kinds = new Map<string, number>();
      const mismatches: string[] = [];
      for (const file of files) {
        const expected = oracle[file];
        if (expected === undefined || 'error' in expected) continue;
        let ours: Map<string, FeatureDocument>;
        try {
          const { dataset } = readDicomFileSync(file, { untilTag: PIXEL_DATA });
          ours = new Map(featuresets.map((f: Featureset) => [f.name, extractFeatures(dataset, f)]));
        } catch {
          continue; // the oracle test of the parser covers files we refuse
        }
        compared++;
        for (const [name, doc] of ours) {
          const theirs = expected[name] ?? {};
          for (const key of new Set([...Object.keys(doc), ...Object.keys(theirs)])) {
            const a = doc[key];
            const b = theirs[key];
            values++;
            if (/^\d+_[A-Za-z]+Sequence_/.test(key)) flattened++;
            if (/^[^:]+:[0-9A-F]{4}xx[0-9A-F]{2}$/.test(key)) byCreator++;
            const kind = Array.isArray(a) ? 'array' : a === null ? 'null' : typeof a;
            kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
            assert.notEqual(a, 'NaN', `${file} ${name}.${key}: never the string 'NaN'`);
            if (!sameValue(a, b)) {
              mismatches.push(
                `${path.relative(process.cwd(), file)} ${name}.${key}: ours ${JSON.stringify(a)}, pydicom ${JSON.stringify(b)}`,
              );
            }
          }
        }
      }
      assert.ok(compared > 150, `compared ${compared} files`);
      assert.ok(flattened > 50, `sequence items flattened (${flattened} keys)`);
      assert.ok(byCreator > 20, `private attributes named by creator (${byCreator} keys)`);
      assert.ok(
        (kinds.get('number') ?? 0) > 500,
        `numbers stay numbers: ${JSON.stringify([...kinds])}`,
      );
      assert.ok((kinds.get('array') ?? 0) > 100, 'multi-valued attributes are arrays');
      assert.ok((kinds.get('null') ?? 0) > 10, 'empty values are null');
      assert.ok(
        [...Object.keys(oracle)].length === files.length,
        'the oracle answered for every file',
      );
      assert.deepEqual(
        mismatches.slice(0, 30),
        [],
        `${mismatches.length} of ${values} values differ`,
      );
    },
  );
});
