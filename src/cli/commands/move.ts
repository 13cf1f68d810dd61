import type { Command } from 'commander';
import { addQueryOptions, addScuOptions } from '../net-options.js';
import type { MoveCliOptions } from '../actions/move.js';

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
    const { move } = await import('../actions/move.js');
    await move(options);
  });
}
