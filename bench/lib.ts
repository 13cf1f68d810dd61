// Pieces the benchmarks share: the built `niffler store-scp` as a receiver, and counting what a
// receiver wrote.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LOCALHOST,
  NIFFLER_BIN,
  PEER_ENV,
  startTool,
  waitForPort,
  type RunningTool,
} from '../test/helpers/scp-harness.js';
import { DATA_DIR } from './generate-ct.js';

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

const FSYNC_ON_CLOSE_SOURCE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'floor',
  'fsync-on-close.c',
);

/**
 * Compiles floor/fsync-on-close.c (an LD_PRELOAD library: storescp's files fdatasynced, and
 * their directory fsynced, when it closes them, before its C-STORE response) and returns its
 * path. Needs cc (build-essential).
 */
export function buildFsyncOnClose(): string {
  const library = path.join(DATA_DIR, 'libfsync-on-close.so');
  mkdirSync(DATA_DIR, { recursive: true });
  try {
    execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', library, FSYNC_ON_CLOSE_SOURCE, '-ldl'], {
      stdio: 'inherit',
    });
  } catch (error) {
    throw new Error(
      `cannot compile ${FSYNC_ON_CLOSE_SOURCE} with cc (install build-essential, or leave ` +
        `the storescp-fsync side out): ${(error as Error).message}`,
      { cause: error },
    );
  }
  return library;
}

/** The environment of a storescp made durable by `library` for the files under `dir`. */
export function fsyncOnCloseEnv(library: string, dir: string): NodeJS.ProcessEnv {
  return { ...PEER_ENV, LD_PRELOAD: library, FSYNC_ON_CLOSE_DIR: realpathSync(dir) };
}
