/**
 * Statements written out as SQL text with `?` placeholders, for the paths that run once or more
 * per received object: building and compiling them with Kysely on every call cost more than
 * running them (the receiver's and the retrieval's profiles). PostgreSQL gets `$n` placeholders.
 */
import { CompiledQuery } from 'kysely';
import type { Executor } from '../database.js';

const postgresText = new Map<string, string>();

/** The statement for the dialect: PostgreSQL numbers its placeholders ($1, $2...). */
export function sqlFor(isPostgres: boolean, text: string): string {
  if (!isPostgres) return text;
  let numbered = postgresText.get(text);
  if (numbered === undefined) {
    let n = 0;
    numbered = text.replace(/\?/g, () => `$${++n}`);
    postgresText.set(text, numbered);
  }
  return numbered;
}

/** Runs a statement of SQL text; its rows (none for a statement without RETURNING). */
export async function runRaw<R>(
  tx: Executor,
  isPostgres: boolean,
  text: string,
  parameters: unknown[],
): Promise<R[]> {
  const result = await tx.executeQuery<R>(CompiledQuery.raw(sqlFor(isPostgres, text), parameters));
  return result.rows;
}
