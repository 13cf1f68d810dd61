// Pieces the benchmarks share: the built `niffler store-scp` as a receiver, and counting what a
// receiver wrote.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PEER_ENV,
  sleep,
  startStoreScpCli,
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
  const tool = startStoreScpCli('NIFFLER', port, dir, extra, { timeoutMs: 30 * 60_000 });
  await waitForPort(port, 20_000);
  // With --workers the port opens when the first worker listens; the others follow. Connections
  // made before they do would all go to the first one.
  if (extra.includes('--workers')) {
    for (let waited = 0; !/ with \d+ workers /.test(tool.output()); waited += 20) {
      if (waited > 20_000) throw new Error(`store-scp workers did not start: ${tool.output()}`);
      await sleep(20);
    }
  }
  return tool;
}

/** bench/floor/: our C helpers (the durability floor, storescp's fsync-on-close library). */
const FLOOR_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'floor');

/**
 * Compiles `floor/<source>` with cc (build-essential) into `bench/.data/<output>` and returns
 * its path; `flags` go before the output (e.g. -shared -fPIC), `libraries` after the source.
 */
export function compileFloorProgram(
  source: string,
  output: string,
  flags: readonly string[],
  libraries: readonly string[] = [],
): string {
  const sourcePath = path.join(FLOOR_DIR, source);
  const outputPath = path.join(DATA_DIR, output);
  mkdirSync(DATA_DIR, { recursive: true });
  try {
    execFileSync('cc', ['-O2', ...flags, '-o', outputPath, sourcePath, ...libraries], {
      stdio: 'inherit',
    });
  } catch (error) {
    throw new Error(
      `cannot compile ${sourcePath} with cc (install build-essential, or leave out the side ` +
        `that needs it): ${(error as Error).message}`,
      { cause: error },
    );
  }
  return outputPath;
}

let fsyncOnClose: string | undefined;

/**
 * floor/fsync-on-close.c built once per process (an LD_PRELOAD library: storescp's files
 * fdatasynced, and their directory fsynced, when it closes them, before its C-STORE response).
 * Call it when a benchmark starts to fail early without cc.
 */
export function fsyncOnCloseLibrary(): string {
  return (fsyncOnClose ??= compileFloorProgram(
    'fsync-on-close.c',
    'libfsync-on-close.so',
    ['-shared', '-fPIC'],
    ['-ldl'],
  ));
}

/** The environment of a storescp made durable (fsyncOnCloseLibrary) for the files under `dir`. */
export function fsyncOnCloseEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...PEER_ENV,
    LD_PRELOAD: fsyncOnCloseLibrary(),
    FSYNC_ON_CLOSE_DIR: realpathSync(dir),
  };
}
