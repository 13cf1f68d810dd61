/**
 * The durable job queue: events and work items in the index database, written in the same
 * transaction as the rows they are about (so an event exists if and only if its data does).
 *
 * Design (after graphile/worker; numbers in ../README.md):
 * - One table, one row per job; `claim` flips due jobs to running with locked_by/locked_at and
 *   counts the attempt. PostgreSQL: `FOR UPDATE SKIP LOCKED` in a materialized CTE, so workers
 *   on several machines never claim the same job and never wait for each other's locks. SQLite:
 *   one UPDATE ... RETURNING inside a BEGIN IMMEDIATE transaction (one writer at a time anyway).
 * - A failed attempt goes to state `failed` with run_at pushed back exponentially (backoffMs);
 *   `failed` jobs are claimable like `pending` ones once due. At max_attempts it is `dead` and
 *   waits for an operator. A permanent failure goes to `dead` at once.
 * - `complete` and `fail` only act on a job the caller still holds (state running, locked_by
 *   the caller): a worker that was presumed lost (requeueStale) cannot clobber the new owner.
 * - job_key (unique) makes an enqueue idempotent: series-complete events use
 *   `series-complete:<uid>:<version>`, a second guard besides the conditional UPDATE.
 * - The claim index is partial (state pending/failed), so done and dead jobs piling up cost the
 *   claim nothing; pruneDoneJobs deletes old done jobs.
 */
import type { Selectable } from 'kysely';
import type { Db, Executor } from '../database.js';
import type { JobState, JobsTable } from '../schema.js';
import { fromJson, stripNul, toJson } from './json.js';

export interface Job {
  readonly id: number;
  readonly queue: string;
  readonly kind: string;
  readonly payload: unknown;
  readonly state: JobState;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly runAt: number;
  readonly lockedBy: string | null;
  readonly lockedAt: number | null;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly jobKey: string | null;
  readonly seriesInstanceUid: string | null;
}

export interface EnqueueSpec {
  readonly queue: string;
  /** What to do; defaults to the queue name. */
  readonly kind?: string | undefined;
  readonly payload: unknown;
  /** Not before this time (ms since the epoch); default now. */
  readonly runAt?: number | undefined;
  /** Default DEFAULT_MAX_ATTEMPTS. */
  readonly maxAttempts?: number | undefined;
  /** An enqueue whose key is already in the table adds nothing (returns the existing job). */
  readonly jobKey?: string | undefined;
  /** The series the job is about: retention keeps the series until the job is done. */
  readonly seriesInstanceUid?: string | undefined;
}

export const DEFAULT_MAX_ATTEMPTS = 10;

export interface BackoffOptions {
  /** Delay after the first failed attempt. Default 1 s. */
  readonly baseMs?: number | undefined;
  /** Longest delay. Default 1 hour. */
  readonly maxMs?: number | undefined;
}

/** The delay before retrying after `attempts` failed attempts: base * 2^(attempts-1), capped. */
export function backoffMs(attempts: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 3_600_000;
  return Math.min(max, base * 2 ** Math.max(0, attempts - 1));
}

export function toJob(row: Selectable<JobsTable>): Job {
  return {
    id: row.id,
    queue: row.queue,
    kind: row.kind,
    payload: fromJson(row.payload),
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    lockedBy: row.locked_by,
    lockedAt: row.locked_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    jobKey: row.job_key,
    seriesInstanceUid: row.series_instance_uid,
  };
}

/**
 * Adds a job (inside the caller's transaction when given one). Returns its id, and `created`
 * false when a job with the same jobKey already existed.
 */
export async function enqueue(
  ex: Executor,
  spec: EnqueueSpec,
  now: number,
): Promise<{ id: number; created: boolean }> {
  const inserted = await ex
    .insertInto('jobs')
    .values({
      queue: spec.queue,
      kind: spec.kind ?? spec.queue,
      payload: toJson(spec.payload),
      state: 'pending',
      attempts: 0,
      max_attempts: spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      run_at: spec.runAt ?? now,
      created_at: now,
      updated_at: now,
      job_key: spec.jobKey ?? null,
      series_instance_uid: spec.seriesInstanceUid ?? null,
    })
    .onConflict((oc) => oc.column('job_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true };
  const existing = await ex
    .selectFrom('jobs')
    .select('id')
    .where('job_key', '=', spec.jobKey ?? null)
    .executeTakeFirstOrThrow();
  return { id: existing.id, created: false };
}

/**
 * Claims up to `n` due jobs of a queue for `workerId`: they become running, locked by it, with
 * one more attempt counted. Oldest run_at first. Never returns a job another claim holds.
 */
export async function claim(
  db: Db,
  queue: string,
  workerId: string,
  n: number,
  now: number,
): Promise<Job[]> {
  if (n <= 0) return [];
  const set = {
    state: 'running' as const,
    locked_by: workerId,
    locked_at: now,
    updated_at: now,
  };
  let rows: Selectable<JobsTable>[];
  if (db.dialect === 'postgres') {
    rows = await db.kysely
      .with(
        (wb) => wb('due').materialized(),
        (qb) =>
          qb
            .selectFrom('jobs')
            .select('id')
            .where('queue', '=', queue)
            .where('state', 'in', ['pending', 'failed'])
            .where('run_at', '<=', now)
            .orderBy('run_at')
            .orderBy('id')
            .limit(n)
            .forUpdate()
            .skipLocked(),
      )
      .updateTable('jobs')
      .set((eb) => ({ ...set, attempts: eb('jobs.attempts', '+', 1) }))
      .from('due')
      .whereRef('jobs.id', '=', 'due.id')
      .returningAll('jobs')
      .execute();
  } else {
    rows = await db.transaction((tx) =>
      tx
        .updateTable('jobs')
        .set((eb) => ({ ...set, attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', (qb) =>
          qb
            .selectFrom('jobs')
            .select('id')
            .where('queue', '=', queue)
            .where('state', 'in', ['pending', 'failed'])
            .where('run_at', '<=', now)
            .orderBy('run_at')
            .orderBy('id')
            .limit(n),
        )
        .returningAll()
        .execute(),
    );
  }
  return rows.map(toJob).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
}

/** Marks a job the worker holds as done. False when it no longer holds it. */
export async function complete(
  ex: Executor,
  jobId: number,
  workerId: string,
  now: number,
): Promise<boolean> {
  const result = await ex
    .updateTable('jobs')
    .set({ state: 'done', locked_by: null, locked_at: null, updated_at: now })
    .where('id', '=', jobId)
    .where('state', '=', 'running')
    .where('locked_by', '=', workerId)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export interface FailOptions extends BackoffOptions {
  /** A failure no retry can fix (bad payload): dead at once. */
  readonly permanent?: boolean | undefined;
}

/**
 * Records a failed attempt of a job the worker holds: `failed` with a later run_at while
 * attempts remain, else (or when permanent) `dead`. Returns the new state, or undefined when
 * the worker no longer holds the job.
 */
export async function fail(
  ex: Executor,
  jobId: number,
  workerId: string,
  error: string,
  now: number,
  options: FailOptions = {},
): Promise<'failed' | 'dead' | undefined> {
  const job = await ex
    .selectFrom('jobs')
    .select(['attempts', 'max_attempts'])
    .where('id', '=', jobId)
    .where('state', '=', 'running')
    .where('locked_by', '=', workerId)
    .executeTakeFirst();
  if (!job) return undefined;
  const dead = options.permanent === true || job.attempts >= job.max_attempts;
  const state = dead ? ('dead' as const) : ('failed' as const);
  const result = await ex
    .updateTable('jobs')
    .set({
      state,
      run_at: dead ? now : now + backoffMs(job.attempts, options),
      locked_by: null,
      locked_at: null,
      last_error: stripNul(error).slice(0, 10_000),
      updated_at: now,
    })
    .where('id', '=', jobId)
    .where('state', '=', 'running')
    .where('locked_by', '=', workerId)
    .where('attempts', '=', job.attempts)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n ? state : undefined;
}

/**
 * Returns to the queue the running jobs locked before `lockedBefore` (their worker died or hung):
 * pending again, due now; dead when they have used all their attempts (a job that kills its
 * worker every time must not loop forever).
 */
export async function requeueStale(
  ex: Executor,
  lockedBefore: number,
  now: number,
): Promise<{ requeued: number; dead: number }> {
  const rows = await ex
    .updateTable('jobs')
    .set((eb) => ({
      state: eb
        .case()
        .when('attempts', '>=', eb.ref('max_attempts'))
        .then('dead' as const)
        .else('pending' as const)
        .end(),
      last_error: eb.fn.coalesce('last_error', eb.val('worker lost: lock expired')),
      locked_by: null,
      locked_at: null,
      run_at: now,
      updated_at: now,
    }))
    .where('state', '=', 'running')
    .where('locked_at', '<', lockedBefore)
    .returning('state')
    .execute();
  const dead = rows.filter((r) => r.state === 'dead').length;
  return { requeued: rows.length - dead, dead };
}

export async function getJob(ex: Executor, jobId: number): Promise<Job | undefined> {
  const row = await ex.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  return row && toJob(row);
}

/** Jobs of a queue (newest last), for inspection and tests. */
export async function listJobs(
  ex: Executor,
  filter: { queue?: string; state?: JobState; kind?: string } = {},
): Promise<Job[]> {
  let q = ex.selectFrom('jobs').selectAll().orderBy('id');
  if (filter.queue !== undefined) q = q.where('queue', '=', filter.queue);
  if (filter.state !== undefined) q = q.where('state', '=', filter.state);
  if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
  return (await q.execute()).map(toJob);
}

/** Deletes done jobs last updated before `before`; returns how many. */
export async function pruneDoneJobs(ex: Executor, before: number): Promise<number> {
  const result = await ex
    .deleteFrom('jobs')
    .where('state', '=', 'done')
    .where('updated_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Jobs per queue and state (queue depth for status and metrics). */
export async function jobCounts(
  ex: Executor,
): Promise<{ queue: string; state: JobState; count: number }[]> {
  const rows = await ex
    .selectFrom('jobs')
    .select((eb) => ['queue', 'state', eb.fn.countAll<number>().as('n')])
    .groupBy(['queue', 'state'])
    .orderBy('queue')
    .orderBy('state')
    .execute();
  return rows.map((r) => ({ queue: r.queue, state: r.state, count: Number(r.n) }));
}

/** Puts a dead job back in the queue, due now with a fresh set of attempts (an operator's retry). */
export async function retryDead(ex: Executor, jobId: number, now: number): Promise<boolean> {
  const result = await ex
    .updateTable('jobs')
    .set({ state: 'pending', attempts: 0, run_at: now, updated_at: now })
    .where('id', '=', jobId)
    .where('state', '=', 'dead')
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
