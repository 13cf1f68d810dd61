/**
 * One database behind Kysely: SQLite (better-sqlite3) by default, PostgreSQL (node-postgres) to
 * scale out. Everything above this file sees `Db`: a dialect name, a Kysely instance and
 * `transaction()`; SQL itself lives in ./queries/.
 *
 * SQLite settings and why (measurements in ./README.md):
 * - journal_mode=WAL: readers (C-FIND, the dashboard) never block the writer.
 * - synchronous=FULL (default here): every commit is fsynced, so an acknowledged C-STORE survives
 *   a power cut, not only a process crash. NORMAL is faster but may lose the last commits after
 *   an OS crash; it is an option for machines on a UPS.
 * - busy_timeout: another process holding the write lock (a CLI command) makes us wait, not fail.
 *   better-sqlite3 is synchronous, so this waits on the event loop: keep it short.
 * - foreign_keys=ON: SQLite leaves them off unless asked, per connection.
 * - Write transactions start with BEGIN IMMEDIATE: the write lock is taken up front, so two
 *   processes never both hold read locks and then fail to upgrade them (SQLITE_BUSY).
 *
 * PostgreSQL: a pg Pool; 64-bit integers (ids, times, sizes) are read as numbers (they stay far
 * below 2^53), set per pool rather than with pg's process-wide type registry.
 */
import Sqlite from 'better-sqlite3';
import { Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
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

  private constructor(dialect: DialectName, kysely: Kysely<Database>, schema: string) {
    this.dialect = dialect;
    this.kysely = kysely;
    this.schema = schema;
  }

  /** @internal use openDatabase */
  static async create(options: OpenDatabaseOptions): Promise<Db> {
    const location = parseDatabaseUrl(options.url);
    if (location.dialect === 'sqlite') {
      const sqlite = openSqlite(location.path, options);
      const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
      return new Db('sqlite', kysely, 'main');
    }
    const schema = options.schema;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new StoreError(
        'BAD_URL',
        `PostgreSQL schema name ${JSON.stringify(schema)} is invalid`,
      );
    }
    if (schema !== undefined) await createSchema(location.url, schema);
    const pool = new pg.Pool({
      connectionString: location.url,
      max: options.poolSize ?? 10,
      application_name: 'niffler',
      types: { getTypeParser: typeParser },
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
    if (this.#closed) throw new StoreError('CLOSED', 'the database is closed');
    if (this.dialect === 'postgres') return this.kysely.transaction().execute(fn);
    return this.kysely.connection().execute(async (conn) => {
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
    sqlite.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
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

/** Creates a PostgreSQL schema if missing (tolerates a concurrent creator). */
async function createSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'niffler' });
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

function typeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === INT8_OID && format !== 'binary') return Number;
  return pg.types.getTypeParser(oid, (format ?? 'text') as 'text') as (value: string) => unknown;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
