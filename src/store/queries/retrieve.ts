/**
 * The SQL of cohort retrievals (tables from migration 0002). A run's rows are written once when
 * it is created; afterwards each row and each fetched study is one small transaction as it
 * finishes, so a kill at any moment loses at most the work in flight.
 */
import type { Selectable } from 'kysely';
import type { Executor } from '../database.js';
import type {
  RetrieveRowState,
  RetrieveRowsTable,
  RetrieveRunState,
  RetrieveRunsTable,
  RetrieveUnitState,
  RetrieveUnitsTable,
} from '../schema.js';
import { fromJson, stripNulOrNull, toJson } from './json.js';

export interface RunRecord {
  readonly id: string;
  readonly specHash: string;
  readonly spec: unknown;
  readonly kind: string;
  readonly csvPath: string;
  readonly pacs: string;
  readonly state: RetrieveRunState;
  readonly owner: string | null;
  readonly heartbeatAt: number | null;
  readonly rowsTotal: number;
  readonly error: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
}

export interface NewRow {
  readonly row: number;
  readonly line: number;
  readonly cells: readonly string[];
  /** Null for an invalid row (then `state` is skipped and `error` says why). */
  readonly query: unknown;
  readonly state: 'pending' | 'skipped';
  readonly error?: string | undefined;
}

export interface RowRecord {
  readonly row: number;
  readonly line: number;
  readonly cells: readonly string[];
  readonly query: unknown;
  readonly state: RetrieveRowState;
  readonly studiesMatched: number | null;
  readonly instancesExpected: number | null;
  readonly instancesReceived: number | null;
  readonly matches: unknown;
  readonly error: string | null;
  readonly attempts: number;
  readonly finishedAt: number | null;
}

export interface RowOutcome {
  readonly state: Exclude<RetrieveRowState, 'pending'>;
  readonly studiesMatched: number | null;
  readonly instancesExpected: number | null;
  readonly instancesReceived: number | null;
  readonly matches?: unknown;
  readonly error?: string | undefined;
  readonly attempts: number;
}

export interface UnitRecord {
  readonly unitKey: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string | null;
  readonly state: RetrieveUnitState;
  readonly expected: number | null;
  readonly received: number;
  readonly completed: number;
  readonly failed: number;
  readonly warning: number;
  readonly bytes: number;
  readonly error: string | null;
  readonly attempts: number;
  readonly finishedAt: number;
}

function toRun(row: Selectable<RetrieveRunsTable>): RunRecord {
  return {
    id: row.id,
    specHash: row.spec_hash,
    spec: fromJson(row.spec_json),
    kind: row.kind,
    csvPath: row.csv_path,
    pacs: row.pacs,
    state: row.state,
    owner: row.owner,
    heartbeatAt: row.heartbeat_at,
    rowsTotal: row.rows_total,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

function toRow(row: Selectable<RetrieveRowsTable>): RowRecord {
  return {
    row: row.row,
    line: row.line,
    cells: fromJson(row.cells_json) as string[],
    query: row.query_json === null ? null : fromJson(row.query_json),
    state: row.state,
    studiesMatched: row.studies_matched,
    instancesExpected: row.instances_expected,
    instancesReceived: row.instances_received,
    matches: row.matches_json === null ? null : fromJson(row.matches_json),
    error: row.error,
    attempts: row.attempts,
    finishedAt: row.finished_at,
  };
}

function toUnit(row: Selectable<RetrieveUnitsTable>): UnitRecord {
  return {
    unitKey: row.unit_key,
    studyInstanceUid: row.study_instance_uid,
    seriesInstanceUid: row.series_instance_uid,
    state: row.state,
    expected: row.expected,
    received: row.received,
    completed: row.completed,
    failed: row.failed,
    warning: row.warning,
    bytes: row.bytes,
    error: row.error,
    attempts: row.attempts,
    finishedAt: row.finished_at,
  };
}

/** Rows per INSERT: well under SQLite's 32766 bound parameters and PostgreSQL's 65535. */
const INSERT_BATCH = 500;

/** Creates a run and all its rows (call inside one transaction). */
export async function createRun(
  ex: Executor,
  run: {
    id: string;
    specHash: string;
    spec: unknown;
    kind: string;
    csvPath: string;
    pacs: string;
    owner: string;
  },
  rows: readonly NewRow[],
  now: number,
): Promise<void> {
  await ex
    .insertInto('retrieve_runs')
    .values({
      id: run.id,
      spec_hash: run.specHash,
      spec_json: toJson(run.spec),
      kind: run.kind,
      csv_path: run.csvPath,
      pacs: run.pacs,
      state: 'running',
      owner: run.owner,
      heartbeat_at: now,
      rows_total: rows.length,
      error: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    })
    .execute();
  for (let at = 0; at < rows.length; at += INSERT_BATCH) {
    await ex
      .insertInto('retrieve_rows')
      .values(
        rows.slice(at, at + INSERT_BATCH).map((r) => ({
          run_id: run.id,
          row: r.row,
          line: r.line,
          cells_json: toJson(r.cells),
          query_json: r.query === null ? null : toJson(r.query),
          state: r.state,
          studies_matched: null,
          instances_expected: null,
          instances_received: null,
          matches_json: null,
          error: stripNulOrNull(r.error),
          attempts: 0,
          finished_at: r.state === 'pending' ? null : now,
        })),
      )
      .execute();
  }
}

export async function getRun(ex: Executor, id: string): Promise<RunRecord | undefined> {
  const row = await ex
    .selectFrom('retrieve_runs')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toRun(row);
}

/** The most recent run of a spec, if any. */
export async function latestRunOfSpec(
  ex: Executor,
  specHash: string,
): Promise<RunRecord | undefined> {
  const row = await ex
    .selectFrom('retrieve_runs')
    .selectAll()
    .where('spec_hash', '=', specHash)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row === undefined ? undefined : toRun(row);
}

/** Every run, newest first. */
export async function listRuns(ex: Executor, limit = 100): Promise<RunRecord[]> {
  const rows = await ex
    .selectFrom('retrieve_runs')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toRun);
}

/**
 * Takes a run for `owner` (state running) if its state is one of `from`; true when taken. A
 * conditional UPDATE, so two processes can never both take it.
 */
export async function takeRun(
  ex: Executor,
  id: string,
  owner: string,
  from: readonly RetrieveRunState[],
  expectedOwner: string | null,
  now: number,
): Promise<boolean> {
  let query = ex
    .updateTable('retrieve_runs')
    .set({ state: 'running', owner, heartbeat_at: now, updated_at: now, error: null })
    .where('id', '=', id)
    .where('state', 'in', [...from]);
  query =
    expectedOwner === null
      ? query.where('owner', 'is', null)
      : query.where('owner', '=', expectedOwner);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records that `owner` is alive; returns the run's state (pausing/cancelling are requests). */
export async function heartbeatRun(
  ex: Executor,
  id: string,
  owner: string,
  now: number,
): Promise<RetrieveRunState | undefined> {
  await ex
    .updateTable('retrieve_runs')
    .set({ heartbeat_at: now })
    .where('id', '=', id)
    .where('owner', '=', owner)
    .execute();
  const row = await ex
    .selectFrom('retrieve_runs')
    .select('state')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.state;
}

/** Sets a run's state; the owner is cleared when the state is not running. */
export async function setRunState(
  ex: Executor,
  id: string,
  state: RetrieveRunState,
  now: number,
  options: { error?: string | null; onlyFrom?: readonly RetrieveRunState[] } = {},
): Promise<boolean> {
  const finished = state === 'done' || state === 'cancelled' || state === 'failed';
  const running = state === 'running' || state === 'pausing' || state === 'cancelling';
  let query = ex
    .updateTable('retrieve_runs')
    .set({
      state,
      updated_at: now,
      ...(running ? {} : { owner: null }),
      ...(finished ? { finished_at: now } : {}),
      ...(options.error !== undefined ? { error: stripNulOrNull(options.error) } : {}),
    })
    .where('id', '=', id);
  if (options.onlyFrom !== undefined) query = query.where('state', 'in', [...options.onlyFrom]);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The rows still to do, in row order. */
export async function pendingRows(ex: Executor, runId: string): Promise<RowRecord[]> {
  const rows = await ex
    .selectFrom('retrieve_rows')
    .selectAll()
    .where('run_id', '=', runId)
    .where('state', '=', 'pending')
    .orderBy('row')
    .execute();
  return rows.map(toRow);
}

/** Every row of a run, in row order (the report). */
export async function runRows(ex: Executor, runId: string): Promise<RowRecord[]> {
  const rows = await ex
    .selectFrom('retrieve_rows')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('row')
    .execute();
  return rows.map(toRow);
}

/** Rows by state. */
export async function rowStateCounts(
  ex: Executor,
  runId: string,
): Promise<Partial<Record<RetrieveRowState, number>>> {
  const rows = await ex
    .selectFrom('retrieve_rows')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', '=', runId)
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/**
 * Records how a row ended. Only a pending row is updated, so a row is finished exactly once
 * (a second writer, if there ever were one, changes nothing); true when it was.
 */
export async function finishRow(
  ex: Executor,
  runId: string,
  row: number,
  outcome: RowOutcome,
  now: number,
): Promise<boolean> {
  const result = await ex
    .updateTable('retrieve_rows')
    .set({
      state: outcome.state,
      studies_matched: outcome.studiesMatched,
      instances_expected: outcome.instancesExpected,
      instances_received: outcome.instancesReceived,
      matches_json: outcome.matches === undefined ? null : toJson(outcome.matches),
      error: stripNulOrNull(outcome.error),
      attempts: outcome.attempts,
      finished_at: now,
    })
    .where('run_id', '=', runId)
    .where('row', '=', row)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Marks every pending row skipped (a cancelled run), with the reason. */
export async function skipPendingRows(
  ex: Executor,
  runId: string,
  reason: string,
  now: number,
): Promise<number> {
  const result = await ex
    .updateTable('retrieve_rows')
    .set({ state: 'skipped', error: reason, finished_at: now })
    .where('run_id', '=', runId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function getUnit(
  ex: Executor,
  runId: string,
  unitKey: string,
): Promise<UnitRecord | undefined> {
  const row = await ex
    .selectFrom('retrieve_units')
    .selectAll()
    .where('run_id', '=', runId)
    .where('unit_key', '=', unitKey)
    .executeTakeFirst();
  return row === undefined ? undefined : toUnit(row);
}

/** Records a fetched study or series (replacing an earlier record of it). */
export async function saveUnit(ex: Executor, runId: string, unit: UnitRecord): Promise<void> {
  const values = {
    study_instance_uid: unit.studyInstanceUid,
    series_instance_uid: unit.seriesInstanceUid,
    state: unit.state,
    expected: unit.expected,
    received: unit.received,
    completed: unit.completed,
    failed: unit.failed,
    warning: unit.warning,
    bytes: unit.bytes,
    error: stripNulOrNull(unit.error),
    attempts: unit.attempts,
    finished_at: unit.finishedAt,
  };
  await ex
    .insertInto('retrieve_units')
    .values({ run_id: runId, unit_key: unit.unitKey, ...values })
    .onConflict((oc) => oc.columns(['run_id', 'unit_key']).doUpdateSet(values))
    .execute();
}

/** Every unit of a run. */
export async function runUnits(ex: Executor, runId: string): Promise<UnitRecord[]> {
  const rows = await ex
    .selectFrom('retrieve_units')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('unit_key')
    .execute();
  return rows.map(toUnit);
}
