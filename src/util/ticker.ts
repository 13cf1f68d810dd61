/**
 * Runs an async task every `intervalMs`, never two at once: the next run starts `intervalMs`
 * after the previous one ended. `stop()` waits for a run in progress. Errors go to `onError`
 * and the ticking goes on (a database that is briefly away must not stop completion or
 * retention for good).
 */
export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Runs the task now (after a run in progress), outside the schedule. */
  async runNow(): Promise<void> {
    await this.running;
    await this.once();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.once().then(() => this.schedule(this.intervalMs));
    }, ms);
  }

  private async once(): Promise<void> {
    const run = (async () => {
      try {
        await this.task();
      } catch (error) {
        this.onError(error);
      }
    })();
    this.running = run;
    await run;
    if (this.running === run) this.running = undefined;
  }
}
