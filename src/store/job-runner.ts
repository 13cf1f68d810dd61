/**
 * Runs the jobs of one queue: claims due jobs (FOR UPDATE SKIP LOCKED on PostgreSQL, see
 * queries/jobs.ts), runs the handler of each job's kind, and records the outcome: done, failed
 * with a backoff (retried later), or dead (out of attempts, or a permanent JobError). Jobs whose
 * worker vanished (lock older than lockTimeoutMs) are put back first. `runOnce` does one round
 * and is what tests call, with a fake clock; `start` repeats it, polling while the queue is empty.
 */
import type { Db } from './database.js';
import {
  claim,
  complete,
  fail,
  requeueStale,
  type BackoffOptions,
  type Job,
} from './queries/jobs.js';

/** Thrown by a handler for a failure no retry can fix: the job goes to dead at once. */
export class JobError extends Error {
  readonly permanent: boolean;
  constructor(message: string, options: { permanent?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JobError';
    this.permanent = options.permanent ?? false;
  }
}

export type JobHandler = (job: Job, signal: AbortSignal) => Promise<void>;

export type JobRunnerEvent =
  | { readonly kind: 'done'; readonly job: Job; readonly ms: number }
  | {
      readonly kind: 'failed' | 'dead';
      readonly job: Job;
      readonly error: string;
    }
  | { readonly kind: 'requeued'; readonly requeued: number; readonly dead: number }
  | { readonly kind: 'error'; readonly error: unknown };

export interface JobRunnerOptions {
  readonly db: Db;
  readonly queue: string;
  /** Names this worker in locked_by: unique per process (host, pid...). */
  readonly workerId: string;
  /** The handler of each job kind; a job of another kind is dead at once. */
  readonly handlers: Readonly<Record<string, JobHandler>>;
  readonly backoff?: BackoffOptions | undefined;
  /** Jobs run at once. Default 1. */
  readonly concurrency?: number | undefined;
  /** A running job locked longer than this is presumed lost and put back. Default 10 min. */
  readonly lockTimeoutMs?: number | undefined;
  /** Wait between rounds that found nothing. Default 1000 ms. */
  readonly pollMs?: number | undefined;
  readonly clock?: (() => number) | undefined;
  readonly onEvent?: ((event: JobRunnerEvent) => void) | undefined;
}

export class JobRunner {
  private readonly options: JobRunnerOptions;
  private readonly clock: () => number;
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(options: JobRunnerOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
  }

  /** One round: requeue lost jobs, claim up to `concurrency` due jobs, run them. Returns how many ran. */
  async runOnce(): Promise<number> {
    const { db, queue, workerId } = this.options;
    const now = this.clock();
    const stale = await requeueStale(db.kysely, now - (this.options.lockTimeoutMs ?? 600_000), now);
    if (stale.requeued + stale.dead > 0) this.options.onEvent?.({ kind: 'requeued', ...stale });
    const jobs = await claim(db, queue, workerId, this.options.concurrency ?? 1, now);
    await Promise.all(jobs.map((job) => this.run(job)));
    return jobs.length;
  }

  /** Runs rounds until stop(): at once while there is work, every pollMs otherwise. */
  start(): void {
    if (this.loop !== undefined) return;
    const signal = this.controller.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        let ran = 0;
        try {
          ran = await this.runOnce();
        } catch (error) {
          this.options.onEvent?.({ kind: 'error', error });
        }
        if (ran === 0 && !signal.aborted) await this.pause(this.options.pollMs ?? 1000);
      }
    })();
  }

  /** Asks a polling runner to look now (a job was just enqueued). */
  poke(): void {
    this.wake?.();
  }

  /** Stops after the jobs in hand finish (their handlers see the signal abort). */
  async stop(): Promise<void> {
    this.controller.abort();
    this.wake?.();
    await this.loop;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(job: Job): Promise<void> {
    const { db, workerId } = this.options;
    const started = this.clock();
    const handler = this.options.handlers[job.kind];
    try {
      if (handler === undefined) {
        throw new JobError(`no handler for jobs of kind ${job.kind}`, { permanent: true });
      }
      await handler(job, this.controller.signal);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const state = await fail(db.kysely, job.id, workerId, message, this.clock(), {
        ...this.options.backoff,
        permanent: error instanceof JobError && error.permanent,
      });
      if (state !== undefined) this.options.onEvent?.({ kind: state, job, error: message });
      return;
    }
    if (await complete(db.kysely, job.id, workerId, this.clock())) {
      this.options.onEvent?.({ kind: 'done', job, ms: this.clock() - started });
    }
  }
}
