import { resolve } from 'node:path';
import { directoryStore } from '../../net/services/directory-store.js';
import { DicomServer, type ServerEvent } from '../../net/services/server.js';
import { parseAllowedPeers, tlsServerOptions } from './net.js';

export interface StoreScpOptions {
  aet: string;
  port: number;
  out: string;
  host: string;
  allow?: string[];
  acceptAnyCalledAet?: boolean;
  transferSyntax?: string[];
  sopClass?: string[];
  maxAssociations: number;
  maxPdu: number;
  fsync: boolean;
  tlsKey?: string;
  tlsCert?: string;
  tlsCa?: string;
}

export async function storeScp(options: StoreScpOptions): Promise<void> {
  const directory = resolve(options.out);
  let stored = 0;
  const server = new DicomServer({
    aeTitle: options.aet,
    host: options.host,
    port: options.port,
    allowedPeers: options.allow === undefined ? undefined : parseAllowedPeers(options.allow),
    acceptAnyCalledAeTitle: options.acceptAnyCalledAet,
    transferSyntaxes: options.transferSyntax,
    abstractSyntaxes: options.sopClass,
    maxAssociations: options.maxAssociations,
    maxPduLength: options.maxPdu,
    tls: tlsServerOptions(options),
    handlers: {
      store: directoryStore({
        directory,
        fsync: options.fsync,
        onStored: () => {
          stored += 1;
        },
      }),
    },
    onEvent: (event) => log(event),
  });
  const address = await server.listen();
  process.stderr.write(
    `niffler store-scp: ${options.aet} listening on ${address.host}:${address.port}, writing to ${directory}\n`,
  );
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stderr.write(`niffler store-scp: shutting down after ${stored} objects\n`);
  await server.close();
}

/** One line per association event; AE titles and addresses only, never patient data. */
function log(event: ServerEvent): void {
  switch (event.kind) {
    case 'association-accepted':
      process.stderr.write(
        `association ${event.association.id} from ${event.association.callingAeTitle}@${event.association.remoteAddress} accepted\n`,
      );
      break;
    case 'association-rejected':
      process.stderr.write(
        `association from ${event.callingAeTitle}@${event.remoteAddress} rejected: ${event.reason}\n`,
      );
      break;
    case 'association-ended':
      process.stderr.write(`association ${event.id} ended: ${describeEnding(event.ending)}\n`);
      break;
    case 'message':
      process.stderr.write(`association ${event.id}: ${event.text}\n`);
      break;
  }
}

function describeEnding(
  ending: Extract<ServerEvent, { kind: 'association-ended' }>['ending'],
): string {
  switch (ending.kind) {
    case 'aborted':
      return `aborted (${ending.reason})`;
    case 'aborted-by-peer':
      return 'aborted by the peer';
    case 'rejected':
      return 'rejected';
    default:
      return ending.kind;
  }
}
