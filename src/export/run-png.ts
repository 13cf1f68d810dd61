/**
 * `niffler export png`: walks the inputs, hands each file not yet settled to the worker pool,
 * records every result in the journal, then writes metadata.csv, mapping.csv and failures.csv
 * from the journal. Memory is bounded by the tasks in flight, whatever the number of files:
 * nothing here holds a list of files or rows.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ExportError } from './errors.js';
import type { HeaderFilter } from './headers.js';
import { Journal, type SourceStamp } from './journal.js';
import type { Level } from './layout.js';
import { writeMetadataCsvs, type ColumnChoice } from './outputs.js';
import type { PngFileOptions, PngFileResult } from './png-file.js';
import { WorkerPool } from './pool.js';
import type { ProgressState } from './progress.js';
import { pseudonymizer } from './pseudonym.js';
import type { OutputBits, WindowChoice } from './render.js';
import { createTaskHandler } from './tasks.js';
import { walkInputs } from './walk.js';

/** How a caller follows and stops an export run (the CLI's progress line and Ctrl-C). */
export interface RunHooks {
  /** Called as work progresses (the CLI draws its progress bar with it). */
  readonly onProgress?: ((state: ProgressState) => void) | undefined;
  /** Stops handing out new work when aborted; what is in flight finishes and is recorded. */
  readonly signal?: AbortSignal | undefined;
  readonly now?: (() => number) | undefined;
}

export interface PngExportOptions extends RunHooks {
  readonly inputs: readonly string[];
  readonly outDir: string;
  readonly key: string;
  readonly level: Level;
  readonly bits: OutputBits;
  readonly window: WindowChoice;
  readonly resize?: number | undefined;
  readonly columns: ColumnChoice;
  readonly headers: HeaderFilter;
  /** Worker threads; 0 runs everything in the calling thread. */
  readonly workers: number;
  /** Files that failed in an earlier run are tried again. */
  readonly retryFailed?: boolean | undefined;
}

export interface ExportSummary {
  /** Settled in this run. */
  readonly done: number;
  readonly failed: number;
  /** Settled in an earlier run and skipped. */
  readonly skipped: number;
  /** In the journal, all runs together (what the CSVs list). */
  readonly total: { readonly done: number; readonly failed: number };
  readonly interrupted: boolean;
  readonly files: {
    readonly metadata: string;
    readonly mapping: string;
    readonly failures: string;
  };
}

/** The options a folder is started with; a resumed run must give the same ones. */
function settingsOf(options: PngExportOptions, fingerprint: string): Record<string, string> {
  return {
    kind: 'png',
    key: fingerprint,
    level: options.level,
    bits: String(options.bits),
    window: options.window,
    resize: String(options.resize ?? ''),
    columns:
      options.columns.kind === 'featureset'
        ? `featureset:${[...options.columns.tags].join(',')}`
        : options.columns.kind,
    private: String(options.headers.privateAttributes),
    phi: String(options.headers.phi),
  };
}

/** Checks a resumed folder's settings; returns the new settings to save. */
export function checkResume(
  saved: Record<string, string> | undefined,
  wanted: Record<string, string>,
  outDir: string,
): void {
  if (saved === undefined) return;
  if (saved['key'] !== wanted['key']) {
    throw new ExportError(
      'RESUME_MISMATCH',
      `${outDir} was started with another pseudonym key: its names would not match. Use the ` +
        'same key, or a new --out folder',
    );
  }
  const changed = Object.keys(wanted).filter((k) => k !== 'key' && saved[k] !== wanted[k]);
  if (changed.length > 0) {
    const what = changed.map((k) => `${k} ${saved[k] ?? '(unset)'} -> ${wanted[k]}`).join(', ');
    throw new ExportError(
      'RESUME_MISMATCH',
      `${outDir} was started with other options (${what}): run with the same options to resume, ` +
        'or use a new --out folder',
    );
  }
}

export async function exportPng(options: PngExportOptions): Promise<ExportSummary> {
  const outDir = path.resolve(options.outDir);
  const pseudonym = pseudonymizer(options.key);
  const journal = Journal.open(outDir, 'png');
  const now = options.now ?? (() => performance.now());
  const started = now();
  let done = 0;
  let failed = 0;
  let skipped = 0;
  let found = 0;
  let walked = false;
  const state = (): ProgressState => ({
    done,
    failed,
    skipped,
    found,
    walked,
    elapsedMs: now() - started,
  });

  const fileOptions: PngFileOptions = {
    outDir,
    level: options.level,
    bits: options.bits,
    window: options.window,
    resize: options.resize,
    headers: options.headers,
  };
  const setup = { kind: 'png' as const, key: options.key, options: fileOptions };
  let pool: WorkerPool | undefined;
  try {
    const settings = settingsOf(options, pseudonym.fingerprint);
    checkResume(journal.settings(), settings, outDir);
    journal.saveSettings(settings);

    let run: (task: { path: string }) => Promise<unknown>;
    let capacity: number;
    if (options.workers > 0) {
      pool = new WorkerPool(options.workers, setup);
      run = (task) => pool!.run(task);
      capacity = pool.capacity;
    } else {
      run = await createTaskHandler(setup);
      capacity = 1;
    }

    const inFlight = new Set<Promise<void>>();
    const handle = async (file: string, stamp: SourceStamp): Promise<void> => {
      let result: PngFileResult;
      try {
        result = (await run({ path: file })) as PngFileResult;
      } catch (error) {
        // The worker died on this file (a codec crash, out of memory): the file fails, the run
        // goes on with a new worker.
        const detail = error instanceof Error ? error.message : String(error);
        result = { kind: 'failed', reason: 'decode-error', detail };
      }
      if (result.kind === 'done') {
        done++;
        journal.record({
          kind: 'done',
          path: file,
          stamp,
          outputs: result.outputs,
          row: result.row,
        });
      } else {
        failed++;
        journal.record({
          kind: 'failed',
          path: file,
          stamp,
          failure: { reason: result.reason, detail: result.detail },
        });
      }
      options.onProgress?.(state());
    };

    for await (const file of walkInputs(options.inputs, { exclude: [outDir] })) {
      if (options.signal?.aborted) break;
      found++;
      let stamp: SourceStamp;
      try {
        const info = await stat(file);
        stamp = { size: info.size, mtimeMs: info.mtimeMs };
      } catch {
        stamp = { size: -1, mtimeMs: -1 };
      }
      if (journal.settled(file, stamp, options.retryFailed ?? false)) {
        skipped++;
        options.onProgress?.(state());
        continue;
      }
      while (inFlight.size >= capacity) await Promise.race(inFlight);
      const task: Promise<void> = handle(file, stamp).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
    walked = !(options.signal?.aborted ?? false);
    await Promise.all(inFlight);
    journal.flush();
    options.onProgress?.(state());

    const files = await writeMetadataCsvs(journal, outDir, options.columns);
    return {
      done,
      failed,
      skipped,
      total: journal.counts(),
      interrupted: !walked,
      files,
    };
  } finally {
    await pool?.close();
    journal.close();
  }
}
