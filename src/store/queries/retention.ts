/**
 * Retention: which series may lose their files, and recording that they did. The original
 * deleted processed series nightly from an in-memory list (every other one, by a bug) and never
 * again once a series had been deleted; here the state is in the index.
 *
 * A series is purgeable when it is complete, completed before the cut-off, not yet purged, and
 * every job about it is done (a pending, running, failed or dead job keeps its files: a dead
 * job waits for an operator, who may want to re-run it). Protocol for the caller:
 *   1. purgeableSeries -> candidates;
 *   2. per candidate, in a transaction: markPurged(tx, uid, version) -> the paths, or nothing
 *      when the series changed meanwhile (a new instance reopened it);
 *   3. after the commit, delete those files (and the folders they leave empty), then
 *      markFilesRemoved. A crash between 2 and 3 leaves the series in pendingRemovals, which
 *      the caller finishes first on its next run: purged_at is the journal.
 * A new instance in a purged series clears the series' purged_at and opens a new version, so it
 * is processed and purged again in turn.
 */
import { sql, type SqlBool } from 'kysely';
import { dialectOf, type Executor } from '../database.js';

export interface PurgeCandidate {
  readonly seriesInstanceUid: string;
  readonly version: number;
  readonly completedAt: number;
}

export async function purgeableSeries(
  ex: Executor,
  completedBefore: number,
  limit = 100,
): Promise<PurgeCandidate[]> {
  const rows = await ex
    .selectFrom('series_completion as c')
    .innerJoin('series as se', 'se.series_instance_uid', 'c.series_instance_uid')
    .select(['c.series_instance_uid', 'c.version', 'c.completed_at'])
    .where('c.state', '=', 'complete')
    .where('c.completed_at', '<=', completedBefore)
    .where('se.purged_at', 'is', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('jobs as j')
            .select('j.id')
            .whereRef('j.series_instance_uid', '=', 'c.series_instance_uid')
            .where('j.state', '<>', 'done'),
        ),
      ),
    )
    .orderBy('c.completed_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    seriesInstanceUid: r.series_instance_uid,
    version: r.version,
    completedAt: r.completed_at ?? 0,
  }));
}

/**
 * Marks the files of (series, version) purged, if the series is still complete at that version
 * and all its jobs are done. Returns the paths to delete (after the commit), or purged: false.
 * Rows are locked in indexInstance's order (series, then completion), so a purge racing an
 * arriving instance on PostgreSQL waits instead of deadlocking; whichever commits first wins
 * (an instance first reopens the series, and the purge finds it no longer complete).
 */
export async function markPurged(
  tx: Executor,
  seriesUid: string,
  version: number,
  now: number,
): Promise<{ purged: boolean; paths: string[] }> {
  const isPostgres = dialectOf(tx) === 'postgres';
  const series = await tx
    .selectFrom('series')
    .select(['id', 'purged_at'])
    .where('series_instance_uid', '=', seriesUid)
    .$if(isPostgres, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (!series || series.purged_at !== null) return { purged: false, paths: [] };
  const completion = await tx
    .selectFrom('series_completion')
    .select('version')
    .where('series_instance_uid', '=', seriesUid)
    .where('version', '=', version)
    .where('state', '=', 'complete')
    .$if(isPostgres, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (!completion) return { purged: false, paths: [] };
  const unfinished = await tx
    .selectFrom('jobs')
    .select('id')
    .where('series_instance_uid', '=', seriesUid)
    .where('state', '<>', 'done')
    .limit(1)
    .executeTakeFirst();
  if (unfinished) return { purged: false, paths: [] };
  await tx
    .updateTable('series')
    .set({ purged_at: now, files_removed_at: null })
    .where('id', '=', series.id)
    .execute();
  const rows = await tx
    .updateTable('instances')
    .set({ purged_at: now })
    .where('series_ref', '=', series.id)
    .where('purged_at', 'is', null)
    .returning('path')
    .execute();
  return { purged: true, paths: rows.map((r) => r.path).sort() };
}

/**
 * The paths of a series' instances that are still purged, their rows locked (FOR UPDATE on
 * PostgreSQL; on SQLite the write transaction holds every writer). Read in the transaction that
 * deletes the files: a re-sent copy of a purged instance may have taken its old name once the old
 * file was gone, and its row is restored when it commits. Seen restored here, its path is left
 * alone; restored after this transaction, it finds its file deleted and links it again
 * (instance-store). A list read earlier, outside the lock, could delete the new copy of an
 * acknowledged instance.
 */
export async function lockPurgedPaths(
  tx: Executor,
  seriesUid: string,
  options: { readonly after?: PurgedFileCursor | undefined; readonly limit?: number } = {},
): Promise<{ paths: string[]; next?: PurgedFileCursor }> {
  const isPostgres = dialectOf(tx) === 'postgres';
  const limit = options.limit ?? 200;
  const series = await tx
    .selectFrom('series')
    .select('id')
    .where('series_instance_uid', '=', seriesUid)
    .executeTakeFirst();
  if (series === undefined) return { paths: [] };
  const after = options.after;
  // In SOP Instance UID order, the order in which a batch of stores takes its locks, so the two
  // cannot deadlock; a chunk at a time, so no lock is held across thousands of deletions.
  const rows = await tx
    .selectFrom('instances')
    .select(['path', 'sop_instance_uid', 'copy_number'])
    .where('series_ref', '=', series.id)
    .where('purged_at', 'is not', null)
    .$if(after !== undefined, (qb) =>
      qb.where(
        sql<SqlBool>`(sop_instance_uid, copy_number) > (${after!.sopInstanceUid}, ${after!.copyNumber})`,
      ),
    )
    .orderBy('sop_instance_uid')
    .orderBy('copy_number')
    .limit(limit)
    .$if(isPostgres, (qb) => qb.forUpdate())
    .execute();
  const last = rows.at(-1);
  return {
    paths: rows.map((r) => r.path),
    ...(rows.length === limit &&
      last !== undefined && {
        next: { sopInstanceUid: last.sop_instance_uid, copyNumber: last.copy_number },
      }),
  };
}

/** Where the next chunk of lockPurgedPaths starts. */
export interface PurgedFileCursor {
  readonly sopInstanceUid: string;
  readonly copyNumber: number;
}

/** A purge whose files may not all be deleted yet (the process stopped between the steps). */
export interface PendingRemoval {
  readonly seriesInstanceUid: string;
  readonly purgedAt: number;
  readonly paths: string[];
}

/**
 * Series marked purged whose file removal was not recorded as finished: their purged instance
 * paths, to delete again (deleting a missing file is fine) before markFilesRemoved.
 */
export async function pendingRemovals(ex: Executor, limit = 100): Promise<PendingRemoval[]> {
  const series = await ex
    .selectFrom('series')
    .select(['id', 'series_instance_uid', 'purged_at'])
    .where('purged_at', 'is not', null)
    .where('files_removed_at', 'is', null)
    .orderBy('purged_at')
    .limit(limit)
    .execute();
  const out: PendingRemoval[] = [];
  for (const s of series) {
    const rows = await ex
      .selectFrom('instances')
      .select('path')
      .where('series_ref', '=', s.id)
      .where('purged_at', 'is not', null)
      .execute();
    out.push({
      seriesInstanceUid: s.series_instance_uid,
      purgedAt: s.purged_at ?? 0,
      paths: rows.map((r) => r.path).sort(),
    });
  }
  return out;
}

/** Records that the files of a purge are deleted (only if the series was not refilled since). */
export async function markFilesRemoved(
  ex: Executor,
  seriesUid: string,
  purgedAt: number,
  now: number,
): Promise<void> {
  await ex
    .updateTable('series')
    .set({ files_removed_at: now })
    .where('series_instance_uid', '=', seriesUid)
    .where('purged_at', '=', purgedAt)
    .execute();
}
