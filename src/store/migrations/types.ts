import type { Kysely } from 'kysely';
import type { DialectName } from '../url.js';

/**
 * One numbered migration. Migrations are code (not .sql files) so that one file can say what
 * differs between the dialects; they take `Kysely<unknown>` because a migration must keep
 * working when the current table types (../schema.ts) move on.
 *
 * A released migration is never edited: scripts/check-schema.ts compares each file's hash with
 * ./hashes.txt. Change the schema with a new, higher-numbered migration.
 */
export interface Migration {
  /** `0001_initial`: four digits, an underscore, a name; the order of application. */
  readonly name: string;
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/** Column types that differ between the dialects. */
export interface ColumnTypes {
  /** 64-bit integer: surrogate keys, times (ms since the epoch), sizes. */
  readonly int64: 'bigint' | 'integer';
  /** A JSON document: jsonb on PostgreSQL, text on SQLite. */
  readonly json: 'jsonb' | 'text';
}

export function columnTypes(dialect: DialectName): ColumnTypes {
  return dialect === 'postgres'
    ? { int64: 'bigint', json: 'jsonb' }
    : { int64: 'integer', json: 'text' };
}
