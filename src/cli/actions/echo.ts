import { formatStatus } from '../../net/dimse/status.js';
import { DicomClient } from '../../net/services/client.js';
import { verificationContext } from '../../net/services/query-models.js';
import { describeStatus } from '../../net/services/status-text.js';
import type { PeerAddress, ScuCliOptions } from '../net-options.js';
import { clientOptions, formatPeer, scuFailure } from './net.js';

export async function echo(peer: PeerAddress, options: ScuCliOptions): Promise<void> {
  const started = performance.now();
  try {
    const client = await DicomClient.connect({
      ...clientOptions(peer, options),
      contexts: [verificationContext()],
    });
    try {
      const { status } = await client.echo();
      const ms = Math.round(performance.now() - started);
      process.stdout.write(
        `C-ECHO ${formatPeer(peer)}: ${describeStatus(status, 'C-ECHO')} (${formatStatus(status)}) in ${ms} ms\n`,
      );
    } finally {
      await client.release().catch(() => client.abort());
    }
  } catch (error) {
    throw scuFailure('echo', error);
  }
}
