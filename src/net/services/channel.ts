/**
 * A single-consumer queue between a producer that pushes (the socket side) and a consumer that
 * iterates with `for await`. `push` answers with a promise while the queue is full, so the
 * producer can pause the socket: memory stays bounded however many results a peer sends.
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly highWaterMark: number;
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: Error) => void }[] = [];
  private drained: (() => void)[] = [];
  private closed = false;
  private failure: { error: Error } | undefined;
  private iterating = false;
  private readonly onReturn: () => void;

  /** `onReturn` runs when the consumer stops early (break, return, throw in the loop body). */
  constructor(options: { highWaterMark?: number; onReturn?: () => void } = {}) {
    this.highWaterMark = options.highWaterMark ?? 64;
    this.onReturn = options.onReturn ?? (() => undefined);
  }

  /** Adds an item; resolves once the consumer has taken enough for the queue not to be full. */
  push(item: T): Promise<void> | undefined {
    if (this.closed) return undefined;
    const waiter = this.waiting.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: item, done: false });
      return undefined;
    }
    this.items.push(item);
    if (this.items.length < this.highWaterMark) return undefined;
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** No more items; with `error`, the consumer's next read throws it (after the queued items). */
  close(error?: { error: Error }): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = error;
    for (const waiter of this.waiting.splice(0)) {
      if (error !== undefined) waiter.reject(error.error);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterating) throw new Error('this result can be iterated only once');
    this.iterating = true;
    return {
      next: () => this.next(),
      return: (): Promise<IteratorResult<T>> => {
        this.items.length = 0;
        this.releaseProducer();
        if (!this.closed) this.onReturn();
        this.closed = true;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const value = this.items.shift()!;
      if (this.items.length < this.highWaterMark) this.releaseProducer();
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) {
      if (this.failure !== undefined) {
        const { error } = this.failure;
        this.failure = undefined;
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private releaseProducer(): void {
    for (const resolve of this.drained.splice(0)) resolve();
  }
}
