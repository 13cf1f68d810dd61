/**
 * Group commit: the index transactions of objects that arrive together share one database
 * transaction, so one commit (one fsync of the SQLite WAL, one PostgreSQL commit) acknowledges
 * several stores. While a batch is being committed, new items queue; when it finishes, all the
 * queued items (up to maxBatch) form the next batch. A lone item is committed at once: there is
 * no waiting for company, so latency only grows when there is a queue anyway.
 *
 * If a batch fails, each of its items is retried alone, so one bad item (or a deadlock between
 * two receivers' batches on PostgreSQL) fails only itself.
 */
export class GroupCommitter<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(
    /** Commits items in one transaction; returns one result per item, in order. */
    private readonly commit: (items: readonly T[]) => Promise<R[]>,
    private readonly maxBatch = 32,
    private readonly onBatch?: (size: number) => void,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.onBatch?.(batch.length);
        try {
          const results = await this.commit(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(results[i]!));
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error);
            continue;
          }
          for (const b of batch) {
            try {
              const [result] = await this.commit([b.item]);
              b.resolve(result!);
            } catch (single) {
              b.reject(single);
            }
          }
        }
      }
    } finally {
      this.running = false;
    }
  }
}
