// Pieces the benchmarks share: the built `niffler store-scp` as a receiver, and counting what a
// receiver wrote.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import {
  LOCALHOST,
  NIFFLER_BIN,
  startTool,
  waitForPort,
  type RunningTool,
} from '../test/helpers/scp-harness.js';

/** Files under `dir` (at any depth) whose names `keep` accepts, dot files left out. */
export function countFiles(dir: string, keep: (name: string) => boolean): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && keep(entry.name) && !entry.name.startsWith('.')) n++;
  }
  return n;
}

/**
 * Writes every dirty page to disk, outside any timing: run between timed runs so the kernel's
 * write-back of one run's files does not slow whichever side runs next (runs of the same side
 * varied 2x without it).
 */
export function flushPageCache(): void {
  execFileSync('sync', [], { stdio: 'ignore' });
}

/**
 * Reads every file once, so the first timed run does not pay for reading the sender's files from
 * disk while the later ones find them in the page cache (measured: storescp's first run of the
 * large set took 2.3 s, the next two 0.84 s).
 */
export function warmPageCache(files: readonly string[]): void {
  for (const file of files) readFileSync(file);
}

/** `niffler store-scp` (the built CLI) as AE title NIFFLER on `port`, writing into `dir`. */
export async function startNifflerStoreScp(
  dir: string,
  port: number,
  extra: readonly string[] = [],
): Promise<RunningTool> {
  const tool = startTool(
    process.execPath,
    [
      NIFFLER_BIN,
      'store-scp',
      '--aet',
      'NIFFLER',
      '--host',
      LOCALHOST,
      '--port',
      String(port),
      '--out',
      dir,
      ...extra,
    ],
    { timeoutMs: 30 * 60_000 },
  );
  await waitForPort(port, 20_000);
  return tool;
}
