/**
 * The durable state of a NIfTI export (`<out>/.niffler/export-nifti.sqlite`), the counterpart of
 * ../journal.ts: the slices each source file contributes (read once, header only), the series
 * they group into, and each series' result. A series is done again when its set of files
 * changes (a late file, a modified one). Every SQL statement of the NIfTI export is here.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Failure } from '../failures.js';
import { readRunSettings, saveRunSettings, type SourceStamp } from '../journal.js';
import type { Pseudonyms } from '../layout.js';
import type { Slice } from './slices.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS file (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('read', 'failed')),
    reason TEXT,
    detail TEXT,
    series_key TEXT,
    names TEXT,
    slices TEXT
  );
  CREATE INDEX IF NOT EXISTS file_series ON file (series_key);
  CREATE TABLE IF NOT EXISTS series (
    key TEXT PRIMARY KEY,
    members TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    output TEXT,
    row TEXT,
    reason TEXT,
    detail TEXT
  );
`;

export interface SeriesMembers {
  readonly key: string;
  readonly names: Pseudonyms;
  readonly slices: Slice[];
  /** Source files, in the order they were read. */
  readonly paths: string[];
  /** A digest of the member files and their stamps: the series' version. */
  readonly members: string;
}

export class NiftiJournal {
  private readonly db: Database.Database;
  private readonly pending: (() => void)[] = [];

  private constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  static open(outDir: string): NiftiJournal {
    const dir = path.join(outDir, '.niffler');
    mkdirSync(dir, { recursive: true });
    return new NiftiJournal(path.join(dir, 'export-nifti.sqlite'));
  }

  settings(): Record<string, string> | undefined {
    return readRunSettings(this.db);
  }

  saveSettings(settings: Record<string, string>): void {
    saveRunSettings(this.db, settings);
  }

  /** Whether a file was read (or failed) with this size and modification time. */
  fileSettled(file: string, stamp: SourceStamp): boolean {
    const row = this.db.prepare('SELECT size, mtime_ms FROM file WHERE path = ?').get(file) as
      { size: number; mtime_ms: number } | undefined;
    return row !== undefined && row.size === stamp.size && row.mtime_ms === stamp.mtimeMs;
  }

  private upsertFile(values: Record<string, unknown>): void {
    this.pending.push(() =>
      this.db
        .prepare(
          `INSERT INTO file (path, size, mtime_ms, status, reason, detail, series_key, names, slices)
           VALUES (@path, @size, @mtimeMs, @status, @reason, @detail, @seriesKey, @names, @slices)
           ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
             status = excluded.status, reason = excluded.reason, detail = excluded.detail,
             series_key = excluded.series_key, names = excluded.names, slices = excluded.slices`,
        )
        .run(values),
    );
    if (this.pending.length >= 256) this.flush();
  }

  recordSlices(
    file: string,
    stamp: SourceStamp,
    seriesKey: string,
    names: Pseudonyms,
    slices: Slice[],
  ): void {
    this.upsertFile({
      path: file,
      size: stamp.size,
      mtimeMs: stamp.mtimeMs,
      status: 'read',
      reason: null,
      detail: null,
      seriesKey,
      names: JSON.stringify(names),
      slices: JSON.stringify(slices),
    });
  }

  recordFileFailure(file: string, stamp: SourceStamp, failure: Failure): void {
    this.upsertFile({
      path: file,
      size: stamp.size,
      mtimeMs: stamp.mtimeMs,
      status: 'failed',
      reason: failure.reason,
      detail: failure.detail,
      seriesKey: null,
      names: null,
      slices: null,
    });
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0);
    this.db.transaction(() => {
      for (const run of batch) run();
    })();
  }

  /** Series keys after `after`, in key order, `limit` at a time (keyset paging: no open cursor). */
  seriesKeys(after: string, limit: number): string[] {
    return (
      this.db
        .prepare(
          `SELECT DISTINCT series_key AS key FROM file
           WHERE status = 'read' AND series_key > ? ORDER BY series_key LIMIT ?`,
        )
        .all(after, limit) as { key: string }[]
    ).map((r) => r.key);
  }

  members(key: string): SeriesMembers {
    const rows = this.db
      .prepare(
        `SELECT path, size, mtime_ms, names, slices FROM file
         WHERE status = 'read' AND series_key = ? ORDER BY id`,
      )
      .all(key) as {
      path: string;
      size: number;
      mtime_ms: number;
      names: string;
      slices: string;
    }[];
    const digest = createHash('sha256');
    for (const r of [...rows].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      digest.update(`${r.path}\0${r.size}\0${r.mtime_ms}\n`);
    }
    return {
      key,
      names: JSON.parse(rows[0]!.names) as Pseudonyms,
      slices: rows.flatMap((r) => JSON.parse(r.slices) as Slice[]),
      paths: rows.map((r) => r.path),
      members: digest.digest('hex'),
    };
  }

  /** Whether a series was settled with exactly these members. */
  seriesSettled(key: string, members: string): boolean {
    const row = this.db.prepare('SELECT members FROM series WHERE key = ?').get(key) as
      { members: string } | undefined;
    return row?.members === members;
  }

  recordSeries(
    key: string,
    members: string,
    result:
      | { kind: 'done'; output: string; row: Readonly<Record<string, string>> }
      | ({ kind: 'failed' } & Failure),
  ): void {
    const done = result.kind === 'done';
    this.db
      .prepare(
        `INSERT OR REPLACE INTO series (key, members, status, output, row, reason, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        key,
        members,
        result.kind,
        done ? result.output : null,
        done ? JSON.stringify(result.row) : null,
        done ? null : result.reason,
        done ? null : result.detail,
      );
  }

  counts(): { series: number; failedSeries: number; failedFiles: number } {
    const s = this.db
      .prepare(
        `SELECT COALESCE(SUM(status = 'done'), 0) AS done, COALESCE(SUM(status = 'failed'), 0) AS failed
         FROM series`,
      )
      .get() as { done: number; failed: number };
    const f = this.db.prepare(`SELECT COUNT(*) AS n FROM file WHERE status = 'failed'`).get() as {
      n: number;
    };
    return { series: s.done, failedSeries: s.failed, failedFiles: f.n };
  }

  /** Done series (row for metadata.csv), streamed. */
  *doneSeries(): Generator<{ key: string; output: string; row: Record<string, string> }> {
    const rows = this.db
      .prepare(`SELECT key, output, row FROM series WHERE status = 'done' ORDER BY rowid`)
      .iterate() as Iterable<{ key: string; output: string; row: string }>;
    for (const r of rows)
      yield { key: r.key, output: r.output, row: JSON.parse(r.row) as Record<string, string> };
  }

  /** mapping.csv rows: each file of a done series and its volume. */
  *mapping(): Generator<{ path: string; output: string }> {
    yield* this.db
      .prepare(
        `SELECT file.path AS path, series.output AS output FROM file
         JOIN series ON series.key = file.series_key
         WHERE series.status = 'done' AND file.status = 'read' ORDER BY series.rowid, file.id`,
      )
      .iterate() as Iterable<{ path: string; output: string }>;
  }

  /** failures.csv rows: files that could not be read, and each file of a failed series. */
  *failures(): Generator<{ path: string; reason: string; detail: string }> {
    yield* this.db
      .prepare(
        `SELECT path, reason, detail FROM file WHERE status = 'failed'
         UNION ALL
         SELECT file.path, series.reason, series.detail FROM file
         JOIN series ON series.key = file.series_key
         WHERE series.status = 'failed' AND file.status = 'read'`,
      )
      .iterate() as Iterable<{ path: string; reason: string; detail: string }>;
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
