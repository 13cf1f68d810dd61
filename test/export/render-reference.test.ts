// PNG rendering against DCMTK: the reference PNGs in test/corpus-ref (dcm2pnm +on +Wm: 8-bit,
// min-max window) identical or within 1 grey level, and 16-bit output checked value by value
// against dcm2pnm +on2 (16-bit PNG) run here on the same files, for the min-max window and for
// the file's own window. Where DCMTK differs on purpose-less grounds the test says why and
// checks our output against what the standard asks instead.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTag, parseBuffer, readNumbers, type Dataset } from '../../src/dicom/index.js';
import { openPixelData, type CodecRegistry } from '../../src/dicom/pixels/index.js';
import { renderAttributes, type RenderAttributes } from '../../src/export/attributes.js';
import { encodePng } from '../../src/export/png.js';
import {
  minMaxWindow,
  renderFrame,
  type OutputBits,
  type RenderOptions,
  type RenderResult,
} from '../../src/export/render.js';
import { loadCodecs } from '../../src/io/codecs.js';
import { corpusRoot } from '../helpers/corpus.js';
import { corpusRefRoot, readRefs, type RefRow } from '../helpers/corpus-ref.js';
import { runProcess } from '../helpers/peers.js';
import { maxDifference, readPng } from '../helpers/png.js';
import { skipWhenMissing } from '../helpers/skip.js';

const DCM2PNM = '/usr/bin/dcm2pnm';
const skip = skipWhenMissing(existsSync(DCM2PNM) ? false : 'not installed: dcm2pnm (dcmtk)');

/**
 * highdicom/dx_image.dcm has an odd number of 8-bit pixels; DCMTK counts the pad byte (0) as a
 * pixel when it computes the min-max window, so its window starts at 0 where the smallest pixel
 * is 5. Checked against our rendering with that window forced.
 */
const PAD_BYTE_IN_MINMAX = new Set(['highdicom/dx_image.dcm']);

const RESCALE_SLOPE = makeTag(0x0028, 0x1053);

let codecs: CodecRegistry;
let work: string;
before(async () => {
  codecs = await loadCodecs();
  work = await mkdtemp(path.join(os.tmpdir(), 'niffler-render-'));
});
after(async () => {
  // dcm2pnm runs started ahead and not read (a filtered run) must end before the folder goes.
  await Promise.all(prepared.values());
  await rm(work, { recursive: true, force: true });
});

interface Loaded {
  readonly dataset: Dataset;
  readonly attrs: RenderAttributes;
  readonly render: (options: RenderOptions, override?: Partial<RenderAttributes>) => RenderResult;
}

const loaded = new Map<string, Loaded>();
function load(row: RefRow): Loaded {
  let value = loaded.get(row.path);
  if (value !== undefined) return value;
  const parsed = parseBuffer(readFileSync(path.join(corpusRoot, row.path)));
  const source = openPixelData(parsed, { codecs });
  const attrs = renderAttributes(parsed.dataset, 0);
  const frame = source.frame(0);
  value = {
    dataset: parsed.dataset,
    attrs,
    render: (options, override = {}) =>
      renderFrame(frame, source.decoded, { ...attrs, ...override }, options),
  };
  loaded.set(row.path, value);
  return value;
}

/** DCMTK burns overlays into its output; a file with Overlay Data (60xx,3000) has some. */
function hasOverlay(dataset: Dataset): boolean {
  for (let group = 0x6000; group <= 0x601e; group += 2) {
    if (dataset.has(makeTag(group, 0x3000))) return true;
  }
  return false;
}

/** A non-integer Rescale Slope: DCMTK truncates such modality values to integers (see below). */
function fractionalSlope(dataset: Dataset): boolean {
  const element = dataset.get(RESCALE_SLOPE);
  if (element?.kind !== 'value') return false;
  const slope = readNumbers(dataset, element)[0];
  return slope !== undefined && !Number.isInteger(slope);
}

let counter = 0;
// dcm2pnm runs are started ahead of the tests that read them, four at a time (the tests
// themselves take milliseconds; waiting for each process in turn took most of a minute).
let running = 0;
const waiting: (() => void)[] = [];
async function limited<T>(job: () => Promise<T>): Promise<T> {
  while (running >= 4) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await job();
  } finally {
    running--;
    waiting.shift()?.();
  }
}
const prepared = new Map<string, Promise<string | undefined>>();
function dcm2pnmAhead(
  row: RefRow,
  bits: OutputBits,
  window: readonly string[],
): Promise<string | undefined> {
  const key = `${row.path} ${bits} ${window.join(' ')}`;
  let result = prepared.get(key);
  if (result === undefined) {
    result = limited(() => dcm2pnm(row, bits, [...window]));
    prepared.set(key, result);
  }
  return result;
}

async function dcm2pnm(
  row: RefRow,
  bits: OutputBits,
  window: string[],
  input = path.join(corpusRoot, row.path),
): Promise<string | undefined> {
  const out = path.join(work, `${counter++}.png`);
  const result = await runProcess(DCM2PNM, [
    bits === 16 ? '+on2' : '+on',
    ...window,
    '-O', // no overlays
    input,
    out,
  ]);
  return result.code === 0 && existsSync(out) ? out : undefined;
}

/** dcm2pnm on a copy decompressed by GDCM, for the syntaxes dcm2pnm cannot read itself. */
async function dcm2pnmDecompressed(
  row: RefRow,
  bits: OutputBits,
  window: string[],
): Promise<string | undefined> {
  const raw = path.join(work, `${counter++}.dcm`);
  const result = await runProcess('gdcmconv', ['--raw', path.join(corpusRoot, row.path), raw]);
  if (result.code !== 0) return undefined;
  return dcm2pnm(row, bits, window, raw);
}

const withPng = readRefs().filter(
  (row) =>
    row.status === 'ok' &&
    row.cells.png !== '' &&
    existsSync(path.join(corpusRefRoot, row.cells.png)),
);

describe(
  '8-bit min-max PNG equals the reference PNGs (dcm2pnm +on +Wm) within 1 grey level',
  { skip },
  () => {
    test('the reference set is the one this test was written for', () => {
      assert.ok(withPng.length >= 190, `${withPng.length} reference PNGs`);
    });
    for (const row of withPng) {
      test(row.path, async (t) => {
        const { dataset, render } = load(row);
        const ours = render({ bits: 8, window: 'minmax' });
        let reference = path.join(corpusRefRoot, row.cells.png);
        if (hasOverlay(dataset)) {
          // The stored reference has the overlays burned in; DCMTK without them is the same image.
          t.diagnostic('has overlays: compared with dcm2pnm -O run here');
          const fresh =
            (await dcm2pnm(row, 8, ['+Wm'])) ?? (await dcm2pnmDecompressed(row, 8, ['+Wm']));
          assert.ok(fresh !== undefined, 'dcm2pnm -O succeeds');
          reference = fresh;
        }
        let image = ours.image;
        if (PAD_BYTE_IN_MINMAX.has(row.path)) {
          assert.equal(ours.voi.kind, 'minmax');
          const max = ours.voi.kind === 'minmax' ? ours.voi.max : 0;
          image = render(
            { bits: 8, window: 'file' },
            { window: minMaxWindow(0, max), voiLut: undefined },
          ).image;
        }
        const ref = await readPng(reference);
        assert.equal(ref.width, image.width, 'width');
        assert.equal(ref.height, image.height, 'height');
        assert.equal(ref.channels, image.channels, 'channels');
        const { max, differing } = maxDifference(image.data, ref.data);
        assert.ok(max <= 1, `${differing} samples differ, by up to ${max}`);
      });
    }
  },
);

const grey = readRefs().filter(
  (row) => row.status === 'ok' && row.samplesPerPixel === 1 && row.photometric !== 'PALETTE COLOR',
);

for (const [label, window, dcmtk] of [
  ['min-max window', 'minmax', ['+Wm']],
  ["the file's first window", 'file', ['+Wi', '1']],
] as const) {
  describe(`16-bit PNG, ${label}: value by value against dcm2pnm +on2`, { skip }, () => {
    let compared = 0;
    before(() => {
      if (skip !== false) return;
      for (const row of grey) {
        if (window === 'file' && load(row).attrs.window === undefined) continue;
        void dcm2pnmAhead(row, 16, dcmtk);
      }
    });
    after(() => {
      // Enough files to mean something (DCMTK cannot read every syntax: those are skipped).
      assert.ok(compared >= (window === 'minmax' ? 60 : 20), `${compared} files compared`);
    });
    for (const row of grey) {
      test(row.path, async (t) => {
        const { dataset, render } = load(row);
        const ours = render({ bits: 16, window });
        if (window === 'file' && ours.voi.kind !== 'window') {
          t.diagnostic('no window in the file');
          return;
        }
        const reference = await dcm2pnmAhead(row, 16, dcmtk);
        if (reference === undefined) {
          t.diagnostic('dcm2pnm cannot read this file');
          return;
        }
        compared++;
        let image = ours.image;
        if (PAD_BYTE_IN_MINMAX.has(row.path) && window === 'minmax') {
          const max = ours.voi.kind === 'minmax' ? ours.voi.max : 0;
          image = render(
            { bits: 16, window: 'file' },
            { window: minMaxWindow(0, max), voiLut: undefined },
          ).image;
        }
        const ref = await readPng(reference);
        assert.equal(ref.bits, 16, 'dcm2pnm wrote 16 bits');
        assert.equal(image.bits, 16);
        const { max, differing } = maxDifference(image.data, ref.data);
        if (fractionalSlope(dataset)) {
          // DCMTK stores modality values as integers, truncating slope * v + b when the slope is
          // not an integer; we keep the exact value. The difference is below one modality unit:
          // at most the output levels one unit spans, plus one for truncation.
          const width =
            ours.voi.kind === 'minmax'
              ? ours.voi.max - ours.voi.min
              : ours.voi.kind === 'window'
                ? ours.voi.width
                : 1;
          const allowed = Math.ceil(65535 / Math.max(1, width)) + 1;
          t.diagnostic(
            `fractional Rescale Slope: ${differing} samples differ by up to ${max} (allowed ${allowed})`,
          );
          assert.ok(max <= allowed, `${differing} samples differ, by up to ${max} > ${allowed}`);
          return;
        }
        assert.equal(max, 0, `${differing} samples differ, by up to ${max}`);
      });
    }
  });
}

describe('VOI LUT (PS3.3 C.11.2): value by value against dcm2pnm +Wl 1', { skip }, () => {
  // The corpus files with a VOI LUT Sequence. JPEGLosslessP14SV1_1s_1f_u_16_16.dcm has one whose
  // descriptor and data are empty: it is ignored, as DCMTK ignores it.
  const files = grey.filter((row) => row.path === 'pydicom-data/vlut_04.dcm');
  test('the file with a VOI LUT is in the reference set; an empty one is not read', () => {
    assert.equal(files.length, 1);
    const empty = grey.find(
      (row) => row.path === 'pylibjpeg-data/JPEGLosslessSV1/JPEGLosslessP14SV1_1s_1f_u_16_16.dcm',
    );
    assert.ok(empty !== undefined, 'in the reference set');
    assert.equal(load(empty).attrs.voiLut, undefined);
  });
  for (const row of files) {
    for (const bits of [8, 16] as const) {
      test(`${row.path}, ${bits}-bit`, async () => {
        const { attrs, render } = load(row);
        assert.ok(attrs.voiLut !== undefined, 'a VOI LUT is read');
        const ours = render({ bits, window: 'file' }, { window: undefined });
        assert.equal(ours.voi.kind, 'lut');
        const reference =
          (await dcm2pnm(row, bits, ['+Wl', '1'])) ??
          (await dcm2pnmDecompressed(row, bits, ['+Wl', '1']));
        assert.ok(reference !== undefined, 'dcm2pnm renders it');
        const ref = await readPng(reference);
        const { max, differing } = maxDifference(ours.image.data, ref.data);
        assert.ok(max <= 1, `${differing} samples differ, by up to ${max}`);
      });
    }
  }
});

describe('PNG encoding keeps every value', () => {
  test('16-bit grey, 8-bit grey and RGB read back as rendered', async () => {
    const ct = withPng.find((r) => r.path === 'pydicom/test_files/CT_small.dcm')!;
    const rgb = withPng.find((r) => r.path === 'pydicom-data/SC_rgb.dcm')!;
    for (const [row, bits] of [
      [ct, 16],
      [ct, 8],
      [rgb, 8],
      [rgb, 16],
    ] as const) {
      const { image } = load(row).render({ bits, window: 'minmax' });
      const back = await readPng(await encodePng(image));
      assert.equal(back.bits, bits, `${row.path} ${bits}-bit`);
      assert.equal(back.channels, image.channels);
      assert.deepEqual(
        Array.from(back.data),
        Array.from(image.data),
        `${row.path} ${bits}-bit values`,
      );
    }
  });

  test('resize fits the image inside the square, aspect kept', async () => {
    const mr = withPng.find((r) => r.path === 'pydicom-data/MR2_J2KR.dcm')!;
    const { image } = load(mr).render({ bits: 16, window: 'minmax' });
    const back = await readPng(await encodePng(image, { resize: 256 }));
    assert.equal(Math.max(back.width, back.height), 256);
    assert.equal(back.bits, 16);
  });
});
