/**
 * The durable state of one export into one output folder, in SQLite beside the outputs
 * (`<out>/.niffler/export-<kind>.sqlite`): which source files are done or failed, their outputs
 * and metadata rows, and the options and key fingerprint the run started with. It is what makes
 * a run resumable and the CSVs complete without any table of files in memory: the walk asks the
 * journal about each path (an index lookup), results are committed in batches, and the CSVs are
 * streamed from it at the end. Every SQL statement of export lives in this file.
 *
 * A result is committed after its outputs are written, so a crash loses at most the last batch,
 * which the next run redoes (outputs have deterministic names: redoing overwrites, never
 * duplicates).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Failure } from './failures.js';

export interface SourceStamp {
  readonly size: number;
  readonly mtimeMs: number;
}

export interface DoneRecord {
  readonly path: string;
  readonly stamp: SourceStamp;
  readonly outputs: readonly string[];
  readonly row: Readonly<Record<string, string>>;
}

export interface FailedRecord {
  readonly path: string;
  readonly stamp: SourceStamp;
  readonly failure: Failure;
}

export type JournalRecord =
  ({ readonly kind: 'done' } & DoneRecord) | ({ readonly kind: 'failed' } & FailedRecord);

export interface Counts {
  readonly done: number;
  readonly failed: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS source (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    reason TEXT,
    detail TEXT,
    outputs TEXT,
    row TEXT
  );
`;

export class Journal {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly lookup: Database.Statement<
    [string],
    { size: number; mtime_ms: number; status: string }
  >;
  private readonly upsert: Database.Statement;
  private readonly pending: JournalRecord[] = [];

  private constructor(file: string) {
    this.file = file;
    this.db = new Database(file);
    // WAL: the walk reads while batches commit; NORMAL: a power cut may lose the last batch,
    // which the next run redoes.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.lookup = this.db.prepare('SELECT size, mtime_ms, status FROM source WHERE path = ?');
    this.upsert = this.db.prepare(`
      INSERT INTO source (path, size, mtime_ms, status, reason, detail, outputs, row)
      VALUES (@path, @size, @mtimeMs, @status, @reason, @detail, @outputs, @row)
      ON CONFLICT (path) DO UPDATE SET
        size = excluded.size, mtime_ms = excluded.mtime_ms, status = excluded.status,
        reason = excluded.reason, detail = excluded.detail, outputs = excluded.outputs,
        row = excluded.row`);
  }

  /** Opens (creating) the journal of `kind` in an output folder. */
  static open(outDir: string, kind: 'png' | 'nifti'): Journal {
    const dir = path.join(outDir, '.niffler');
    mkdirSync(dir, { recursive: true });
    return new Journal(path.join(dir, `export-${kind}.sqlite`));
  }

  /** The settings the folder was started with (options, key fingerprint), or undefined if new. */
  settings(): Record<string, string> | undefined {
    return readRunSettings(this.db);
  }

  saveSettings(settings: Record<string, string>): void {
    saveRunSettings(this.db, settings);
  }

  /**
   * Whether a source file is already settled: done or failed with the same size and modification
   * time. A file changed since is done again; with `retryFailed`, failed ones are too.
   */
  settled(file: string, stamp: SourceStamp, retryFailed: boolean): boolean {
    const row = this.lookup.get(file);
    if (row === undefined) return false;
    if (row.size !== stamp.size || row.mtime_ms !== stamp.mtimeMs) return false;
    return !(retryFailed && row.status === 'failed');
  }

  /** Queues a result; it is committed by the next flush (or when the batch is full). */
  record(record: JournalRecord): void {
    this.pending.push(record);
    if (this.pending.length >= 256) this.flush();
  }

  /** Commits queued results in one transaction. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0);
    this.db.transaction(() => {
      for (const r of batch) {
        const done = r.kind === 'done';
        this.upsert.run({
          path: r.path,
          size: r.stamp.size,
          mtimeMs: r.stamp.mtimeMs,
          status: r.kind,
          reason: done ? null : r.failure.reason,
          detail: done ? null : r.failure.detail,
          outputs: done ? JSON.stringify(r.outputs) : null,
          row: done ? JSON.stringify(r.row) : null,
        });
      }
    })();
  }

  counts(): Counts {
    const row = this.db
      .prepare(
        `SELECT COALESCE(SUM(status = 'done'), 0) AS done,
                COALESCE(SUM(status = 'failed'), 0) AS failed FROM source`,
      )
      .get() as { done: number; failed: number };
    return { done: row.done, failed: row.failed };
  }

  /** Done sources in the order they were first recorded, streamed. */
  *done(): Generator<{ path: string; outputs: string[]; row: Record<string, string> }> {
    const rows = this.db
      .prepare(`SELECT path, outputs, row FROM source WHERE status = 'done' ORDER BY id`)
      .iterate() as Iterable<{ path: string; outputs: string; row: string }>;
    for (const r of rows) {
      yield {
        path: r.path,
        outputs: JSON.parse(r.outputs) as string[],
        row: JSON.parse(r.row) as Record<string, string>,
      };
    }
  }

  /** Failed sources in the order they were first recorded, streamed. */
  *failed(): Generator<{ path: string; reason: string; detail: string }> {
    yield* this.db
      .prepare(`SELECT path, reason, detail FROM source WHERE status = 'failed' ORDER BY id`)
      .iterate() as Iterable<{ path: string; reason: string; detail: string }>;
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}

/** The `run` table's settings (options, key fingerprint), or undefined for a new folder. */
export function readRunSettings(db: Database.Database): Record<string, string> | undefined {
  const rows = db.prepare('SELECT key, value FROM run').all() as { key: string; value: string }[];
  return rows.length === 0 ? undefined : Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export function saveRunSettings(db: Database.Database, settings: Record<string, string>): void {
  const insert = db.prepare('INSERT OR REPLACE INTO run (key, value) VALUES (?, ?)');
  db.transaction(() => {
    for (const [key, value] of Object.entries(settings)) insert.run(key, value);
  })();
}
