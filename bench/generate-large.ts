// Large synthetic images for the export benchmark, generated once into bench/.data/large/
// (git-ignored): the size of a digital mammogram (3328 x 4096, 16 bits allocated, 12 stored,
// MONOCHROME2, about 27 MB each), written with our own DICOM writer from the first synthetic CT
// (bench/generate-ct.ts) with a new image, new UIDs and new image attributes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  encodePart10,
  parseBuffer,
  setBytes,
  setNumbers,
  setStrings,
  tagForKeyword,
} from '../src/dicom/index.js';
import { Prng } from '../test/helpers/prng.js';
import { DATA_DIR, ensureCtFiles } from './generate-ct.js';

const ROWS = 4096;
const COLUMNS = 3328;
const VERSION = 'large-v1';

function tag(keyword: string): number {
  const value = tagForKeyword(keyword);
  if (value === undefined) throw new Error(`no keyword ${keyword}`);
  return value;
}

/** A breast-like 12-bit phantom: a half ellipse of tissue, a smooth gradient, some noise. */
function phantom(seed: number): Uint8Array {
  const rng = new Prng(seed);
  const out = new Uint16Array(ROWS * COLUMNS);
  for (let y = 0; y < ROWS; y++) {
    for (let x = 0; x < COLUMNS; x++) {
      const dx = x / (COLUMNS * 0.8);
      const dy = (y - ROWS / 2) / (ROWS * 0.45);
      const inside = dx * dx + dy * dy < 1;
      const base = inside ? 1800 + Math.round(900 * (1 - dx)) : 60;
      out[y * COLUMNS + x] = Math.min(4095, base + rng.range(-40, 40));
    }
  }
  return new Uint8Array(out.buffer);
}

/** The paths of `count` large files in bench/.data/large/, generating them if missing. */
export function ensureLargeFiles(count = 20): string[] {
  const dir = path.join(DATA_DIR, 'large');
  const files = Array.from({ length: count }, (_, i) =>
    path.join(dir, `large_${String(i + 1).padStart(3, '0')}.dcm`),
  );
  const marker = path.join(dir, '.generated');
  const stamp = `${VERSION} ${count}`;
  if (existsSync(marker) && readFileSync(marker, 'utf8') === stamp) return files;
  const started = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The default CT set (a different count would regenerate it).
  const template = readFileSync(ensureCtFiles()[0]!);
  for (let i = 0; i < count; i++) {
    const parsed = parseBuffer(template);
    const { dataset, meta } = parsed;
    const digits = createHash('sha256').update(`large ${i}`).digest('hex').slice(0, 30);
    const uid = `2.25.${BigInt(`0x${digits}`).toString()}`;
    setStrings(dataset, tag('SOPInstanceUID'), [uid]);
    setStrings(meta, tag('MediaStorageSOPInstanceUID'), [uid]);
    setStrings(dataset, tag('SeriesInstanceUID'), [`${uid}.1`]);
    setStrings(dataset, tag('Modality'), ['MG']);
    setNumbers(dataset, tag('Rows'), [ROWS]);
    setNumbers(dataset, tag('Columns'), [COLUMNS]);
    setNumbers(dataset, tag('BitsStored'), [12]);
    setNumbers(dataset, tag('HighBit'), [11]);
    setNumbers(dataset, tag('PixelRepresentation'), [0]);
    setStrings(dataset, tag('RescaleIntercept'), ['0']);
    setStrings(dataset, tag('WindowCenter'), ['2048']);
    setStrings(dataset, tag('WindowWidth'), ['4096']);
    setBytes(dataset, tag('PixelData'), 'OW', phantom(0x3a + i));
    const parts = encodePart10(meta, dataset, {
      sourceTransferSyntaxUid: parsed.transferSyntaxUid,
    });
    writeFileSync(files[i]!, Buffer.concat(parts));
  }
  writeFileSync(marker, stamp);
  console.log(
    `generated ${count} large images (${COLUMNS}x${ROWS}) in ${dir} in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return files;
}
