/**
 * Series completion, driven from the database: each round asks which open series are due (quiet
 * for quietSeconds, or holding their expected count) and completes each in its own transaction.
 * completeSeries is a conditional UPDATE, so when several receivers share the database each
 * (series, version) fires exactly once, whoever gets there first; its series-complete job is
 * written in the same transaction. Nothing is held in memory: a restart loses nothing and the
 * next round picks up whatever became due while the process was down.
 */
import type { Db } from '../store/database.js';
import { completeSeries, dueSeries } from '../store/queries/completion.js';

export interface CompletionOptions {
  readonly db: Db;
  readonly quietSeconds: number;
  readonly useExpectedCounts: boolean;
  /** Attempts of the series-complete jobs (jobs.maxAttempts). */
  readonly maxAttempts: number;
  readonly clock?: (() => number) | undefined;
  /** Told of each completion this process fired. */
  readonly onFired?:
    ((fired: { seriesInstanceUid: string; version: number; jobId: number }) => void) | undefined;
}

export class CompletionTracker {
  private readonly clock: () => number;

  constructor(private readonly options: CompletionOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** How often to look: a quarter of the quiet period, between 100 ms and 5 s. */
  get intervalMs(): number {
    return Math.min(5000, Math.max(100, (this.options.quietSeconds * 1000) / 4));
  }

  /** One round; returns how many series this call completed. */
  async runOnce(): Promise<number> {
    const { db, quietSeconds, useExpectedCounts, maxAttempts } = this.options;
    let fired = 0;
    for (;;) {
      const now = this.clock();
      const due = await dueSeries(db.kysely, now, quietSeconds, 100, {
        expectedCounts: useExpectedCounts,
      });
      for (const series of due) {
        const result = await db.transaction((tx) =>
          completeSeries(tx, series.seriesInstanceUid, series.version, now, {
            quietBefore: now - quietSeconds * 1000,
            expectedCounts: useExpectedCounts,
            maxAttempts,
          }),
        );
        if (result.fired && result.jobId !== undefined) {
          fired++;
          this.options.onFired?.({
            seriesInstanceUid: series.seriesInstanceUid,
            version: series.version,
            jobId: result.jobId,
          });
        }
      }
      if (due.length < 100) return fired;
    }
  }
}
