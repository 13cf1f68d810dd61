// PNG export against DCMTK's dcm2pnm on the same files in the same run: 2,000 synthetic CT slices
// (bench/generate-ct.ts, 512 x 512) and 20 large images (bench/generate-large.ts, 3328 x 4096).
// Both write 16-bit PNGs with the min-max window (ours: `niffler export png --bits 16 --window
// minmax`, the defaults; DCMTK: `dcm2pnm +on2 +Wm`). dcm2pnm runs the way a user runs it, one
// process per file: one at a time (a shell loop), and two at a time (xargs -P 2, both cores).
// We run the CLI with both cores (--workers 2) and with one (--workers 1, the per-core view).
// Prints images/s and RATIO lines; writes bench/results/export.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCtFiles, DATA_DIR } from './generate-ct.js';
import { ensureLargeFiles } from './generate-large.js';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(BENCH, '..', 'bin', 'niffler.js');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const OUT = path.join(DATA_DIR, 'export-out');
const ENV = {
  ...process.env,
  TCP_NODELAY: '1',
  NIFFLER_SECRET_EXPORT_PSEUDONYM_KEY: 'benchmark-key-0123456789abcdef',
};

function build(): void {
  const run = spawnSync('npm', ['run', '-s', 'build'], {
    cwd: path.join(BENCH, '..'),
    stdio: 'inherit',
  });
  if (run.status !== 0) throw new Error('npm run build failed');
}

/** Runs a program to its end; rejects on a non-zero exit. */
function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} exited ${code}: ${stderr.slice(0, 400)}`)),
    );
  });
}

function fresh(name: string): string {
  const dir = path.join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** dcm2pnm on every file, `parallel` processes at a time. */
async function dcm2pnm(files: readonly string[], parallel: number): Promise<void> {
  const out = fresh('dcm2pnm');
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      await run('dcm2pnm', ['+on2', '+Wm', files[i]!, path.join(out, `${i}.png`)]);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
}

async function niffler(input: string, workers: number): Promise<void> {
  const out = fresh(`niffler-${workers}`);
  await run(process.execPath, [
    BIN,
    'export',
    'png',
    input,
    '--out',
    out,
    '--workers',
    String(workers),
    '--no-progress',
  ]);
}

interface Side {
  readonly name: string;
  readonly go: () => Promise<void>;
}

/** Best-of-RUNS images per second for each side, runs interleaved so load hits all alike. */
async function measure(
  label: string,
  images: number,
  sides: readonly Side[],
): Promise<Record<string, number[]>> {
  const rates: Record<string, number[]> = {};
  for (let r = 0; r < RUNS; r++) {
    for (const side of sides) {
      const started = performance.now();
      await side.go();
      const seconds = (performance.now() - started) / 1000;
      (rates[side.name] ??= []).push(images / seconds);
    }
  }
  console.log(`\n${label}: ${images} images, ${RUNS} runs, images/s (best, median)`);
  for (const side of sides) {
    const sorted = [...rates[side.name]!].sort((a, b) => a - b);
    const best = sorted[sorted.length - 1]!;
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `  ${side.name.padEnd(34)} ${best.toFixed(1).padStart(8)} ${median.toFixed(1).padStart(8)}`,
    );
  }
  return rates;
}

function best(rates: number[] | undefined): number {
  return Math.max(...(rates ?? [0]));
}

build();
const ct = ensureCtFiles(2000);
const large = ensureLargeFiles(20);
const ctDir = path.dirname(ct[0]!);
const largeDir = path.dirname(large[0]!);
console.log(
  `cores: ${os.availableParallelism()}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

const results: Record<string, Record<string, number[]>> = {};
const ratios: string[] = [];
for (const [label, files, dir] of [
  ['CT 512x512', ct, ctDir],
  ['large 3328x4096', large, largeDir],
] as const) {
  const rates = await measure(label, files.length, [
    { name: 'niffler export png --workers 2', go: () => niffler(dir, 2) },
    { name: 'niffler export png --workers 1', go: () => niffler(dir, 1) },
    { name: 'dcm2pnm, one process per file', go: () => dcm2pnm(files, 1) },
    { name: 'dcm2pnm, two at a time', go: () => dcm2pnm(files, 2) },
  ]);
  results[label] = rates;
  const key = label.startsWith('CT') ? 'ct' : 'large';
  const ours2 = best(rates['niffler export png --workers 2']);
  const ours1 = best(rates['niffler export png --workers 1']);
  const seq = best(rates['dcm2pnm, one process per file']);
  const par = best(rates['dcm2pnm, two at a time']);
  ratios.push(`RATIO export-png-${key}-vs-dcm2pnm ${(ours2 / seq).toFixed(2)} (target >= 2)`);
  ratios.push(`RATIO export-png-${key}-per-core ${(ours1 / seq).toFixed(2)} (target >= 1)`);
  ratios.push(
    `RATIO export-png-${key}-vs-dcm2pnm-two-at-a-time ${(ours2 / par).toFixed(2)} (target >= 1)`,
  );
}
// Memory: peak RSS of the whole CLI process (workers are threads, so included), for a tenth of
// the CT files and for all of them. Bounded memory means the two are about the same.
const peaks: Record<string, number> = {};
for (const count of [200, 2000]) {
  const subset = fresh(`subset-${count}`);
  for (const file of ct.slice(0, count)) symlinkSync(file, path.join(subset, path.basename(file)));
  const out = fresh(`memory-${count}`);
  const timed = spawnSync(
    '/usr/bin/time',
    ['-f', '%M', process.execPath, BIN, 'export', 'png', subset, '--out', out, '--no-progress'],
    { env: ENV, encoding: 'utf8' },
  );
  const kb = Number(timed.stderr.trim().split('\n').pop());
  peaks[count] = kb / 1024;
  console.log(`peak RSS exporting ${count} CT files: ${(kb / 1024).toFixed(0)} MB`);
}
results['memory'] = { peakMb200: [peaks[200]!], peakMb2000: [peaks[2000]!] };

console.log('');
for (const line of ratios) console.log(line);
mkdirSync(path.join(BENCH, 'results'), { recursive: true });
writeFileSync(
  path.join(BENCH, 'results', 'export.json'),
  JSON.stringify({ runs: RUNS, cores: os.availableParallelism(), results, ratios }, null, 2),
);
rmSync(OUT, { recursive: true, force: true });
