// Synthetic CT series for the benchmarks, generated once into bench/.data/ct/ (git-ignored):
// DCMTK's dump2dcm writes one file from bench/ct-template.dump and a 512 x 512 int16 phantom, then
// every variant is that file with its placeholder values (UIDs, patient, instance number, slice
// position) overwritten in place, so each file has its own identity and the same ~0.5 MB size.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Prng } from '../test/helpers/prng.js';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
export const DATA_DIR = path.join(BENCH, '.data');
const TEMPLATE = path.join(BENCH, 'ct-template.dump');
const SIZE = 512;
const INSTANCES_PER_SERIES = 100;

/** The paths of `count` CT files in bench/.data/ct/, generating them if they are missing. */
export function ensureCtFiles(count = 2000): string[] {
  const dir = path.join(DATA_DIR, 'ct');
  const files = Array.from({ length: count }, (_, i) =>
    path.join(dir, `ct_${String(i + 1).padStart(5, '0')}.dcm`),
  );
  // The marker names the template version and count: a changed template regenerates the set.
  const marker = path.join(dir, '.generated');
  const stamp = `${hash(readFileSync(TEMPLATE))} ${count}`;
  if (existsSync(marker) && readFileSync(marker, 'utf8') === stamp) return files;

  const started = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const template = buildTemplate(dir);
  for (let i = 0; i < count; i++) writeFileSync(files[i]!, variant(template, i));
  writeFileSync(marker, stamp);
  const mb = (template.length * count) / 1e6;
  console.log(
    `generated ${count} CT files (${mb.toFixed(0)} MB) in ${dir} in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return files;
}

/** Runs dump2dcm on the template with a phantom as pixel data; returns the file's bytes. */
function buildTemplate(dir: string): Buffer {
  const work = path.join(dir, 'template');
  mkdirSync(work, { recursive: true });
  writeFileSync(path.join(work, 'ct.raw'), phantom());
  // The dump reads its pixel data from `ct.raw` in the working folder.
  const run = spawnSync('dump2dcm', [TEMPLATE, 'template.dcm'], { cwd: work, encoding: 'utf8' });
  if (run.error !== undefined || run.status !== 0) {
    throw new Error(`dump2dcm failed: ${run.error?.message ?? run.stderr}`);
  }
  const bytes = readFileSync(path.join(work, 'template.dcm'));
  rmSync(work, { recursive: true, force: true });
  return bytes;
}

/** A 512 x 512 int16 axial slice in HU: air, a body ellipse, two lungs, a spine, some noise. */
function phantom(): Buffer {
  const rng = new Prng(0xc7);
  const out = Buffer.alloc(SIZE * SIZE * 2);
  const c = SIZE / 2;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const dx = (x - c) / (SIZE * 0.42);
      const dy = (y - c) / (SIZE * 0.32);
      let hu = -1000;
      if (dx * dx + dy * dy < 1) {
        hu = 40;
        const lx = (Math.abs(x - c) - SIZE * 0.17) / (SIZE * 0.11);
        const ly = (y - c + SIZE * 0.02) / (SIZE * 0.2);
        if (lx * lx + ly * ly < 1) hu = -850;
        const sx = (x - c) / (SIZE * 0.04);
        const sy = (y - c - SIZE * 0.2) / (SIZE * 0.04);
        if (sx * sx + sy * sy < 1) hu = 700;
      }
      out.writeInt16LE(hu + rng.range(-20, 20), (y * SIZE + x) * 2);
    }
  }
  return out;
}

/** The template with instance `i`'s values written over the placeholders (same lengths). */
function variant(template: Buffer, i: number): Buffer {
  const out = Buffer.from(template);
  const series = Math.floor(i / INSTANCES_PER_SERIES);
  const instance = (i % INSTANCES_PER_SERIES) + 1;
  const z = (-100 + 1.25 * instance).toFixed(3).padStart(8);
  patch(out, '2.25.199999999999999999999999999999999999', uid(1, series), 1);
  patch(out, '2.25.299999999999999999999999999999999999', uid(2, series), 1);
  patch(out, '2.25.399999999999999999999999999999999999', uid(3, i), 2);
  patch(out, 'BENCH^PATIENT99999', `BENCH^PATIENT${digits(series, 5)}`, 1);
  patch(out, 'PID99999', `PID${digits(series, 5)}`, 1);
  patch(out, 'ACC99999', `ACC${digits(series, 5)}`, 1);
  patch(out, '9999', String(instance).padStart(4), 1);
  patch(out, '-999.999', z, 2);
  return out;
}

/** A 2.25 UID (PS3.5 B.2) of 40 characters: `kind` then the number, no leading zero. */
function uid(kind: number, n: number): string {
  return `2.25.${kind}${digits(n, 35)}`;
}

function digits(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Overwrites the `times` occurrences of `from` in the header (the first 16 KB) with `to`. */
function patch(bytes: Buffer, from: string, to: string, times: number): void {
  if (to.length !== from.length) throw new Error(`patch ${from}: ${to} is not the same length`);
  const header = bytes.subarray(0, 16 * 1024);
  let found = 0;
  for (let at = header.indexOf(from); at >= 0; at = header.indexOf(from, at + from.length)) {
    header.write(to, at, 'latin1');
    found++;
  }
  if (found !== times) throw new Error(`placeholder ${from}: found ${found} times, not ${times}`);
}

function hash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}
