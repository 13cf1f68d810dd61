import path from 'node:path';
import type { Config } from './load.js';

/** The SQLite index's file name inside storage.root when no database URL is configured. */
export const SQLITE_FILE_NAME = 'index.sqlite';

export type DatabaseTarget =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly password: string | null };

/** Which database the configuration names: PostgreSQL by URL, else SQLite inside storage.root. */
export function databaseTarget(config: Config): DatabaseTarget {
  const { url, password } = config.database;
  if (url === null)
    return { kind: 'sqlite', file: path.join(config.storage.root, SQLITE_FILE_NAME) };
  return { kind: 'postgres', url, password };
}
