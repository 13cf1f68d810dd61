// The pure cores of export, value in, value out: pseudonyms, the PHI rule, header columns,
// CSV quoting, column choice, the progress line, the NIfTI header and the volume plan.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import * as nifti from 'nifti-reader-js';
import { lookupTag, parseBuffer, tagForKeyword } from '../../src/dicom/index.js';
import { describePixels } from '../../src/dicom/pixels/index.js';
import { csvField, csvLine } from '../../src/export/csv.js';
import { columnSortKey, headerColumns } from '../../src/export/headers.js';
import { pngName } from '../../src/export/layout.js';
import { encodeNiftiHeader, quaternionOf, type Affine } from '../../src/export/nifti/header.js';
import { planVolume } from '../../src/export/nifti/geometry.js';
import type { Slice } from '../../src/export/nifti/slices.js';
import { COMMON_THRESHOLD, metadataColumns } from '../../src/export/outputs.js';
import { isPhi, PHI_KEYWORDS } from '../../src/export/phi.js';
import { progressLine } from '../../src/export/progress.js';
import { pseudonymizer } from '../../src/export/pseudonym.js';
import { corpusRoot } from '../helpers/corpus.js';

describe('pseudonyms', () => {
  const p = pseudonymizer('a-key-of-sixteen-chars');
  test('HMAC-SHA-256 of kind NUL value under the key, 32 hex characters', () => {
    const expected = createHmac('sha256', 'a-key-of-sixteen-chars')
      .update('patient\0MRN123')
      .digest('hex')
      .slice(0, 32);
    assert.equal(p('patient', 'MRN123'), expected);
  });
  test('the kind separates domains; another key gives other names', () => {
    assert.notEqual(p('patient', '1.2.3'), p('study', '1.2.3'));
    assert.notEqual(
      pseudonymizer('another-key-of-16+')('patient', 'MRN123'),
      p('patient', 'MRN123'),
    );
  });
  test('the fingerprint identifies the key without being derived like a name', () => {
    assert.match(p.fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(pseudonymizer('a-key-of-sixteen-chars').fingerprint, p.fingerprint);
    assert.notEqual(pseudonymizer('another-key-of-16+').fingerprint, p.fingerprint);
  });
  test('a short key is refused with BAD_KEY', () => {
    assert.throws(
      () => pseudonymizer('short'),
      (e: unknown) => (e as { code?: string }).code === 'BAD_KEY',
    );
  });
});

describe('PHI rule (PS3.15 basic profile)', () => {
  test('every listed keyword is a PS3.6 keyword (a typo would let PHI through)', () => {
    // OverlayComments is in the repeating group 60xx: its keyword comes from lookupTag.
    const repeating = new Set([lookupTag(0x60004000)?.keyword]);
    const unknown = [...PHI_KEYWORDS].filter(
      (k) => tagForKeyword(k) === undefined && !repeating.has(k),
    );
    assert.deepEqual(unknown, []);
  });
  const phi = (keyword: string): boolean => {
    const tag = tagForKeyword(keyword)!;
    return isPhi(tag, lookupTag(tag)!.vr, keyword);
  };
  test('names, dates, times, instance UIDs, identifiers and free text are PHI', () => {
    for (const k of [
      'PatientName',
      'OperatorsName',
      'StudyDate',
      'AcquisitionTime',
      'AcquisitionDateTime',
      'StudyInstanceUID',
      'SOPInstanceUID',
      'FrameOfReferenceUID',
      'PatientID',
      'AccessionNumber',
      'InstitutionName',
      'DeviceSerialNumber',
      'StudyDescription',
      'ImageComments',
      'PatientAge',
      'PatientSex',
    ]) {
      assert.ok(phi(k), `${k} is PHI`);
    }
  });
  test('acquisition and image attributes and class UIDs are not', () => {
    for (const k of [
      'Modality',
      'Rows',
      'SliceThickness',
      'KVP',
      'RepetitionTime',
      'Manufacturer',
      'ManufacturerModelName',
      'SOPClassUID',
      'TransferSyntaxUID',
      'ImageType',
      'BodyPartExamined',
      'PixelSpacing',
    ]) {
      assert.ok(!phi(k), `${k} is not PHI`);
    }
  });
  test('private attributes are', () => {
    assert.ok(isPhi(0x00191001, 'LO', ''), 'private');
  });
});

describe('header columns', () => {
  const ct = parseBuffer(
    readFileSync(path.join(corpusRoot, 'pydicom/test_files/CT_small.dcm')),
  ).dataset;
  test('keywords, backslash-joined multiple values, sequences as Keyword.N.Child', () => {
    const columns = headerColumns(ct, { privateAttributes: false, phi: true });
    assert.equal(columns.get('PixelSpacing'), '0.661468\\0.661468');
    assert.equal(columns.get('ImageType'), 'ORIGINAL\\PRIMARY\\AXIAL');
    assert.equal(columns.get('Rows'), '128');
    assert.equal(columns.get('OtherPatientIDsSequence.0.PatientID'), 'ABCD1234');
    assert.equal(columns.get('OtherPatientIDsSequence.1.PatientID'), '1234ABCD');
    assert.ok(!columns.has('PixelData'), 'no pixel data');
  });
  test('without PHI nothing identifying is left, nested or not', () => {
    const columns = headerColumns(ct, { privateAttributes: false, phi: false });
    const text = [...columns].join('\n');
    for (const v of ['1CT1', 'ABCD1234', 'CompressedSamples', '20040119'])
      assert.ok(!text.includes(v), v);
    assert.equal(columns.get('Modality'), 'CT');
  });
  test('private attributes as GGGGxxEE_CREATOR, only when asked for', () => {
    const withPrivate = headerColumns(ct, { privateAttributes: true, phi: true });
    // (0009,1002) SH [CT01] in the block of (0009,0010) GEMS_IDEN_01.
    assert.equal(withPrivate.get('0009xx02_GEMS_IDEN_01'), 'CT01');
    const without = [...headerColumns(ct, { privateAttributes: false, phi: true }).keys()];
    assert.ok(!without.some((c) => /^[0-9A-F]{4}xx/.test(c)), 'no private column');
  });
  test('column sort key is tag order, items in order, whatever the names', () => {
    const names = [
      'Rows',
      'Modality',
      'OtherPatientIDsSequence.1.PatientID',
      'OtherPatientIDsSequence.0.PatientID',
      '00191000',
      '0019xx01_GEMS',
    ];
    const sorted = [...names].sort((a, b) => (columnSortKey(a) < columnSortKey(b) ? -1 : 1));
    assert.deepEqual(sorted, [
      'Modality',
      'OtherPatientIDsSequence.0.PatientID',
      'OtherPatientIDsSequence.1.PatientID',
      '00191000',
      '0019xx01_GEMS',
      'Rows',
    ]);
  });
  test('a featureset filter keeps its tags, and private attributes by creator in any block', () => {
    const only = headerColumns(ct, {
      privateAttributes: true,
      phi: true,
      only: new Set([0x00080060, 0x00280010]),
      onlyPrivate: [{ creator: 'GEMS_IDEN_01', group: 0x0009, offset: 0x02 }],
    });
    assert.deepEqual([...only.keys()], ['Modality', '0009xx02_GEMS_IDEN_01', 'Rows']);
  });
});

describe('CSV and columns', () => {
  test('RFC 4180 quoting', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvLine(['a', 'b\nc']), 'a,"b\nc"\r\n');
  });
  test('common: header columns present in at least 90% of rows; fixed columns first', () => {
    const counts = new Map([
      ['patient', 10],
      ['png', 10],
      ['Rows', 10],
      ['Modality', 9],
      ['SliceThickness', 8],
    ]);
    assert.equal(COMMON_THRESHOLD, 0.9);
    assert.deepEqual(metadataColumns(counts, 10, { kind: 'common' }), [
      'patient',
      'png',
      'Modality',
      'Rows',
    ]);
    assert.deepEqual(metadataColumns(counts, 10, { kind: 'public' }), [
      'patient',
      'png',
      'Modality',
      'SliceThickness',
      'Rows',
    ]);
  });
  test('PNG names: one frame, or numbered frames', () => {
    assert.equal(pngName('abc', 0, 1), 'abc.png');
    assert.equal(pngName('abc', 9, 10), 'abc_0010.png');
    assert.equal(pngName('abc', 0, 12345), 'abc_00001.png');
  });
  test('progress line: a bar once the walk is over', () => {
    const state = { done: 40, failed: 5, skipped: 5, found: 100, walked: true, elapsedMs: 1000 };
    assert.equal(
      progressLine(state, 10),
      '[#####.....] 50% 50/100 files, 40 exported, 5 failed, 5 from an earlier run, 45.0 files/s',
    );
    assert.equal(
      progressLine({ ...state, walked: false }, 10),
      '50/100+ files, 40 exported, 5 failed, 5 from an earlier run, 45.0 files/s',
    );
  });
});

describe('NIfTI-1 header', () => {
  const affine: Affine = [
    [-0.5, 0, 0.1, 10],
    [0, 0.5, 0.2, -20],
    [0, -0.1, 2.5, 30],
  ];
  test('nifti-reader-js reads back what we wrote', () => {
    const bytes = encodeNiftiHeader({
      dims: [64, 32, 10],
      type: 'int16',
      spacing: [0.5, 0.51, 2.51],
      affine,
      sclSlope: 2,
      sclInter: -1024,
      description: 'niffler',
    });
    assert.equal(bytes.length, 352);
    const buffer = bytes.buffer.slice(0) as ArrayBuffer;
    assert.ok(nifti.isNIFTI1(buffer), 'isNIFTI1');
    const header = nifti.readHeader(buffer) as nifti.NIFTI1;
    assert.deepEqual(header.dims.slice(0, 4), [3, 64, 32, 10]);
    assert.equal(header.datatypeCode, 4);
    assert.equal(header.numBitsPerVoxel, 16);
    assert.equal(header.scl_slope, 2);
    assert.equal(header.scl_inter, -1024);
    assert.equal(header.vox_offset, 352);
    assert.equal(header.description, 'niffler');
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 4; c++)
        assert.ok(Math.abs(header.affine[r]![c]! - affine[r]![c]!) < 1e-6, `sform ${r} ${c}`);
  });
  test('the quaternion of a left-handed (radiological) affine has qfac -1 and rebuilds the rotation', () => {
    const { qfac, quaternion } = quaternionOf([
      [-1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ]);
    assert.equal(qfac, -1);
    // x negated, and qfac -1 negates z: diag(-1, 1, -1), a half turn about y: (b, c, d) = (0, 1, 0).
    assert.deepEqual(
      quaternion.map((v) => Math.round(v * 1e6) / 1e6 + 0),
      [0, 1, 0],
    );
  });
});

describe('volume plan', () => {
  const pixels = describePixels(
    parseBuffer(readFileSync(path.join(corpusRoot, 'pydicom/test_files/CT_small.dcm'))).dataset,
  );
  const slice = (z: number, extra: Partial<Slice> = {}): Slice => ({
    path: `s${z}`,
    frame: 0,
    position: [0, 0, z],
    orientation: [1, 0, 0, 0, 1, 0],
    pixelSpacing: [0.5, 0.5],
    sliceThickness: 1,
    spacingBetweenSlices: undefined,
    slope: 1,
    intercept: -1024,
    instanceNumber: undefined,
    mosaic: false,
    pixels: { ...pixels, frames: 1 },
    ...extra,
  });
  test('slices sorted along the normal, spacing from the positions', () => {
    const result = planVolume([slice(6), slice(0), slice(3)]);
    assert.ok(result.ok, 'a volume');
    assert.deepEqual(
      result.plan.slices.map((s) => s.path),
      ['s0', 's3', 's6'],
    );
    assert.deepEqual(result.plan.spacing, [0.5, 0.5, 3]);
    assert.equal(result.plan.sclInter, -1024);
    assert.equal(result.plan.applyRescale, false);
  });
  test('reasons for what is not a volume', () => {
    const problem = (slices: Slice[]): string => {
      const r = planVolume(slices);
      assert.ok(!r.ok, 'not a volume');
      return r.problem;
    };
    assert.match(
      problem([slice(0), slice(1, { position: undefined })]),
      /missing ImagePositionPatient \(1 of 2\)/,
    );
    assert.match(
      problem([slice(0), slice(1, { orientation: [0, 1, 0, 0, 0, -1] })]),
      /mixed orientations/,
    );
    assert.match(problem([slice(0), slice(0)]), /1 slice of 2 share a position/);
    assert.match(
      problem([slice(0), slice(1), slice(3)]),
      /slice spacing varies from 1\.000 to 2\.000 mm/,
    );
    assert.match(problem([slice(0), slice(1, { mosaic: true })]), /MOSAIC/);
  });
  test('different rescales: applied, float32', () => {
    const r = planVolume([slice(0), slice(1, { intercept: 0 })]);
    assert.ok(r.ok, 'a volume');
    assert.equal(r.plan.type, 'float32');
    assert.equal(r.plan.applyRescale, true);
  });
});
