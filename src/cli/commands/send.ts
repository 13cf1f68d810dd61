import type { Command } from 'commander';
import { addScuOptions, parsePeer, type PeerAddress, type ScuCliOptions } from '../net-options.js';

export function registerSend(root: Command): void {
  addScuOptions(
    root
      .command('send')
      .description(
        'send DICOM files (C-STORE) in their own transfer syntax, never transcoded; folders are walked recursively',
      )
      .argument('<paths...>', 'files and folders')
      .requiredOption('--to <AET@HOST:PORT>', 'the peer to send to', parsePeer),
  ).action(async (paths: string[], options: ScuCliOptions & { to: PeerAddress }) => {
    const { send } = await import('../actions/send.js');
    process.exitCode = await send(paths, options);
  });
}
