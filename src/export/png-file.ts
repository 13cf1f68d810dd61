/**
 * One DICOM file to PNGs (one per frame) and its metadata row: what a worker does per task.
 * Reads the whole file (pixel data included), decodes each frame with the codec registry,
 * renders it (render.ts), encodes it with sharp and writes it under a temporary name renamed
 * into place, so a PNG under its final name is always whole. Never throws for a bad file: the
 * result says why it failed.
 */
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ParseResult } from '../dicom/index.js';
import { openPixelData, type CodecRegistry, type PixelSource } from '../dicom/pixels/index.js';
import { readDicomFile } from '../io/dicom-file.js';
import { renderAttributes } from './attributes.js';
import { classifyReadError, classifyWriteError, type Failure } from './failures.js';
import { headerColumns, type HeaderFilter } from './headers.js';
import { imageFolder, pngName, pseudonymsOf, readIdentity, type Level } from './layout.js';
import { encodePng } from './png.js';
import type { Pseudonymizer } from './pseudonym.js';
import { renderFrame, type AppliedVoi, type OutputBits, type WindowChoice } from './render.js';

export interface PngFileOptions {
  readonly outDir: string;
  readonly level: Level;
  readonly bits: OutputBits;
  readonly window: WindowChoice;
  /** Fit each PNG inside a square of this many pixels. */
  readonly resize?: number | undefined;
  readonly headers: HeaderFilter;
}

export interface PngFileDeps {
  readonly codecs: CodecRegistry;
  readonly pseudonym: Pseudonymizer;
}

export type PngFileResult =
  | {
      readonly kind: 'done';
      /** PNG paths relative to the output folder, one per frame. */
      readonly outputs: readonly string[];
      /** The metadata.csv row: fixed columns first, then header columns. */
      readonly row: Readonly<Record<string, string>>;
    }
  | ({ readonly kind: 'failed' } & Failure);

let temporaryCounter = 0;

/** The first 132 bytes of a file (preamble and DICM), or undefined if it cannot be read. */
async function firstBytes(file: string): Promise<Uint8Array | undefined> {
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(132);
      const { bytesRead } = await handle.read(buffer, 0, 132, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

async function writeWhole(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}-${temporaryCounter++}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function voiColumns(voi: AppliedVoi): Record<string, string> {
  switch (voi.kind) {
    case 'window':
      return { voi: 'window', voi_center: String(voi.center), voi_width: String(voi.width) };
    case 'minmax':
      return { voi: 'minmax', voi_min: String(voi.min), voi_max: String(voi.max) };
    case 'lut':
      return { voi: 'lut' };
    case 'none':
      return { voi: 'none' };
  }
}

export async function exportPngFile(
  sourcePath: string,
  options: PngFileOptions,
  deps: PngFileDeps,
): Promise<PngFileResult> {
  let source: PixelSource;
  let parsed: ParseResult;
  try {
    // Read through the incremental parser: a file that is not DICOM fails at its first bytes
    // instead of being loaded whole (a stray video in an input folder).
    parsed = await readDicomFile(sourcePath);
    source = openPixelData(parsed, { codecs: deps.codecs });
  } catch (error) {
    return { kind: 'failed', ...classifyReadError(error, await firstBytes(sourcePath)) };
  }
  const { dataset } = parsed;
  const names = pseudonymsOf(readIdentity(dataset), sourcePath, deps.pseudonym);
  const folder = imageFolder(names, options.level);
  const frames = source.encoded.frames;

  const outputs: string[] = [];
  // A file that fails after some frames were written leaves none of them behind.
  const failed = async (failure: Failure): Promise<PngFileResult> => {
    await Promise.all(outputs.map((o) => rm(path.join(options.outDir, o), { force: true })));
    return { kind: 'failed', ...failure };
  };
  let firstVoi: AppliedVoi = { kind: 'none' };
  try {
    for (let frame = 0; frame < frames; frame++) {
      const { image, voi } = renderFrame(
        source.frame(frame),
        source.decoded,
        renderAttributes(dataset, frame),
        { bits: options.bits, window: options.window },
      );
      if (frame === 0) firstVoi = voi;
      const bytes = await encodePng(image, { resize: options.resize });
      const name = `${folder}/${pngName(names.instance, frame, frames)}`;
      // Written as it comes, so a 1000-frame object never holds 1000 PNGs in memory.
      try {
        if (frame === 0) await mkdir(path.join(options.outDir, folder), { recursive: true });
        await writeWhole(path.join(options.outDir, name), bytes);
      } catch (error) {
        return await failed(classifyWriteError(error));
      }
      outputs.push(name);
    }
  } catch (error) {
    return failed(classifyReadError(error));
  }

  const row: Record<string, string> = {
    patient: names.patient,
    study: names.study,
    series: names.series,
    instance: names.instance,
    png: outputs[0] ?? '',
    frames: String(frames),
    bits: String(options.bits),
    ...voiColumns(firstVoi),
  };
  if (options.headers.phi) row['file'] = sourcePath;
  for (const [name, value] of headerColumns(dataset, options.headers)) row[name] = value;
  return { kind: 'done', outputs, row };
}
