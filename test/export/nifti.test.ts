// `niffler export nifti` against Debian's dcm2niix on the same files: same dimensions, affine
// within 1e-3, same voxel values (after each file's scl_slope/scl_inter). The corpus has few
// multi-slice series, so classic series are also made here from corpus slices (new positions,
// orientation and UIDs written with our writer). Then the series that are not volumes, each with
// its reason, names, and resume.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import * as nifti from 'nifti-reader-js';
import { encodePart10, parseBuffer, setStrings, tagForKeyword } from '../../src/dicom/index.js';
import { exportNifti } from '../../src/export/run-nifti.js';
import { corpusRoot } from '../helpers/corpus.js';
import { skipWhenMissing } from '../helpers/skip.js';

const BIN = fileURLToPath(new URL('../../bin/niffler.js', import.meta.url));
const KEY = 'nifti-test-key-0123456789';
const ENV = { ...process.env, NIFFLER_SECRET_EXPORT_PSEUDONYM_KEY: KEY };
const skip = skipWhenMissing(existsSync('/usr/bin/dcm2niix') ? false : 'not installed: dcm2niix');

function hmac(kind: string, value: string): string {
  return createHmac('sha256', KEY).update(`${kind}\0${value}`).digest('hex').slice(0, 32);
}

interface Volume {
  readonly header: nifti.NIFTI1;
  readonly values: Float64Array;
}

const TYPED: Record<number, new (buffer: ArrayBuffer) => ArrayLike<number>> = {
  2: Uint8Array,
  4: Int16Array,
  8: Int32Array,
  16: Float32Array,
  64: Float64Array,
  256: Int8Array,
  512: Uint16Array,
  768: Uint32Array,
};

/** A .nii.gz read with nifti-reader-js; values are real values (scl_slope and scl_inter applied). */
function readVolume(file: string): Volume {
  const bytes = readFileSync(file);
  let buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  assert.ok(nifti.isCompressed(buffer), `${file} is gzip`);
  buffer = nifti.decompress(buffer) as ArrayBuffer;
  assert.ok(nifti.isNIFTI1(buffer), `${file} is NIfTI-1`);
  const header = nifti.readHeader(buffer) as nifti.NIFTI1;
  const Typed = TYPED[header.datatypeCode];
  assert.ok(Typed !== undefined, `datatype ${header.datatypeCode}`);
  const raw = new Typed(nifti.readImage(header, buffer));
  const slope = header.scl_slope === 0 ? 1 : header.scl_slope;
  const values = Float64Array.from(raw, (v) => v * slope + header.scl_inter);
  return { header, values };
}

let work: string;
before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'niffler-nifti-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function tag(keyword: string): number {
  const t = tagForKeyword(keyword);
  assert.ok(t !== undefined, `keyword ${keyword}`);
  return t;
}

interface SliceEdit {
  readonly position: readonly number[];
  readonly orientation?: readonly number[];
  readonly intercept?: number;
  /**
   * MR Acquisition Type. MR_small says 3D, for which dcm2niix 1.0.20220720 also reverses the
   * columns (the same volume in the world, another array and affine); a stack of separate slices
   * is a 2D acquisition.
   */
  readonly acquisition?: '2D';
}

/**
 * A classic series from one corpus slice: one file per edit, each with its own position (and
 * orientation, rescale), SOP Instance UID and Instance Number, under shuffled file names.
 */
function makeSeries(
  dir: string,
  source: string,
  seriesUid: string,
  edits: readonly SliceEdit[],
): void {
  mkdirSync(dir, { recursive: true });
  const order = edits.map((_, i) => i).sort((a, b) => ((a * 7) % 5) - ((b * 7) % 5) || a - b);
  edits.forEach((edit, i) => {
    const parsed = parseBuffer(readFileSync(path.join(corpusRoot, source)));
    const { dataset } = parsed;
    const uid = `${seriesUid}.${i + 1}`;
    setStrings(dataset, tag('SeriesInstanceUID'), [seriesUid]);
    setStrings(dataset, tag('SOPInstanceUID'), [uid]);
    setStrings(dataset, tag('InstanceNumber'), [String(i + 1)]);
    setStrings(
      dataset,
      tag('ImagePositionPatient'),
      edit.position.map((v) => v.toFixed(4)),
    );
    if (edit.orientation !== undefined) {
      setStrings(
        dataset,
        tag('ImageOrientationPatient'),
        edit.orientation.map((v) => v.toFixed(6)),
      );
    }
    if (edit.intercept !== undefined)
      setStrings(dataset, tag('RescaleIntercept'), [String(edit.intercept)]);
    if (edit.acquisition !== undefined) {
      setStrings(dataset, tag('MRAcquisitionType'), [edit.acquisition]);
    }
    setStrings(parsed.meta, tag('MediaStorageSOPInstanceUID'), [uid]);
    const parts = encodePart10(parsed.meta, dataset, {
      sourceTransferSyntaxUid: parsed.transferSyntaxUid,
    });
    writeFileSync(path.join(dir, `slice-${order[i]}`), Buffer.concat(parts));
  });
}

const axial = (n: number, z0: number, dz: number): SliceEdit[] =>
  Array.from({ length: n }, (_, k) => ({ position: [-90, -120, z0 + k * dz] }));

/** Rotation of the axial plane by `degrees` about the left-right axis: an oblique stack. */
function oblique(n: number, degrees: number, spacing: number): SliceEdit[] {
  const a = (degrees * Math.PI) / 180;
  const row = [1, 0, 0];
  const column = [0, Math.cos(a), Math.sin(a)];
  const normal = [0, -Math.sin(a), Math.cos(a)];
  return Array.from({ length: n }, (_, k) => ({
    position: [
      -60 + k * spacing * normal[0]!,
      -70 + k * spacing * normal[1]!,
      10 + k * spacing * normal[2]!,
    ],
    orientation: [...row, ...column],
    acquisition: '2D' as const,
  }));
}

function niffler(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: ENV });
}

/** Ours and dcm2niix's volume of one input folder holding one series. */
function convertBoth(input: string): { ours: Volume; theirs: Volume; ourFile: string } {
  const out = `${input}-ours`;
  const run = niffler(['export', 'nifti', input, '--out', out, '--workers', '1']);
  assert.equal(run.status, 0, run.stderr);
  const ourFiles = readdirSync(out, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.nii.gz'));
  assert.equal(
    ourFiles.length,
    1,
    `one volume: ${readFileSync(path.join(out, 'failures.csv'), 'utf8')}`,
  );
  const theirDir = `${input}-dcm2niix`;
  mkdirSync(theirDir, { recursive: true });
  const d2n = spawnSync('dcm2niix', ['-z', 'y', '-o', theirDir, input], { encoding: 'utf8' });
  assert.equal(d2n.status, 0, d2n.stdout + d2n.stderr);
  const theirFiles = readdirSync(theirDir).filter((f) => f.endsWith('.nii.gz'));
  assert.equal(theirFiles.length, 1, `dcm2niix wrote one volume: ${theirFiles.join(', ')}`);
  return {
    ours: readVolume(path.join(out, ourFiles[0]!)),
    theirs: readVolume(path.join(theirDir, theirFiles[0]!)),
    ourFile: ourFiles[0]!,
  };
}

function assertSameVolume(ours: Volume, theirs: Volume): void {
  assert.deepEqual(ours.header.dims.slice(0, 4), theirs.header.dims.slice(0, 4), 'dimensions');
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      const d = Math.abs(ours.header.affine[r]![c]! - theirs.header.affine[r]![c]!);
      assert.ok(
        d <= 1e-3,
        `affine[${r}][${c}]: ${ours.header.affine[r]![c]} vs ${theirs.header.affine[r]![c]}`,
      );
    }
  }
  assert.equal(ours.values.length, theirs.values.length, 'voxel count');
  let differing = 0;
  let first = -1;
  for (let i = 0; i < ours.values.length; i++) {
    if (
      Math.abs(ours.values[i]! - theirs.values[i]!) >
      1e-3 * Math.max(1, Math.abs(theirs.values[i]!))
    ) {
      differing++;
      if (first < 0) first = i;
    }
  }
  assert.equal(
    differing,
    0,
    `${differing} voxels differ, first at ${first}: ${ours.values[first]} vs ${theirs.values[first]}`,
  );
  // Our header is valid NIfTI-1 for a reader: the qform (quaternion) and sform say the same.
  const q = ours.header.getQformMat();
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      assert.ok(
        Math.abs(q[r]![c]! - ours.header.affine[r]![c]!) <= 1e-3,
        `qform[${r}][${c}] = sform`,
      );
    }
  }
  assert.equal(ours.header.qform_code, 1);
  assert.equal(ours.header.sform_code, 1);
  assert.equal(ours.header.vox_offset, 352);
}

describe('NIfTI volumes equal dcm2niix', { skip }, () => {
  for (const file of [
    'pydicom-data/eCT_Supplemental.dcm', // enhanced CT, 2 frames, per-frame functional groups
    'dcm_qa_enh/Siemens/XA10/6_1.dcm', // enhanced MR (Siemens XA10), 6 frames, oblique
    'pydicom/test_files/CT_small.dcm', // one CT slice, rescale -1024
    'pydicom/test_files/MR_small.dcm', // one MR slice
  ]) {
    test(`corpus ${file}`, () => {
      const input = path.join(work, file.replace(/\W/g, '_'));
      mkdirSync(input, { recursive: true });
      copyFileSync(path.join(corpusRoot, file), path.join(input, 'image'));
      const { ours, theirs } = convertBoth(input);
      assertSameVolume(ours, theirs);
    });
  }

  test('a classic CT series of 12 files (shuffled names), rescale kept in scl_slope/scl_inter', () => {
    const input = path.join(work, 'ct-series');
    makeSeries(input, 'pydicom/test_files/CT_small.dcm', '2.25.1001', axial(12, -40, 2.5));
    const { ours, theirs } = convertBoth(input);
    assertSameVolume(ours, theirs);
    assert.equal(ours.header.scl_inter, -1024, 'intercept in the header');
    assert.equal(ours.header.datatypeCode, 4, 'stored values as int16');
    assert.ok(Math.abs(ours.header.pixDims[3]! - 2.5) < 1e-4, 'slice spacing 2.5 mm');
  });

  test('an oblique MR series (20 degrees), slices along the normal', () => {
    const input = path.join(work, 'mr-oblique');
    makeSeries(input, 'pydicom/test_files/MR_small.dcm', '2.25.1002', oblique(8, 20, 3));
    const { ours, theirs } = convertBoth(input);
    assertSameVolume(ours, theirs);
  });

  test('slices with different rescale intercepts: rescale applied into float32', () => {
    const input = path.join(work, 'ct-rescale');
    const edits = axial(6, 0, 5).map((e, k) => ({ ...e, intercept: -1024 + 10 * k }));
    makeSeries(input, 'pydicom/test_files/CT_small.dcm', '2.25.1003', edits);
    const { ours, theirs } = convertBoth(input);
    assert.equal(ours.header.datatypeCode, 16, 'float32');
    assertSameVolume(ours, theirs);
  });
});

describe('series that are not volumes: failures.csv says why', () => {
  let out: string;
  let failures: Map<string, { reason: string; detail: string }>;
  before(() => {
    const input = path.join(work, 'not-volumes');
    // Mixed orientations: an axial and an oblique stack under one series UID.
    makeSeries(path.join(input, 'mixed'), 'pydicom/test_files/MR_small.dcm', '2.25.2001', [
      ...axial(3, 0, 3),
      ...oblique(3, 30, 3).map((e) => ({
        ...e,
        position: [e.position[0]!, e.position[1]!, e.position[2]! + 50],
      })),
    ]);
    // A gap: slice 4 of 8 missing.
    makeSeries(
      path.join(input, 'gap'),
      'pydicom/test_files/CT_small.dcm',
      '2.25.2002',
      axial(8, 0, 2).filter((_, k) => k !== 3),
    );
    // Two echoes: every position twice.
    makeSeries(path.join(input, 'echoes'), 'pydicom/test_files/MR_small.dcm', '2.25.2003', [
      ...axial(4, 0, 4),
      ...axial(4, 0, 4),
    ]);
    // A projection radiograph: no Image Plane module.
    copyFileSync(path.join(corpusRoot, 'highdicom/dx_image.dcm'), path.join(input, 'dx'));
    // A Siemens mosaic.
    copyFileSync(path.join(corpusRoot, 'dcm_qa_ts/1.dcm'), path.join(input, 'mosaic'));
    out = path.join(work, 'not-volumes-out');
    const run = niffler(['export', 'nifti', input, '--out', out, '--workers', '2']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /0 volumes, 5 series not exported/);
    const lines = readFileSync(path.join(out, 'failures.csv'), 'utf8')
      .trim()
      .split('\r\n')
      .slice(1);
    failures = new Map(
      lines.map((line) => {
        const [source, reason, ...rest] = line.split(',');
        return [
          path.relative(input, source!),
          { reason: reason!, detail: rest.join(',').replace(/^"|"$/g, '') },
        ];
      }),
    );
  });

  const expect = (file: string, pattern: RegExp): void => {
    const failure = failures.get(file);
    assert.ok(failure !== undefined, `${file} is in failures.csv`);
    assert.equal(failure.reason, 'not-a-volume');
    assert.match(failure.detail, pattern);
  };
  test('mixed orientations', () => expect('mixed/slice-0', /mixed orientations: 3 slices of 6/));
  test('uneven spacing', () =>
    expect('gap/slice-0', /slice spacing varies from 2\.000 to 4\.000 mm/));
  test('several images per position', () =>
    expect('echoes/slice-0', /4 slices of 8 share a position/));
  test('no position', () =>
    expect('dx', /missing ImagePositionPatient \(1 of 1\), ImageOrientationPatient/));
  test('mosaic', () => expect('mosaic', /MOSAIC/));
  test('every file of a failed series has its row', () => {
    assert.equal(failures.size, 6 + 7 + 8 + 1 + 1);
  });
});

describe('names and resume', () => {
  test('extracted-volumes/<patient>/<study>/<series>.nii.gz as keyed pseudonyms; a run after the last redoes nothing; a new slice redoes its series', async () => {
    const input = path.join(work, 'resume-in');
    makeSeries(
      path.join(input, 'a'),
      'pydicom/test_files/CT_small.dcm',
      '2.25.3001',
      axial(4, 0, 2),
    );
    makeSeries(
      path.join(input, 'b'),
      'pydicom/test_files/MR_small.dcm',
      '2.25.3002',
      axial(3, 0, 3),
    );
    const outDir = path.join(work, 'resume-out');
    const options = {
      inputs: [input],
      outDir,
      key: KEY,
      headers: { privateAttributes: false, phi: false },
      workers: 0,
    };
    const first = await exportNifti(options);
    assert.equal(first.volumes, 2);
    const mapping = readFileSync(path.join(outDir, 'mapping.csv'), 'utf8');
    // CT_small: PatientID 1CT1, StudyInstanceUID as in the file.
    const ct = `extracted-volumes/${hmac('patient', '1CT1')}/${hmac('study', '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322')}/${hmac('series', '2.25.3001')}.nii.gz`;
    assert.ok(mapping.includes(ct), `mapping.csv names ${ct}`);
    assert.ok(existsSync(path.join(outDir, ct)), 'the volume exists');
    assert.ok(!mapping.includes('2.25.3001.'), 'no UID in any output name');

    const second = await exportNifti(options);
    assert.equal(second.volumes, 0);
    assert.equal(second.skippedSeries, 2);
    assert.equal(second.skippedFiles, 7);

    makeSeries(
      path.join(input, 'a5'),
      'pydicom/test_files/CT_small.dcm',
      '2.25.3001',
      axial(5, 0, 2).slice(4),
    );
    const third = await exportNifti(options);
    assert.equal(third.volumes, 1, 'the series with a new slice is written again');
    assert.equal(third.skippedSeries, 1);
    const volume = readVolume(path.join(outDir, ct));
    assert.equal(volume.header.dims[3], 5);
  });
});
