/**
 * Series completion. A series is complete after a quiet period with no new instance, or as soon
 * as it holds the number of instances announced for it. The state is in series_completion, so it
 * survives restarts and is shared by every receiver on the database.
 *
 * Exactly once per (series, version): completeSeries is a conditional UPDATE (state open, same
 * version) whose affected-row count decides who fires; the loser of a race sees 0 rows. The
 * `series-complete` job is enqueued in the same transaction, with job_key
 * `series-complete:<uid>:<version>` as a second guard. An instance arriving after completion
 * opens version + 1 (indexInstance), which completes and fires again: an amended series.
 */
import type { Executor } from '../database.js';
import type { CompletionState } from '../schema.js';
import { enqueue } from './jobs.js';

export interface SeriesCompletion {
  readonly seriesInstanceUid: string;
  readonly version: number;
  readonly state: CompletionState;
  readonly instanceCount: number;
  readonly expectedCount: number | null;
  readonly firstReceivedAt: number;
  readonly lastReceivedAt: number;
  readonly completedAt: number | null;
}

const COLUMNS = [
  'series_instance_uid',
  'version',
  'state',
  'instance_count',
  'expected_count',
  'first_received_at',
  'last_received_at',
  'completed_at',
] as const;

function toCompletion(row: {
  series_instance_uid: string;
  version: number;
  state: CompletionState;
  instance_count: number;
  expected_count: number | null;
  first_received_at: number;
  last_received_at: number;
  completed_at: number | null;
}): SeriesCompletion {
  return {
    seriesInstanceUid: row.series_instance_uid,
    version: row.version,
    state: row.state,
    instanceCount: row.instance_count,
    expectedCount: row.expected_count,
    firstReceivedAt: row.first_received_at,
    lastReceivedAt: row.last_received_at,
    completedAt: row.completed_at,
  };
}

export async function getCompletion(
  ex: Executor,
  seriesUid: string,
): Promise<SeriesCompletion | undefined> {
  const row = await ex
    .selectFrom('series_completion')
    .select(COLUMNS)
    .where('series_instance_uid', '=', seriesUid)
    .executeTakeFirst();
  return row && toCompletion(row);
}

/**
 * Open series that are due: quiet since `now - quietSeconds`, or holding their expected count.
 * Oldest first, at most `limit`. Reads only the partial index of open series.
 */
export async function dueSeries(
  ex: Executor,
  now: number,
  quietSeconds: number,
  limit = 100,
  options: { expectedCounts?: boolean } = {},
): Promise<SeriesCompletion[]> {
  const quietBefore = now - quietSeconds * 1000;
  const byCount = options.expectedCounts ?? true;
  const rows = await ex
    .selectFrom('series_completion')
    .select(COLUMNS)
    .where('state', '=', 'open')
    .where((eb) =>
      byCount
        ? eb.or([
            eb('last_received_at', '<=', quietBefore),
            eb.and([
              eb('expected_count', 'is not', null),
              eb('instance_count', '>=', eb.ref('expected_count')),
            ]),
          ])
        : eb('last_received_at', '<=', quietBefore),
    )
    .orderBy('last_received_at')
    .orderBy('series_instance_uid')
    .limit(limit)
    .execute();
  return rows.map(toCompletion);
}

export interface CompleteOptions {
  /**
   * Complete only if still quiet: no instance received after this time, unless the expected
   * count is reached (guards against an instance that arrived after dueSeries looked).
   */
  readonly quietBefore?: number | undefined;
  /** The queue of the series-complete job; default 'series-complete'. */
  readonly queue?: string | undefined;
  /** With quietBefore: whether a reached expected count also completes (default true). */
  readonly expectedCounts?: boolean | undefined;
  /** Attempts the series-complete job gets (jobs.maxAttempts); default DEFAULT_MAX_ATTEMPTS. */
  readonly maxAttempts?: number | undefined;
}

/**
 * Marks (series, version) complete if it is still open at that version, and enqueues its
 * `series-complete` job in `tx`. Returns fired: true for exactly one caller per (series,
 * version), however many receivers race.
 */
export async function completeSeries(
  tx: Executor,
  seriesUid: string,
  version: number,
  now: number,
  options: CompleteOptions = {},
): Promise<{ fired: boolean; jobId?: number }> {
  const { quietBefore } = options;
  const result = await tx
    .updateTable('series_completion')
    .set({ state: 'complete', completed_at: now })
    .where('series_instance_uid', '=', seriesUid)
    .where('version', '=', version)
    .where('state', '=', 'open')
    .$if(quietBefore !== undefined, (qb) =>
      qb.where((eb) =>
        options.expectedCounts === false
          ? eb('last_received_at', '<=', quietBefore ?? 0)
          : eb.or([
              eb('last_received_at', '<=', quietBefore ?? 0),
              eb.and([
                eb('expected_count', 'is not', null),
                eb('instance_count', '>=', eb.ref('expected_count')),
              ]),
            ]),
      ),
    )
    .returning(['instance_count', 'first_received_at', 'last_received_at'])
    .executeTakeFirst();
  if (!result) return { fired: false };

  const series = await tx
    .selectFrom('series')
    .innerJoin('studies', 'studies.id', 'series.study_ref')
    .innerJoin('patients', 'patients.id', 'studies.patient_ref')
    .select(['studies.study_instance_uid', 'patients.patient_id', 'series.modality'])
    .where('series.series_instance_uid', '=', seriesUid)
    .executeTakeFirst();
  const job = await enqueue(
    tx,
    {
      queue: options.queue ?? 'series-complete',
      kind: 'series-complete',
      payload: {
        seriesInstanceUid: seriesUid,
        studyInstanceUid: series?.study_instance_uid ?? null,
        patientId: series?.patient_id ?? null,
        modality: series?.modality ?? null,
        version,
        amended: version > 1,
        instanceCount: result.instance_count,
        firstReceivedAt: result.first_received_at,
        lastReceivedAt: result.last_received_at,
      },
      jobKey: `series-complete:${seriesUid}:${version}`,
      maxAttempts: options.maxAttempts,
      seriesInstanceUid: seriesUid,
    },
    now,
  );
  return { fired: true, jobId: job.id };
}

/**
 * Announces how many instances a series will have (the PACS said so: C-FIND's
 * NumberOfSeriesRelatedInstances). Before the first instance the series waits in state
 * `expected` (no quiet timer runs); once instances arrive, the series completes when the count
 * is reached. A count from here replaces one read from a header.
 */
export async function expectSeries(
  ex: Executor,
  seriesUid: string,
  expectedCount: number,
  now: number,
): Promise<void> {
  if (!Number.isSafeInteger(expectedCount) || expectedCount < 0) {
    throw new RangeError(`expected count ${expectedCount} is not a count`);
  }
  await ex
    .insertInto('series_completion')
    .values({
      series_instance_uid: seriesUid,
      version: 1,
      state: 'expected',
      instance_count: 0,
      expected_count: expectedCount,
      first_received_at: now,
      last_received_at: now,
      completed_at: null,
    })
    .onConflict((oc) =>
      oc.column('series_instance_uid').doUpdateSet({ expected_count: expectedCount }),
    )
    .execute();
}

/** How many series are in each completion state (for status and metrics). */
export async function completionCounts(ex: Executor): Promise<Record<CompletionState, number>> {
  const rows = await ex
    .selectFrom('series_completion')
    .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  const out: Record<CompletionState, number> = { expected: 0, open: 0, complete: 0 };
  for (const row of rows) out[row.state] = Number(row.n);
  return out;
}
