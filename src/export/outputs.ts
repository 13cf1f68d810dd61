/**
 * metadata.csv, mapping.csv and failures.csv, written from the journal at the end of every run
 * (so they always list every file of every run, once). Each is streamed: two passes over the
 * journal for metadata.csv (count the columns, then write the rows), one for the others.
 *
 * Columns are stable: the fixed columns first, then header columns in tag order (headers.ts
 * columnSortKey), whatever order the files were processed in. `--headers common` keeps the header
 * columns present in at least 90% of the rows (the original's "less than 10% missing"), which
 * needs the counts of the first pass, never the rows themselves in memory.
 */
import path from 'node:path';
import type { Tag } from '../dicom/index.js';
import { csvLine, writeCsv } from './csv.js';
import { columnSortKey } from './headers.js';
import type { Journal } from './journal.js';

export type ColumnChoice =
  | { readonly kind: 'all' | 'public' | 'common' }
  | {
      readonly kind: 'featureset';
      readonly tags: ReadonlySet<Tag>;
      /**
       * Columns always written, even if every row lacks them: the featureset's public attributes
       * that the header filter lets through (no PHI without --phi).
       */
      readonly columns: readonly string[];
    };

/** Share of rows a column must be present in for `--headers common`. */
export const COMMON_THRESHOLD = 0.9;

/** Columns every metadata.csv row has, in this order (lowercase: no DICOM keyword collides). */
export const FIXED_COLUMNS = [
  'patient',
  'study',
  'series',
  'instance',
  'png',
  'frames',
  'bits',
  'voi',
  'voi_center',
  'voi_width',
  'voi_min',
  'voi_max',
  'file',
] as const;

const FIXED = new Set<string>(FIXED_COLUMNS);

export const METADATA_CSV = 'metadata.csv';
export const MAPPING_CSV = 'mapping.csv';
export const FAILURES_CSV = 'failures.csv';

/** The metadata.csv columns for the counts of the first pass. */
export function metadataColumns(
  counts: ReadonlyMap<string, number>,
  rows: number,
  choice: ColumnChoice,
): string[] {
  const fixed = FIXED_COLUMNS.filter((c) => (counts.get(c) ?? 0) > 0);
  let header = [...counts.keys()].filter((c) => !FIXED.has(c));
  if (choice.kind === 'common') {
    header = header.filter((c) => (counts.get(c) ?? 0) >= COMMON_THRESHOLD * rows);
  }
  if (choice.kind === 'featureset') {
    header = [...new Set([...header, ...choice.columns])];
  }
  const keyed = header.map((name) => ({ name, key: columnSortKey(name) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.name < b.name ? -1 : 1));
  return [...fixed, ...keyed.map((k) => k.name)];
}

/** Header column name -> rows that have it, and the row count: the first pass over the rows. */
export function countColumns(rows: Iterable<Readonly<Record<string, string>>>): {
  counts: Map<string, number>;
  rows: number;
} {
  const counts = new Map<string, number>();
  let n = 0;
  for (const row of rows) {
    n++;
    for (const name of Object.keys(row)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return { counts, rows: n };
}

/** What one export run lists in its three CSVs; each iterable is read once, as it is written. */
export interface OutputRows {
  readonly columns: readonly string[];
  readonly metadata: Iterable<Readonly<Record<string, string>>>;
  /** The output column of mapping.csv (`png`, `nifti`). */
  readonly outputColumn: string;
  readonly mapping: Iterable<readonly [source: string, output: string]>;
  readonly failures: Iterable<{ path: string; reason: string; detail: string }>;
}

/** Writes metadata.csv, mapping.csv and failures.csv into `outDir`; resolves to their paths. */
export async function writeOutputCsvs(
  outDir: string,
  rows: OutputRows,
): Promise<{ metadata: string; mapping: string; failures: string }> {
  const files = {
    metadata: path.join(outDir, METADATA_CSV),
    mapping: path.join(outDir, MAPPING_CSV),
    failures: path.join(outDir, FAILURES_CSV),
  };
  await writeCsv(
    files.metadata,
    (function* () {
      yield csvLine(rows.columns);
      for (const row of rows.metadata) yield csvLine(rows.columns.map((c) => row[c] ?? ''));
    })(),
  );
  await writeCsv(
    files.mapping,
    (function* () {
      yield csvLine(['source', rows.outputColumn]);
      for (const [source, output] of rows.mapping) yield csvLine([source, output]);
    })(),
  );
  await writeCsv(
    files.failures,
    (function* () {
      yield csvLine(['source', 'reason', 'detail']);
      for (const f of rows.failures) yield csvLine([f.path, f.reason, f.detail]);
    })(),
  );
  return files;
}

export async function writeMetadataCsvs(
  journal: Journal,
  outDir: string,
  choice: ColumnChoice,
): Promise<{ metadata: string; mapping: string; failures: string }> {
  const { counts, rows } = countColumns(map(journal.done(), (entry) => entry.row));
  return writeOutputCsvs(outDir, {
    columns: metadataColumns(counts, rows, choice),
    metadata: map(journal.done(), (entry) => entry.row),
    outputColumn: 'png',
    mapping: (function* () {
      for (const { path: source, outputs } of journal.done()) {
        for (const png of outputs) yield [source, png] as const;
      }
    })(),
    failures: journal.failed(),
  });
}

/** Lazily maps an iterable (one pass, nothing kept). */
export function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}
