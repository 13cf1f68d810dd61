/**
 * The worker thread of an export: loads the codecs once, then handles one message per task and
 * answers with its result. What the task is comes from workerData (tasks.ts). Started by pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { createTaskHandler, type WorkerSetup } from './tasks.js';

if (parentPort === null) throw new Error('worker.ts runs only as a worker thread');
const port = parentPort;
// Each worker is one of N: libvips threads of its own would only compete for the same cores.
sharp.concurrency(1);
const handle = await createTaskHandler(workerData as WorkerSetup);

port.on('message', (message: { id: number; task: unknown } | 'close') => {
  if (message === 'close') {
    port.close();
    return;
  }
  void handle(message.task).then(
    (result) => port.postMessage({ id: message.id, result }),
    (error: unknown) =>
      port.postMessage({
        id: message.id,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
});
port.postMessage('ready');
