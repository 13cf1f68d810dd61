/**
 * What a worker thread does with a task, by export kind. Kept apart from worker.ts so the same
 * handler runs in the main thread when there are no workers (`--workers 0`, and tests).
 */
import { loadCodecs } from '../io/codecs.js';
import {
  exportNiftiSeries,
  type NiftiSeriesOptions,
  type NiftiSeriesTask,
} from './nifti/series.js';
import { exportPngFile, type PngFileOptions } from './png-file.js';
import { pseudonymizer } from './pseudonym.js';

export type WorkerSetup =
  | { readonly kind: 'png'; readonly key: string; readonly options: PngFileOptions }
  | { readonly kind: 'nifti'; readonly key: string; readonly options: NiftiSeriesOptions };

export type TaskHandler = (task: unknown) => Promise<unknown>;

export async function createTaskHandler(setup: WorkerSetup): Promise<TaskHandler> {
  const pseudonym = pseudonymizer(setup.key);
  const codecs = await loadCodecs();
  if (setup.kind === 'png') {
    const { options } = setup;
    return (task) => exportPngFile((task as { path: string }).path, options, { codecs, pseudonym });
  }
  const { options } = setup;
  return (task) => exportNiftiSeries(task as NiftiSeriesTask, options, { codecs, pseudonym });
}
