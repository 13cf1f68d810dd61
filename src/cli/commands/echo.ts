import type { Command } from 'commander';
import { addScuOptions, parsePeer, type PeerAddress, type ScuCliOptions } from '../net-options.js';

export function registerEcho(root: Command): void {
  addScuOptions(
    root
      .command('echo')
      .description('check that a DICOM peer answers (C-ECHO), like DCMTK echoscu')
      .argument('<peer>', 'the peer, AET@HOST:PORT', parsePeer),
  ).action(async (peer: PeerAddress, options: ScuCliOptions) => {
    const { echo } = await import('../actions/echo.js');
    await echo(peer, options);
  });
}
