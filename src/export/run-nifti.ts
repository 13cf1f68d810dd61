/**
 * `niffler export nifti`: one NIfTI-1 volume per series. Two passes, both resumable:
 *   1. walk the inputs and read each new or changed file's header (never its pixels): which
 *      series it belongs to and the slices it gives, recorded in the journal;
 *   2. for each series whose set of files is new or changed, hand its slices to a worker, which
 *      checks they make a volume and writes it (nifti/series.ts).
 * The series are paged out of the journal, so memory holds one page of series keys and the
 * series in flight, never the whole table.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readDicomFile } from '../io/dicom-file.js';
import { classifyReadError } from './failures.js';
import type { HeaderFilter } from './headers.js';
import type { SourceStamp } from './journal.js';
import { pseudonymsOf } from './layout.js';
import { NiftiJournal } from './nifti/journal.js';
import type { NiftiSeriesResult } from './nifti/series.js';
import { readSlices } from './nifti/slices.js';
import { countColumns, map, metadataColumns, writeOutputCsvs } from './outputs.js';
import { WorkerPool } from './pool.js';
import { pseudonymizer } from './pseudonym.js';
import { checkResume, type RunHooks } from './run-png.js';
import { createTaskHandler, type WorkerSetup } from './tasks.js';
import { walkInputs } from './walk.js';

export interface NiftiExportOptions extends RunHooks {
  readonly inputs: readonly string[];
  readonly outDir: string;
  readonly key: string;
  readonly headers: HeaderFilter;
  readonly workers: number;
}

export interface NiftiSummary {
  /** Series written in this run. */
  readonly volumes: number;
  /** Series that are not volumes, in this run. */
  readonly failedSeries: number;
  /** Files that could not be read, in this run. */
  readonly failedFiles: number;
  /** Files read in an earlier run, and series settled in one, skipped. */
  readonly skippedFiles: number;
  readonly skippedSeries: number;
  readonly total: {
    readonly series: number;
    readonly failedSeries: number;
    readonly failedFiles: number;
  };
  readonly interrupted: boolean;
  readonly files: {
    readonly metadata: string;
    readonly mapping: string;
    readonly failures: string;
  };
}

/** Fixed metadata.csv columns of a NIfTI export, in this order. */
const NIFTI_FIXED = [
  'patient',
  'study',
  'series',
  'nifti',
  'dims',
  'spacing',
  'datatype',
  'slope',
  'intercept',
];

export async function exportNifti(options: NiftiExportOptions): Promise<NiftiSummary> {
  const outDir = path.resolve(options.outDir);
  const pseudonym = pseudonymizer(options.key);
  const journal = NiftiJournal.open(outDir);
  const now = options.now ?? (() => performance.now());
  const started = now();
  let volumes = 0;
  let failedSeries = 0;
  let failedFiles = 0;
  let skippedFiles = 0;
  let skippedSeries = 0;
  let found = 0;
  let read = 0;
  let walked = false;
  const progress = (): void =>
    options.onProgress?.({
      done: read + volumes,
      failed: failedFiles + failedSeries,
      skipped: skippedFiles + skippedSeries,
      found,
      walked,
      elapsedMs: now() - started,
    });
  const setup: WorkerSetup = {
    kind: 'nifti',
    key: options.key,
    options: { outDir, headers: options.headers },
  };
  let pool: WorkerPool | undefined;
  try {
    const settings = {
      kind: 'nifti',
      key: pseudonym.fingerprint,
      private: String(options.headers.privateAttributes),
      phi: String(options.headers.phi),
    };
    checkResume(journal.settings(), settings, outDir);
    journal.saveSettings(settings);

    // Pass 1: headers.
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
      if (journal.fileSettled(file, stamp)) {
        skippedFiles++;
        continue;
      }
      try {
        // Bulk values (pixel data) are skipped, not read: the header is all pass 1 needs.
        const parsed = await readDicomFile(file, { bulkThreshold: 4096 });
        const { identity, slices } = readSlices(parsed.dataset, file);
        const names = pseudonymsOf(identity, file, pseudonym);
        const key = identity.seriesUid === undefined ? `file:${file}` : `uid:${identity.seriesUid}`;
        journal.recordSlices(file, stamp, key, names, slices);
        read++;
      } catch (error) {
        journal.recordFileFailure(file, stamp, classifyReadError(error));
        failedFiles++;
      }
      progress();
    }
    journal.flush();
    walked = !(options.signal?.aborted ?? false);

    // Pass 2: series.
    if (walked) {
      let run: (task: unknown) => Promise<unknown>;
      let capacity: number;
      if (options.workers > 0) {
        pool = new WorkerPool(options.workers, setup, 1);
        run = (task) => pool!.run(task);
        capacity = pool.capacity;
      } else {
        run = await createTaskHandler(setup);
        capacity = 1;
      }
      const inFlight = new Set<Promise<void>>();
      let after = '';
      outer: for (;;) {
        const keys = journal.seriesKeys(after, 500);
        if (keys.length === 0) break;
        after = keys[keys.length - 1]!;
        for (const key of keys) {
          if (options.signal?.aborted) {
            walked = false;
            break outer;
          }
          const members = journal.members(key);
          if (journal.seriesSettled(key, members.members)) {
            skippedSeries++;
            continue;
          }
          while (inFlight.size >= capacity) await Promise.race(inFlight);
          const task: Promise<void> = (async () => {
            let result: NiftiSeriesResult;
            try {
              result = (await run({
                names: members.names,
                slices: members.slices,
              })) as NiftiSeriesResult;
            } catch (error) {
              const detail = error instanceof Error ? error.message : String(error);
              result = { kind: 'failed', reason: 'decode-error', detail };
            }
            journal.recordSeries(key, members.members, result);
            if (result.kind === 'done') volumes++;
            else failedSeries++;
            progress();
          })().finally(() => inFlight.delete(task));
          inFlight.add(task);
        }
      }
      await Promise.all(inFlight);
    }

    const files = await writeNiftiCsvs(journal, outDir);
    return {
      volumes,
      failedSeries,
      failedFiles,
      skippedFiles,
      skippedSeries,
      total: journal.counts(),
      interrupted: !walked,
      files,
    };
  } finally {
    await pool?.close();
    journal.close();
  }
}

async function writeNiftiCsvs(
  journal: NiftiJournal,
  outDir: string,
): Promise<{ metadata: string; mapping: string; failures: string }> {
  const { counts, rows } = countColumns(map(journal.doneSeries(), (entry) => entry.row));
  const header = metadataColumns(counts, rows, { kind: 'public' }).filter(
    (c) => !NIFTI_FIXED.includes(c),
  );
  return writeOutputCsvs(outDir, {
    columns: [...NIFTI_FIXED, ...header.filter((c) => !['patient', 'study', 'series'].includes(c))],
    metadata: map(journal.doneSeries(), (entry) => entry.row),
    outputColumn: 'nifti',
    mapping: map(journal.mapping(), (m) => [m.path, m.output] as const),
    failures: journal.failures(),
  });
}
