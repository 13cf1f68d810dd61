import { DicomClient } from '../../net/services/client.js';
import { queryContext } from '../../net/services/query-models.js';
import type { QueryCliOptions, ScuCliOptions } from '../net-options.js';
import { clientOptions, followRetrieval, queryFromOptions, scuFailure } from './net.js';

export type MoveCliOptions = ScuCliOptions & QueryCliOptions & { dest: string };

export async function move(options: MoveCliOptions): Promise<void> {
  try {
    const { root, level, identifier } = queryFromOptions(options);
    const client = await DicomClient.connect({
      ...clientOptions(options.from, options),
      contexts: [queryContext(root, 'move')],
    });
    try {
      await followRetrieval(
        'move',
        options.from,
        client.move({ root, level }, identifier, options.dest),
      );
    } finally {
      await client.release().catch(() => client.abort());
    }
  } catch (error) {
    throw scuFailure('move', error);
  }
}
