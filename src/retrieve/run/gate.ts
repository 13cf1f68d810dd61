/**
 * What a PACS allows: associations at once, requests per minute, and the daily window. Every
 * C-FIND, C-MOVE and C-GET passes the gate first; requests in flight when the window closes
 * finish, the next ones wait for it to open again. Time comes from the injected clock.
 */
import type { TimeWindow } from '../../config/values.js';
import type { RunClock } from './clock.js';
import { msUntilWindow } from './window.js';

export interface GateOptions {
  readonly maxConcurrent: number;
  /** Requests per minute at most; undefined = no limit. */
  readonly maxPerMinute?: number | undefined;
  readonly window?: TimeWindow | undefined;
  /** IANA zone of the window; undefined = the system's. */
  readonly timeZone?: string | undefined;
  readonly clock: RunClock;
  /** Told when a request waits for the window (for the progress display), with the wait. */
  readonly onWait?: ((reason: 'window' | 'rate', ms: number) => void) | undefined;
}

export class PacsGate {
  private readonly options: GateOptions;
  private active = 0;
  private readonly queue: (() => void)[] = [];
  /** Start times of the requests of the last minute, oldest first. */
  private readonly recent: number[] = [];

  constructor(options: GateOptions) {
    this.options = options;
  }

  /**
   * Waits for a slot, the window and the rate, then runs `fn` holding the slot. Rejects with
   * `signal.reason` when the signal aborts while waiting.
   */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      await this.waitForWindow(signal);
      await this.waitForRate(signal);
      this.recent.push(this.options.clock.now());
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Resolves when the window is open (at once without a window). */
  async waitForWindow(signal?: AbortSignal): Promise<void> {
    const { window, clock, timeZone } = this.options;
    if (window === undefined) return;
    for (;;) {
      signal?.throwIfAborted();
      const wait = msUntilWindow(window, clock.now(), timeZone);
      if (wait <= 0) return;
      this.options.onWait?.('window', wait);
      await clock.sleep(wait, signal);
    }
  }

  private async waitForRate(signal?: AbortSignal): Promise<void> {
    const { maxPerMinute, clock } = this.options;
    if (maxPerMinute === undefined) return;
    for (;;) {
      signal?.throwIfAborted();
      const now = clock.now();
      while (this.recent.length > 0 && this.recent[0]! <= now - 60_000) this.recent.shift();
      if (this.recent.length < maxPerMinute) return;
      const wait = this.recent[0]! + 60_000 - now;
      this.options.onWait?.('rate', wait);
      await clock.sleep(wait, signal);
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.options.maxConcurrent) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      const onAbort = (): void => {
        const at = this.queue.indexOf(grant);
        if (at >= 0) this.queue.splice(at, 1);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(grant);
    });
  }

  private release(): void {
    this.active--;
    this.queue.shift()?.();
  }
}
