import { StoreError } from './errors.js';

export type DialectName = 'sqlite' | 'postgres';

export type DatabaseLocation =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string };

/** SQLite's name for a private in-memory database. */
export const MEMORY = ':memory:';

/**
 * Reads a database URL:
 * - `postgres://...` or `postgresql://...`: PostgreSQL (node-postgres connection string);
 * - `sqlite:/abs/path.db`, `sqlite:///abs/path.db`, `sqlite:relative.db`: an SQLite file;
 * - `:memory:` or `sqlite::memory:`: a private in-memory SQLite database (tests);
 * - anything without a URL scheme (`/var/lib/niffler/index.db`, `index.db`): an SQLite file.
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  const text = url.trim();
  if (text === '') throw new StoreError('BAD_URL', 'database URL is empty');
  if (/^postgres(ql)?:\/\//i.test(text)) return { dialect: 'postgres', url: text };
  const sqlite = /^sqlite:(.*)$/i.exec(text);
  if (sqlite) {
    let path = sqlite[1] ?? '';
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs -> /abs
    if (path === '') throw new StoreError('BAD_URL', `database URL ${url} names no file`);
    return { dialect: 'sqlite', path };
  }
  if (text === MEMORY) return { dialect: 'sqlite', path: MEMORY };
  // A scheme is two or more letters then ':' (a Windows drive letter C: is a path).
  if (/^[a-z][a-z0-9+.-]+:/i.test(text)) {
    throw new StoreError(
      'BAD_URL',
      `database URL ${url}: unsupported scheme (expected postgres://, postgresql://, sqlite: or a file path)`,
    );
  }
  return { dialect: 'sqlite', path: text };
}

/** The URL with any password replaced by `***`, for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}
