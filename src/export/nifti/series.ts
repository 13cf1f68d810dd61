/**
 * One series to one `.nii.gz`: plan the volume (geometry.ts), then decode the slices in volume
 * order and stream them through gzip into a temporary file renamed into place. Memory: one parsed
 * file and one slice at a time, whatever the number of slices. What a worker does per series.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { parseBuffer, type Dataset } from '../../dicom/index.js';
import { openPixelData, type CodecRegistry, type PixelSource } from '../../dicom/pixels/index.js';
import { classifyReadError, classifyWriteError, type Failure } from '../failures.js';
import { headerColumns, type HeaderFilter } from '../headers.js';
import type { Pseudonyms } from '../layout.js';
import type { Pseudonymizer } from '../pseudonym.js';
import { storedValues } from '../stored.js';
import { encodeNiftiHeader, type NiftiType } from './header.js';
import { planVolume, type VolumePlan } from './geometry.js';
import type { Slice } from './slices.js';

/** The folder volumes go into, under the output folder. */
export const VOLUMES_FOLDER = 'extracted-volumes';

export interface NiftiSeriesOptions {
  readonly outDir: string;
  readonly headers: HeaderFilter;
}

export interface NiftiSeriesTask {
  readonly names: Pseudonyms;
  readonly slices: readonly Slice[];
}

export interface NiftiSeriesDeps {
  readonly codecs: CodecRegistry;
  readonly pseudonym: Pseudonymizer;
}

export type NiftiSeriesResult =
  | {
      readonly kind: 'done';
      /** Relative to the output folder. */
      readonly output: string;
      readonly row: Readonly<Record<string, string>>;
    }
  | ({ readonly kind: 'failed' } & Failure);

/** `extracted-volumes/<patient>/<study>/<series>.nii.gz`. */
export function volumePath(names: Pseudonyms): string {
  return `${VOLUMES_FOLDER}/${names.patient}/${names.study}/${names.series}.nii.gz`;
}

type Voxels =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

function voxelArray(type: NiftiType, count: number): Voxels {
  switch (type) {
    case 'uint8':
      return new Uint8Array(count);
    case 'int8':
      return new Int8Array(count);
    case 'uint16':
      return new Uint16Array(count);
    case 'int16':
      return new Int16Array(count);
    case 'uint32':
      return new Uint32Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'float32':
      return new Float32Array(count);
    case 'float64':
      return new Float64Array(count);
  }
}

/** One slice's voxels in NIfTI order (bottom row first), rescaled when the plan says so. */
function sliceVoxels(frame: Uint8Array, slice: Slice, plan: VolumePlan): Uint8Array {
  const values = storedValues(frame, slice.pixels);
  const [columns, rows] = plan.dims;
  const out = voxelArray(plan.type, columns * rows);
  for (let j = 0; j < rows; j++) {
    const from = (rows - 1 - j) * columns;
    const to = j * columns;
    for (let i = 0; i < columns; i++) {
      const v = values[from + i]!;
      out[to + i] = plan.applyRescale ? v * slice.slope + slice.intercept : v;
    }
  }
  // NIfTI data are in the header's byte order: little endian, as typed arrays on every host we run.
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export async function exportNiftiSeries(
  task: NiftiSeriesTask,
  options: NiftiSeriesOptions,
  deps: NiftiSeriesDeps,
): Promise<NiftiSeriesResult> {
  const planned = planVolume(task.slices);
  if (!planned.ok) return { kind: 'failed', reason: 'not-a-volume', detail: planned.problem };
  const plan = planned.plan;
  const output = volumePath(task.names);
  const file = path.join(options.outDir, output);
  const temporary = `${file}.${process.pid}.tmp`;

  let openPath: string | undefined;
  let source: PixelSource | undefined;
  let firstDataset: Dataset | undefined;
  const frameOf = async (slice: Slice): Promise<Uint8Array> => {
    if (openPath !== slice.path) {
      source = undefined;
      const parsed = parseBuffer(await readFile(slice.path));
      firstDataset ??= parsed.dataset;
      source = openPixelData(parsed, { codecs: deps.codecs });
      openPath = slice.path;
    }
    return source!.frame(slice.frame);
  };

  try {
    await mkdir(path.dirname(file), { recursive: true });
  } catch (error) {
    return { kind: 'failed', ...classifyWriteError(error) };
  }
  const gzip = createGzip({ level: 6 });
  const sink = createWriteStream(temporary);
  const piped = new Promise<void>((resolve, reject) => {
    sink.on('finish', resolve);
    sink.on('error', reject);
    gzip.on('error', reject);
  });
  piped.catch(() => {});
  gzip.pipe(sink);
  const write = async (bytes: Uint8Array): Promise<void> => {
    if (!gzip.write(bytes)) await once(gzip, 'drain');
  };
  try {
    await write(
      encodeNiftiHeader({
        dims: plan.dims,
        type: plan.type,
        spacing: plan.spacing,
        affine: plan.affine,
        sclSlope: plan.sclSlope,
        sclInter: plan.sclInter,
        description: 'niffler export nifti',
      }),
    );
    for (const slice of plan.slices) {
      let frame: Uint8Array;
      try {
        frame = await frameOf(slice);
      } catch (error) {
        gzip.destroy();
        await rm(temporary, { force: true });
        return { kind: 'failed', ...classifyReadError(error) };
      }
      await write(sliceVoxels(frame, slice, plan));
    }
    gzip.end();
    await piped;
    await rename(temporary, file);
  } catch (error) {
    gzip.destroy();
    sink.destroy();
    await rm(temporary, { force: true });
    return { kind: 'failed', ...classifyWriteError(error) };
  }

  const row: Record<string, string> = {
    patient: task.names.patient,
    study: task.names.study,
    series: task.names.series,
    nifti: output,
    dims: plan.dims.join('x'),
    spacing: plan.spacing.map((s) => Number(s.toFixed(6))).join('x'),
    datatype: plan.type,
    slope: String(plan.sclSlope),
    intercept: String(plan.sclInter),
  };
  if (firstDataset !== undefined) {
    for (const [name, value] of headerColumns(firstDataset, options.headers)) row[name] = value;
  }
  return { kind: 'done', output, row };
}
