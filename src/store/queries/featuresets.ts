/**
 * Featureset storage: the original Niffler made one MongoDB collection per conf/*.txt file. Here
 * every featureset shares one table, featureset_rows (featureset, series UID, SOP UID,
 * values_json), plus one view per featureset, fs_<name>, with a column per key.
 *
 * Why one table rather than a table per featureset (fs_<name> created at run time):
 * - no DDL on the ingest path and no per-featureset migration: a new or edited .txt file is a
 *   row in `featuresets` and a re-created view, and the schema check stays meaningful (dynamic
 *   tables would never match the committed snapshot);
 * - values keep their JSON types (number, string, array, null) with no column type to guess per
 *   keyword: a keyword's VM or VR varies between vendors and files;
 * - flattened sequence keys (`Seq[0].CodeValue`) and creator-named private keys, which vary per
 *   file, fit in a document but not in fixed columns.
 * The views give SQL users (psql, sqlite3, DuckDB) the collection-like table they expect. A view
 * column is `jsonb` on PostgreSQL (`->`), and on SQLite json_extract's value: numbers and text
 * as SQL values, arrays as JSON text. Keys that cannot be a column name (longer than 63 bytes,
 * or holding a quote) are only in values_json.
 * Rows are unique per (featureset, series, instance), so re-extracting after a crash or restart
 * replaces instead of duplicating (the original inserted duplicates).
 */
import { sql } from 'kysely';
import { dialectOf, type Executor } from '../database.js';
import { runRaw } from './raw.js';
import { StoreError } from '../errors.js';
import { fromJson, toJson } from './json.js';

/** Like the original's file stems (`featureset1`): a letter, then letters, digits or `_`. */
export const FEATURESET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

/** The view of a featureset. */
export function featuresetView(name: string): string {
  return `fs_${name}`;
}

function checkName(name: string): void {
  if (!FEATURESET_NAME.test(name)) {
    throw new StoreError(
      'BAD_FEATURESET',
      `featureset name ${JSON.stringify(name)} must be a letter then up to 47 letters, digits or _`,
    );
  }
}

/** Keys that can be view columns (see the module comment). */
function viewKeys(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  return keys.filter((key) => {
    const ok =
      key !== '' &&
      Buffer.byteLength(key) <= 63 &&
      !hasQuoteOrControl(key) &&
      !seen.has(key.toLowerCase());
    if (ok) seen.add(key.toLowerCase());
    return ok;
  });
}

/**
 * Registers a featureset (its keys in file order) and (re)creates its view. Idempotent; call
 * it at start for each featureset file.
 */
export async function ensureFeatureset(
  ex: Executor,
  name: string,
  keys: readonly string[],
  now: number,
): Promise<void> {
  checkName(name);
  const dialect = dialectOf(ex);
  if (dialect === 'postgres') {
    // Concurrent CREATE OR REPLACE VIEW of one view fails ("tuple concurrently updated").
    await sql`select pg_advisory_xact_lock(${0x4e494647}, hashtext(${name}))`.execute(ex);
  }
  await ex
    .insertInto('featuresets')
    .values({ name, keywords: toJson(keys), created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet((eb) => ({
        keywords: eb.ref('excluded.keywords'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();

  const columns = viewKeys(keys).map((key) => {
    const value =
      dialect === 'postgres'
        ? sql`values_json -> ${sql.lit(key)}`
        : sql`json_extract(values_json, ${sql.lit(`$."${key}"`)})`;
    return sql`${value} as ${sql.id(key)}`;
  });
  const view = sql.id(featuresetView(name));
  await sql`drop view if exists ${view}`.execute(ex);
  await sql`create view ${view} as select ${sql.join(
    [sql`series_instance_uid`, sql`sop_instance_uid`, sql`created_at`, ...columns],
    sql`, `,
  )} from featureset_rows where featureset = ${sql.lit(name)}`.execute(ex);
}

export interface FeaturesetRow {
  readonly featureset: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  /** Key -> typed value (numbers stay numbers, empty is null, multi-valued are arrays). */
  readonly values: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

const UPSERT_FEATURESET_ROW =
  'insert into featureset_rows (featureset, series_instance_uid, sop_instance_uid, values_json,' +
  ' created_at) values (?, ?, ?, ?, ?)' +
  ' on conflict (featureset, series_instance_uid, sop_instance_uid) do update set' +
  ' values_json = excluded.values_json, created_at = excluded.created_at';

/**
 * Adds (or replaces) the row of one instance in a registered featureset. SQL text (raw.ts): it
 * runs once per featureset for each series or instance received.
 */
export async function insertFeaturesetRow(
  ex: Executor,
  row: Omit<FeaturesetRow, 'createdAt'>,
  now: number,
): Promise<void> {
  checkName(row.featureset);
  await runRaw(ex, dialectOf(ex) === 'postgres', UPSERT_FEATURESET_ROW, [
    row.featureset,
    row.seriesInstanceUid,
    row.sopInstanceUid,
    toJson(row.values),
    now,
  ]);
}

/** The rows of a featureset (optionally of one series), in insertion order. */
export async function featuresetRows(
  ex: Executor,
  featureset: string,
  filter: { seriesInstanceUid?: string } = {},
): Promise<FeaturesetRow[]> {
  let q = ex
    .selectFrom('featureset_rows')
    .selectAll()
    .where('featureset', '=', featureset)
    .orderBy('id');
  if (filter.seriesInstanceUid !== undefined) {
    q = q.where('series_instance_uid', '=', filter.seriesInstanceUid);
  }
  return (await q.execute()).map((r) => ({
    featureset: r.featureset,
    seriesInstanceUid: r.series_instance_uid,
    sopInstanceUid: r.sop_instance_uid,
    values: fromJson(r.values_json) as Record<string, unknown>,
    createdAt: r.created_at,
  }));
}

/** The registered featuresets and their keys. */
export async function listFeaturesets(ex: Executor): Promise<{ name: string; keys: string[] }[]> {
  const rows = await ex
    .selectFrom('featuresets')
    .select(['name', 'keywords'])
    .orderBy('name')
    .execute();
  return rows.map((r) => ({ name: r.name, keys: fromJson(r.keywords) as string[] }));
}

/** A quote or a C0 control character: never valid in a column name we create. */
function hasQuoteOrControl(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x27) return true;
  }
  return false;
}
