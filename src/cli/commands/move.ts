import type { Command } from 'commander';
import { DicomClient } from '../../net/services/client.js';
import { queryContext } from '../../net/services/query-models.js';
import {
  addQueryOptions,
  addScuOptions,
  clientOptions,
  followRetrieval,
  queryFromOptions,
  scuFailure,
  type QueryCliOptions,
  type ScuCliOptions,
} from '../net-options.js';

type MoveCliOptions = ScuCliOptions & QueryCliOptions & { dest: string };

export function registerMove(root: Command): void {
  addScuOptions(
    addQueryOptions(
      root
        .command('move')
        .description(
          'ask a peer to send the matching objects to an AE title it knows (C-MOVE); Ctrl-C cancels',
        ),
    ).requiredOption('--dest <AET>', 'the move destination (an AE title configured at the peer)'),
  ).action(async (options: MoveCliOptions) => {
    await move(options);
  });
}

async function move(options: MoveCliOptions): Promise<void> {
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
