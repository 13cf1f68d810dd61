// The two index databases every store and receiver test runs against: SQLite (a file in a temp
// folder) and this machine's PostgreSQL (127.0.0.1:5432, database `test`, trust auth), in a
// fresh schema per test file that is dropped afterwards. One suite, both dialects:
//   for (const dialect of DIALECTS) describe(`... (${dialect})`, () => { ... })
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Db, type DialectName } from '../../src/store/index.js';

export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

/** The PostgreSQL the tests use (NIFFLER_TEST_PG_URL overrides it). */
export const PG_URL =
  process.env['NIFFLER_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let counter = 0;

/** A schema name nobody else uses: the test's name, the pid and a counter. */
export function freshSchemaName(label: string): string {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 24);
  return `t_${safe}_${process.pid}_${++counter}`;
}

export interface TestDatabase {
  readonly dialect: DialectName;
  readonly db: Db;
  /** The URL a second connection (another process) uses to reach the same database. */
  readonly url: string;
  /** PostgreSQL: the schema; SQLite: undefined. */
  readonly schema: string | undefined;
  /** Closes the connection and removes the database (file or schema). */
  drop(): Promise<void>;
}

/** A new, migrated, empty database of `dialect`. */
export async function openTestDatabase(dialect: DialectName, label: string): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const directory = await mkdtemp(path.join(os.tmpdir(), `niffler-db-${label}-`));
    const url = path.join(directory, 'index.sqlite');
    const db = await openDatabase({ url });
    return {
      dialect,
      db,
      url,
      schema: undefined,
      drop: async () => {
        await db.close();
        await rm(directory, { recursive: true, force: true });
      },
    };
  }
  const schema = freshSchemaName(label);
  const db = await openDatabase({ url: PG_URL, schema });
  return {
    dialect,
    db,
    url: PG_URL,
    schema,
    drop: async () => {
      await db.close();
      await dropSchema(schema);
    },
  };
}

/** Drops a PostgreSQL schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
