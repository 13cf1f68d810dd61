/**
 * Retention: deleting stored files while their index rows (and featureset rows) stay. Policies
 * (retention.policy):
 * - none: never;
 * - nightly: at retention.nightlyAt in retention.timezone (the original's 23:59), every complete
 *   series whose jobs are all done;
 * - age: every round, the complete series completed more than maxAgeDays ago;
 * - watermark: only when the disk is above storage.highWatermarkPercent.
 * Whatever the policy (except none), a disk above the high watermark purges the oldest processed
 * series at once, until it is below: waiting for the night would fill it.
 *
 * A series is never purged while it is open or has a job that is not done (queries/retention.ts:
 * the series-complete job and whatever pipelines add). Each purge: mark in a transaction (the
 * series leaves C-FIND/C-MOVE/C-GET answers), delete the files and the folders they leave empty
 * up to the storage root, then record the removal. A crash in between is finished on the next
 * round from the journal (pendingRemovals).
 */
import { rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../store/database.js';
import {
  lockPurgedPaths,
  markFilesRemoved,
  markPurged,
  pendingRemovals,
  purgeableSeries,
  type PurgedFileCursor,
} from '../store/queries/retention.js';
import type { Logger } from '../util/log.js';
import type { DiskGuard } from './disk-guard.js';
import type { ReceiverMetrics } from './metrics.js';
import { nextDailyAt } from './schedule.js';

export type RetentionPolicy = 'none' | 'nightly' | 'age' | 'watermark';

export interface RetentionOptions {
  readonly db: Db;
  readonly root: string;
  readonly policy: RetentionPolicy;
  /** Minutes after midnight (nightly). */
  readonly nightlyAt: number;
  readonly timezone?: string | undefined;
  readonly maxAgeDays?: number | null | undefined;
  readonly disk: DiskGuard;
  readonly clock?: (() => number) | undefined;
  readonly logger?: Logger | undefined;
  readonly metrics?: ReceiverMetrics | undefined;
}

export interface PurgeReport {
  readonly series: number;
  readonly files: number;
}

export class Retention {
  private readonly clock: () => number;
  private nextNightly: number | undefined;

  constructor(private readonly options: RetentionOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** When the nightly run is next due (ms since the epoch), for status; undefined otherwise. */
  get nextNightlyAt(): number | undefined {
    return this.nextNightly;
  }

  /** One round: finish interrupted purges, then whatever the policy says is due now. */
  async runOnce(): Promise<PurgeReport> {
    const { policy } = this.options;
    const now = this.clock();
    let total = await this.finishPending();
    if (policy === 'none') return total;
    if (policy === 'nightly') {
      this.nextNightly ??= nextDailyAt(now, this.options.nightlyAt, this.options.timezone);
      if (now >= this.nextNightly) {
        this.nextNightly = nextDailyAt(now, this.options.nightlyAt, this.options.timezone);
        total = add(total, await this.purge(now, 'nightly'));
      }
    }
    if (policy === 'age' && this.options.maxAgeDays != null) {
      total = add(total, await this.purge(now - this.options.maxAgeDays * 86_400_000, 'age'));
    }
    this.options.disk.invalidate();
    if (await this.options.disk.aboveWatermark()) {
      total = add(
        total,
        await this.purge(now, 'watermark', () => this.options.disk.aboveWatermark()),
      );
    }
    return total;
  }

  /**
   * Purges complete, processed series completed at or before `cutoff`, oldest first; with
   * `more`, only while it answers true (checked between series).
   */
  async purge(cutoff: number, reason: string, more?: () => Promise<boolean>): Promise<PurgeReport> {
    const { db, logger } = this.options;
    let report: PurgeReport = { series: 0, files: 0 };
    for (;;) {
      const candidates = await purgeableSeries(db.kysely, cutoff, 100);
      if (candidates.length === 0) break;
      let progressed = false;
      for (const candidate of candidates) {
        if (more !== undefined) {
          this.options.disk.invalidate();
          if (!(await more())) return this.done(report, reason);
        }
        const now = this.clock();
        const marked = await db.transaction((tx) =>
          markPurged(tx, candidate.seriesInstanceUid, candidate.version, now),
        );
        if (!marked.purged) continue;
        progressed = true;
        const files = await this.removeFiles(candidate.seriesInstanceUid);
        await markFilesRemoved(db.kysely, candidate.seriesInstanceUid, now, this.clock());
        report = add(report, { series: 1, files });
      }
      if (!progressed || candidates.length < 100) break;
    }
    logger?.debug({ event: 'retention', reason, ...report }, 'retention round');
    return this.done(report, reason);
  }

  private done(report: PurgeReport, reason: string): PurgeReport {
    if (report.series > 0) {
      this.options.metrics?.seriesPurged.inc(report.series);
      this.options.metrics?.filesPurged.inc(report.files);
      this.options.logger?.info({ event: 'purged', reason, ...report }, 'retention purged series');
    }
    return report;
  }

  /** Completes purges a crash interrupted (their files may be partly deleted). */
  async finishPending(): Promise<PurgeReport> {
    const { db } = this.options;
    let report: PurgeReport = { series: 0, files: 0 };
    for (;;) {
      const pending = await pendingRemovals(db.kysely, 100);
      for (const p of pending) {
        const files = await this.removeFiles(p.seriesInstanceUid);
        await markFilesRemoved(db.kysely, p.seriesInstanceUid, p.purgedAt, this.clock());
        report = add(report, { series: 1, files });
      }
      if (pending.length < 100) return report;
    }
  }

  /**
   * Deletes the files of a series' purged instances (a missing one is fine), read and deleted with
   * their rows locked (lockPurgedPaths says why), then the folders they leave empty.
   */
  private async removeFiles(seriesUid: string): Promise<number> {
    const root = path.resolve(this.options.root);
    let removed = 0;
    const folders = new Set<string>();
    let after: PurgedFileCursor | undefined;
    do {
      after = await this.options.db.transaction(async (tx) => {
        const chunk = await lockPurgedPaths(tx, seriesUid, { after });
        for (const relative of chunk.paths) {
          const file = path.resolve(root, relative);
          // Index paths are ours, but never follow one out of the storage root.
          if (!file.startsWith(`${root}${path.sep}`)) continue;
          try {
            await unlink(file);
            removed++;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          }
          folders.add(path.dirname(file));
        }
        return chunk.next;
      });
    } while (after !== undefined);
    // Deepest first, each up to the root; rmdir refuses a folder that is not empty, so a folder
    // another series or a concurrent store still uses stays.
    const sorted = [...folders].sort((a, b) => b.length - a.length);
    for (const folder of sorted) {
      for (let dir = folder; dir !== root && dir.startsWith(root); dir = path.dirname(dir)) {
        try {
          await rmdir(dir);
        } catch {
          break;
        }
      }
    }
    return removed;
  }
}

function add(a: PurgeReport, b: PurgeReport): PurgeReport {
  return { series: a.series + b.series, files: a.files + b.files };
}
