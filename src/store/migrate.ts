import {
  Migrator,
  sql,
  type Kysely,
  type MigrationProvider,
  type MigrationResultSet,
} from 'kysely';
import { StoreError } from './errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import type { DialectName } from './url.js';

/** Kysely's bookkeeping tables (names kept explicit: the schema snapshot lists them). */
export const MIGRATION_TABLE = 'kysely_migration';
export const MIGRATION_LOCK_TABLE = 'kysely_migration_lock';

export interface MigrateOptions {
  /** PostgreSQL: the schema the migration tables live in (the connection's current schema). */
  readonly schema?: string | undefined;
  /** Apply only these migrations (tests of the migrator itself); default MIGRATIONS. */
  readonly migrations?: readonly Migration[];
}

function provider(migrations: readonly Migration[], dialect: DialectName): MigrationProvider {
  return {
    async getMigrations() {
      return Object.fromEntries(
        migrations.map((m) => [m.name, { up: (db: Kysely<unknown>) => m.up(db, dialect) }]),
      );
    },
  };
}

/**
 * Brings the database to the latest migration; returns the names applied (none when already
 * there). Safe to run from several processes at once:
 * - PostgreSQL: Kysely's Migrator holds a session advisory lock (pg_advisory_lock) around the
 *   migration transaction, so a second process waits, then finds nothing to do. DDL is
 *   transactional, so a failed migration leaves nothing half done.
 * - SQLite: the whole run is one `BEGIN IMMEDIATE` transaction (the write lock is taken first,
 *   waiting up to busy_timeout), instead of Kysely's deferred BEGIN that would fail with
 *   SQLITE_BUSY when two processes upgrade their read locks at the same time.
 */
export async function migrateToLatest(
  db: Kysely<unknown>,
  dialect: DialectName,
  options: MigrateOptions = {},
): Promise<string[]> {
  const migrations = options.migrations ?? MIGRATIONS;
  const run = async (conn: Kysely<unknown>, disableTransactions: boolean) =>
    new Migrator({
      db: conn,
      provider: provider(migrations, dialect),
      migrationTableName: MIGRATION_TABLE,
      migrationLockTableName: MIGRATION_LOCK_TABLE,
      // Always name the schema on PostgreSQL: without it Kysely's "does the table exist" check
      // sees a kysely_migration table in any schema of the database.
      ...(options.schema !== undefined && { migrationTableSchema: options.schema }),
      disableTransactions,
    }).migrateToLatest();

  let result: MigrationResultSet;
  if (dialect === 'sqlite') {
    result = await db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const inner = await run(conn, true);
        await sql`${sql.raw(inner.error === undefined ? 'commit' : 'rollback')}`.execute(conn);
        return inner;
      } catch (error) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw error;
      }
    });
  } else {
    result = await run(db, false);
  }

  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const message = errorMessage(result.error);
    const tooNew = /previously executed migration \S+ is missing/.test(message);
    throw new StoreError(
      tooNew ? 'SCHEMA_TOO_NEW' : 'MIGRATION_FAILED',
      failed === undefined
        ? `database migration failed: ${message}`
        : `database migration ${failed} failed: ${message}`,
      { cause: result.error },
    );
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
