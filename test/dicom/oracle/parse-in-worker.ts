// Parses files in a worker thread with a time limit and a heap limit: a hang or an unbounded
// allocation on a malformed file ends in a failed test instead of a stuck or killed test run.
import { Worker } from 'node:worker_threads';

export interface ParseRequest {
  readonly id: number;
  readonly path: string;
}

export type ParseOutcome =
  | {
      readonly kind: 'parsed';
      readonly ms: number;
      readonly elements: number;
      readonly warnings: number;
    }
  | {
      readonly kind: 'dicom-error';
      readonly ms: number;
      readonly code: string;
      readonly message: string;
    }
  | { readonly kind: 'crash'; readonly ms: number; readonly message: string }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'worker-died'; readonly ms: number; readonly message: string };

interface ParseReply {
  readonly id: number;
  readonly outcome: ParseOutcome;
}

const WORKER_URL = new URL('./parse-worker.ts', import.meta.url).href;
const TSX_API_URL = import.meta.resolve('tsx/esm/api');

/**
 * The worker runs TypeScript: an eval'd bootstrap registers tsx in the worker (the parent's
 * `--import tsx` does not reach worker threads in Node 20) and then imports parse-worker.ts.
 */
const BOOTSTRAP = `import(${JSON.stringify(TSX_API_URL)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL)}); });`;

export class ParseWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly heapLimitMb: number;

  constructor(heapLimitMb: number) {
    this.heapLimitMb = heapLimitMb;
  }

  private start(): Worker {
    this.worker ??= new Worker(BOOTSTRAP, {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: this.heapLimitMb },
    });
    return this.worker;
  }

  /** Parses `path` in the worker; past `timeoutMs` the worker is ended (and restarted next time). */
  parse(path: string, timeoutMs: number): Promise<ParseOutcome> {
    const worker = this.start();
    const id = this.nextId++;
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    return new Promise<ParseOutcome>((resolve) => {
      const finish = (outcome: ParseOutcome, stop: boolean): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (stop) {
          this.worker = undefined;
          void worker.terminate();
        }
        resolve(outcome);
      };
      const onMessage = (reply: ParseReply): void => {
        if (reply.id === id) finish(reply.outcome, false);
      };
      const onError = (error: Error): void => {
        finish({ kind: 'worker-died', ms: elapsed(), message: String(error) }, true);
      };
      const onExit = (code: number): void => {
        finish({ kind: 'worker-died', ms: elapsed(), message: `exit code ${code}` }, true);
      };
      // The time bound includes the worker's start-up (tsx compiles the parser on first use).
      const timer = setTimeout(() => finish({ kind: 'timeout', ms: elapsed() }, true), timeoutMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, path } satisfies ParseRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}
