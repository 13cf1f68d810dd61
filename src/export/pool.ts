/**
 * A pool of worker threads that run export tasks (worker.ts), a few in flight per worker so a
 * worker decodes the next file while sharp encodes the last one on the libuv pool. A worker that
 * dies (a crash in a codec, out of memory) fails only its own tasks, with the reason, and is
 * replaced: one bad file never stops a run of a million.
 */
import { Worker } from 'node:worker_threads';
// sharp must be loaded by the main thread before any worker loads it: on glibc, a worker that
// exits would otherwise unload libvips under the others (sharp issue 2263).
import 'sharp';
import { ExportError } from './errors.js';
import type { WorkerSetup } from './tasks.js';

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  readonly pending: Map<number, Pending>;
}

/**
 * How to start a worker. Built, the worker is worker.js. Run from source (tests, benchmarks under
 * tsx) it is worker.ts, and a worker thread does not get the parent's tsx loader (not even with
 * `--import tsx` in its execArgv under the test runner): a two-line bootstrap registers tsx in
 * the worker first. tsx is a dev dependency, present whenever the sources run. The path goes
 * through ../export/ so that it holds from dist/export/ and from the CLI bundle in dist/bundle/
 * (scripts/bundle.ts), which runs the worker from tsc's dist/export/.
 */
function newWorker(workerData: WorkerSetup): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('../export/worker.js', import.meta.url), { workerData });
  }
  const source = new URL('../export/worker.ts', import.meta.url).href;
  // A rejection here is an uncaught error in the worker: the pool sees its 'error' event.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;
  /** Set when a worker failed before it was ready: every worker would (codecs missing...). */
  private broken: Error | undefined;

  constructor(
    readonly size: number,
    private readonly setup: WorkerSetup,
    readonly perWorker = 2,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.start());
  }

  /** How many tasks may be in flight at once. */
  get capacity(): number {
    return this.size * this.perWorker;
  }

  private start(): Slot {
    const worker = newWorker(this.setup);
    const pending = new Map<number, Pending>();
    let markReady: () => void = () => {};
    let markFailed: (error: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => {});
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const slot: Slot = { worker, ready, exited, pending };
    let isReady = false;
    worker.on('message', (message: 'ready' | { id: number; result?: unknown; error?: string }) => {
      if (message === 'ready') {
        isReady = true;
        markReady();
        return;
      }
      const task = pending.get(message.id);
      if (task === undefined) return;
      pending.delete(message.id);
      if (message.error !== undefined) task.reject(new ExportError('WORKER_FAILED', message.error));
      else task.resolve(message.result);
    });
    const fail = (error: Error): void => {
      markFailed(error);
      for (const task of pending.values()) task.reject(error);
      pending.clear();
      if (!isReady) this.broken ??= error;
      if (!this.closed && this.broken === undefined) {
        const index = this.slots.indexOf(slot);
        if (index >= 0) this.slots[index] = this.start();
      }
    };
    worker.on('error', (error) =>
      fail(
        new ExportError('WORKER_FAILED', `worker thread failed: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    worker.on('exit', (code) => {
      if (!this.closed || pending.size > 0) {
        fail(new ExportError('WORKER_FAILED', `worker thread exited with code ${code}`));
      }
    });
    return slot;
  }

  /** Runs one task on the least busy worker. Rejects with WORKER_FAILED if its worker dies. */
  async run(task: unknown): Promise<unknown> {
    if (this.closed) throw new ExportError('WORKER_FAILED', 'the worker pool is closed');
    if (this.broken !== undefined) throw this.broken;
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
    });
    try {
      await slot.ready;
    } catch (error) {
      result.catch(() => {});
      throw error;
    }
    slot.worker.postMessage({ id, task });
    return result;
  }

  /** Lets every worker finish and exit (never terminate(): sharp may be writing). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.worker.postMessage('close');
        await slot.exited;
      }),
    );
  }
}
