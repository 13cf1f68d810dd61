/**
 * One database behind Kysely: SQLite (better-sqlite3) by default, PostgreSQL (node-postgres) to
 * scale out. Everything above this file sees `Db`: a dialect name, a Kysely instance and
 * `transaction()`; SQL itself lives in ./queries/.
 *
 * SQLite settings and why (measurements in ./README.md):
 * - journal_mode=WAL: readers (C-FIND, the dashboard) never block the writer.
 * - Durable commits (the default, `synchronous: 'FULL'`): every transaction made with
 *   `Db.transaction()` is on disk before the promise resolves, so an acknowledged C-STORE survives
 *   a power cut, not only a process crash. SQLite's own synchronous=FULL would fsync the WAL
 *   inside COMMIT, on the event loop (better-sqlite3 is synchronous): every association would wait
 *   for every other's fsync. Instead SQLite runs with synchronous=NORMAL (in WAL mode: no fsync at
 *   commit, but checkpoints still sync the WAL before copying it and the database after) and we
 *   fdatasync the WAL file ourselves after COMMIT, on libuv's thread pool, before resolving. fsync
 *   flushes the file, whichever descriptor asks, so the commit is as durable as with FULL; only
 *   the wait moved off the event loop. Measured: see the receiver benchmark in the README.
 *   `synchronous: 'NORMAL'` skips that fdatasync (the last commits may be lost on a power cut).
 * - Prepared statements are cached by their SQL text: Kysely prepares every query anew, which
 *   cost more than running it.
 * - busy_timeout: another process holding the write lock (a CLI command) makes us wait, not fail.
 *   better-sqlite3 is synchronous, so this waits on the event loop: keep it short.
 * - foreign_keys=ON: SQLite leaves them off unless asked, per connection.
 * - Write transactions start with BEGIN IMMEDIATE: the write lock is taken up front, so two
 *   processes never both hold read locks and then fail to upgrade them (SQLITE_BUSY).
 *
 * PostgreSQL: a pg Pool; 64-bit integers (ids, times, sizes) are read as numbers (they stay far
 * below 2^53), set per pool rather than with pg's process-wide type registry. node-postgres is
 * imported only for a PostgreSQL URL: loading it took about 50 ms of every command's start-up.
 */
import { open, type FileHandle } from 'node:fs/promises';
import Sqlite from 'better-sqlite3';
import { Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type pg from 'pg';
import { CoalescedFlush } from '../util/coalesced-flush.js';
import { StoreError } from './errors.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';
import { MEMORY, parseDatabaseUrl, redactUrl, type DialectName } from './url.js';

export type { DialectName } from './url.js';

/** A Db's Kysely instance or a transaction: what every query function takes. */
export type Executor = Kysely<Database>;

export interface OpenDatabaseOptions {
  /** See parseDatabaseUrl: a file path, `sqlite:/path`, `:memory:` or `postgres://...`. */
  readonly url: string;
  /**
   * PostgreSQL only: the schema to keep the tables in, created when missing (tests use a fresh
   * one per file). Default: the connection's default (`public`).
   */
  readonly schema?: string | undefined;
  /** SQLite only: FULL (default, durable across power loss) or NORMAL (see above). */
  readonly synchronous?: 'FULL' | 'NORMAL' | undefined;
  /** SQLite only: how long to wait for another process's write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number | undefined;
  /** PostgreSQL only: pool size. Default 10. */
  readonly poolSize?: number | undefined;
  /** Apply pending migrations at open (default true). */
  readonly migrate?: boolean | undefined;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export class Db {
  readonly dialect: DialectName;
  readonly kysely: Kysely<Database>;
  /** PostgreSQL: the schema the tables are in. SQLite: 'main'. */
  readonly schema: string;
  #closed = false;

  readonly #walSync: WalSync | undefined;

  private constructor(
    dialect: DialectName,
    kysely: Kysely<Database>,
    schema: string,
    walSync?: WalSync,
  ) {
    this.dialect = dialect;
    this.kysely = kysely;
    this.schema = schema;
    this.#walSync = walSync;
  }

  /** @internal use openDatabase */
  static async create(options: OpenDatabaseOptions): Promise<Db> {
    const location = parseDatabaseUrl(options.url);
    if (location.dialect === 'sqlite') {
      const sqlite = openSqlite(location.path, options);
      const kysely = new Kysely<Database>({
        dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
      });
      const durable = options.synchronous !== 'NORMAL' && location.path !== MEMORY;
      return new Db('sqlite', kysely, 'main', durable ? new WalSync(location.path) : undefined);
    }
    const schema = options.schema;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new StoreError(
        'BAD_URL',
        `PostgreSQL schema name ${JSON.stringify(schema)} is invalid`,
      );
    }
    const { default: pgModule } = await import('pg');
    if (schema !== undefined) await createSchema(pgModule, location.url, schema);
    const pool = new pgModule.Pool({
      connectionString: location.url,
      max: options.poolSize ?? 10,
      application_name: 'niffler',
      types: { getTypeParser: typeParser(pgModule.types) },
      ...(schema !== undefined && { options: `-c search_path=${schema}` }),
    });
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      const current = await sql<{
        schema: string | null;
      }>`select current_schema() as schema`.execute(kysely);
      const name = current.rows[0]?.schema;
      if (name == null) throw new Error('the connection has no current schema (search_path)');
      return new Db('postgres', kysely, name);
    } catch (error) {
      await kysely.destroy();
      throw new StoreError(
        'BAD_URL',
        `cannot use PostgreSQL at ${redactUrl(location.url)}: ${messageOf(error)}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `fn` in one transaction and commits, or rolls back if it throws (then rethrows). `fn`
   * must use the executor it is given, never `db.kysely`: on SQLite the one connection is
   * held by the transaction, so a query on `db.kysely` would wait forever.
   */
  async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    const { result, durable } = await this.transactionThenDurable(fn);
    await durable;
    return result;
  }

  /**
   * Like transaction(), but resolves as soon as the transaction has committed, with `durable`:
   * a promise that resolves once the commit is on disk (SQLite: the WAL flush described in the
   * module comment; PostgreSQL: already, COMMIT waits for its WAL). Meanwhile the next
   * transaction may run, and its flush is shared with this one's when they coincide: the
   * receiver's group commit runs its next batch while the previous one is being flushed, and
   * answers each C-STORE only after `durable`.
   */
  async transactionThenDurable<T>(
    fn: (tx: Executor) => Promise<T>,
  ): Promise<{ result: T; durable: Promise<void> }> {
    if (this.#closed) throw new StoreError('CLOSED', 'the database is closed');
    if (this.dialect === 'postgres') {
      return { result: await this.kysely.transaction().execute(fn), durable: Promise.resolve() };
    }
    const result = await this.kysely.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      let result: T;
      try {
        result = await fn(conn);
      } catch (error) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw error;
      }
      try {
        await sql`commit`.execute(conn);
      } catch (error) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw error;
      }
      return result;
    });
    // After the connection is released, so other transactions run while the WAL is flushed.
    const durable = this.#walSync?.sync() ?? Promise.resolve();
    // Reported to whoever awaits it; not an unhandled rejection before they do.
    durable.catch(() => undefined);
    return { result, durable };
  }

  /** Applies pending migrations; returns their names. openDatabase does this unless told not to. */
  async migrate(): Promise<string[]> {
    return migrateToLatest(this.kysely as unknown as Kysely<unknown>, this.dialect, {
      ...(this.dialect === 'postgres' && { schema: this.schema }),
    });
  }

  /** Closes the connections (SQLite: checkpoints the WAL). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#walSync?.close();
    await this.kysely.destroy();
  }
}

/** The dialect of an executor (a Db's Kysely instance or one of its transactions). */
export function dialectOf(ex: Executor): DialectName {
  return ex.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Opens (and by default migrates) a database. Close it with `db.close()`. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Db> {
  const db = await Db.create(options);
  if (options.migrate ?? true) {
    try {
      await db.migrate();
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}

function openSqlite(path: string, options: OpenDatabaseOptions): Sqlite.Database {
  let sqlite: Sqlite.Database;
  try {
    sqlite = new Sqlite(path);
  } catch (error) {
    throw new StoreError('BAD_URL', `cannot open SQLite database ${path}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  try {
    if (path !== MEMORY) sqlite.pragma('journal_mode = WAL');
    // FULL durability comes from WalSync (see the module comment), or from SQLite itself for an
    // in-memory database (where it means nothing).
    sqlite.pragma(`synchronous = ${path === MEMORY ? 'FULL' : 'NORMAL'}`);
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    sqlite.pragma('foreign_keys = ON');
  } catch (error) {
    sqlite.close();
    throw new StoreError('BAD_URL', `cannot use SQLite database ${path}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return sqlite;
}

/** better-sqlite3 with its prepared statements kept by SQL text (bounded). */
function cachingStatements(sqlite: Sqlite.Database): {
  close(): void;
  prepare(sql: string): Sqlite.Statement;
} {
  const cache = new Map<string, Sqlite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (text: string) => {
      let statement = cache.get(text);
      if (statement === undefined) {
        // Queries with IN lists of every length would grow it without end: start afresh.
        if (cache.size >= 2000) cache.clear();
        statement = sqlite.prepare(text);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

/**
 * fdatasync of the WAL file after a commit, on the thread pool. Concurrent callers share one
 * flush when one is already waiting to start (group commit at the file level).
 */
class WalSync {
  private handle: Promise<FileHandle | undefined> | undefined;
  private readonly flushes = new CoalescedFlush(() => this.flush());

  constructor(private readonly databasePath: string) {}

  /** A flush that starts after our commit covers it; one already running may not. */
  sync(): Promise<void> {
    return this.flushes.request();
  }

  private async flush(): Promise<void> {
    this.handle ??= open(`${this.databasePath}-wal`, 'r+').catch(() => undefined);
    const handle = await this.handle;
    if (handle === undefined) {
      // No WAL file yet (nothing written in WAL mode): retry the open next time.
      this.handle = undefined;
      return;
    }
    await handle.datasync();
  }

  async close(): Promise<void> {
    await this.flushes.settled();
    const handle = await this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }
}

/** Creates a PostgreSQL schema if missing (tolerates a concurrent creator). */
async function createSchema(pgModule: typeof pg, url: string, schema: string): Promise<void> {
  const client = new pgModule.Client({ connectionString: url, application_name: 'niffler' });
  try {
    await client.connect();
    await client.query(`create schema if not exists "${schema}"`);
  } catch (error) {
    // Two processes creating the same schema: "if not exists" can still fail with 23505.
    if ((error as { code?: unknown }).code !== '23505') {
      throw new StoreError(
        'BAD_URL',
        `cannot use PostgreSQL at ${redactUrl(url)}: ${messageOf(error)}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

const INT8_OID = 20;

/** pg's parsers, but int8 as a number. */
function typeParser(types: typeof pg.types) {
  return (oid: number, format?: string): ((value: string) => unknown) => {
    if (oid === INT8_OID && format !== 'binary') return Number;
    return types.getTypeParser(oid, (format ?? 'text') as 'text') as (value: string) => unknown;
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
