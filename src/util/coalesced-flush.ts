/**
 * Group commit of a flush (an fsync, an fdatasync): callers that arrive while a flush runs share
 * the next one, which starts once the running one ends, since the running one may have started
 * before their writes. Callers that arrive before that next flush starts join it. So each caller
 * waits for a flush that started after its call, and a burst of callers costs two flushes.
 */
export class CoalescedFlush {
  private current: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /** `onIdle`: told each time a flush ends with none waiting behind it. */
  constructor(
    private readonly flush: () => Promise<void>,
    private readonly onIdle?: () => void,
  ) {}

  /** No flush running or waiting to start. */
  get idle(): boolean {
    return this.current === undefined && this.queued === undefined;
  }

  /** Resolves when the flush running now (if any) has ended, whatever its outcome. */
  async settled(): Promise<void> {
    await this.current?.catch(() => undefined);
  }

  /** Resolves once a flush that started after this call has completed (rejects with its error). */
  request(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const start = async (): Promise<void> => {
      await this.current?.catch(() => undefined);
      this.queued = undefined;
      const run = this.flush();
      this.current = run;
      try {
        await run;
      } finally {
        if (this.current === run) this.current = undefined;
        if (this.idle) this.onIdle?.();
      }
    };
    this.queued = start();
    return this.queued;
  }
}
