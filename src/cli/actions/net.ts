// What the network commands' actions share: client and server options from the parsed flags,
// the one-line failure, the identifier of a query command and following a C-MOVE or C-GET.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions, TlsOptions } from 'node:tls';
import { InvalidArgumentError } from 'commander';
import type { Dataset } from '../../dicom/dataset.js';
import type { SubOperations } from '../../net/dimse/command.js';
import { formatStatus, statusCategory } from '../../net/dimse/status.js';
import { NegotiationError } from '../../net/negotiation/index.js';
import { DicomClientError } from '../../net/services/client-errors.js';
import type {
  DicomClientOptions,
  ResponseStream,
  RetrieveProgress,
  RetrieveResult,
} from '../../net/services/client.js';
import { InstanceFileError } from '../../net/services/instance-file.js';
import {
  buildIdentifier,
  parseQueryKey,
  QueryKeyError,
  type QueryKey,
} from '../../net/services/query-identifier.js';
import { defaultRoot, type QueryLevel, type QueryRoot } from '../../net/services/query-levels.js';
import { serverTlsFromFiles, type AllowedPeer } from '../../net/services/server.js';
import { describeStatus } from '../../net/services/status-text.js';
import { CliError } from '../errors.js';
import type { PeerAddress, QueryCliOptions, ScuCliOptions } from '../net-options.js';

// --- SCP commands (store-scp) -----------------------------------------------------------------

/** `AET` or `AET@HOST` entries of an allow-list. */
export function parseAllowedPeers(values: readonly string[]): AllowedPeer[] {
  return values.map((value) => {
    const at = value.indexOf('@');
    return at < 0 ? { aeTitle: value } : { aeTitle: value.slice(0, at), host: value.slice(at + 1) };
  });
}

export function tlsServerOptions(options: {
  tlsKey?: string | undefined;
  tlsCert?: string | undefined;
  tlsCa?: string | undefined;
}): TlsOptions | undefined {
  if (options.tlsKey === undefined && options.tlsCert === undefined) return undefined;
  if (options.tlsKey === undefined || options.tlsCert === undefined) {
    throw new InvalidArgumentError('TLS needs both --tls-key and --tls-cert');
  }
  return serverTlsFromFiles({
    keyFile: options.tlsKey,
    certFile: options.tlsCert,
    caFile: options.tlsCa,
  });
}

// --- SCU commands (echo, send, find, move, get) ------------------------------------------------

/** `AET@host:port` */
export function formatPeer(peer: PeerAddress): string {
  const host = peer.host.includes(':') ? `[${peer.host}]` : peer.host;
  return `${peer.aeTitle}@${host}:${peer.port}`;
}

/** node:tls client options from the CLI flags; undefined without TLS. */
export function tlsClientOptions(options: {
  tls?: boolean | undefined;
  tlsCa?: string | undefined;
  tlsKey?: string | undefined;
  tlsCert?: string | undefined;
  tlsServername?: string | undefined;
}): TlsConnectionOptions | undefined {
  const wanted =
    options.tls === true ||
    options.tlsCa !== undefined ||
    options.tlsKey !== undefined ||
    options.tlsCert !== undefined;
  if (!wanted) return undefined;
  if ((options.tlsKey === undefined) !== (options.tlsCert === undefined)) {
    throw new InvalidArgumentError('a client certificate needs both --tls-key and --tls-cert');
  }
  return {
    ...(options.tlsCa !== undefined && { ca: readFileSync(options.tlsCa) }),
    ...(options.tlsKey !== undefined && { key: readFileSync(options.tlsKey) }),
    ...(options.tlsCert !== undefined && { cert: readFileSync(options.tlsCert) }),
    ...(options.tlsServername !== undefined && { servername: options.tlsServername }),
  };
}

/** Connection options for DicomClient from a peer and the shared flags (contexts added by the caller). */
export function clientOptions(
  peer: PeerAddress,
  options: ScuCliOptions,
): Omit<DicomClientOptions, 'contexts' | 'roles'> {
  return {
    host: peer.host,
    port: peer.port,
    callingAeTitle: options.aet,
    calledAeTitle: peer.aeTitle,
    maxPduLength: options.maxPdu,
    tls: tlsClientOptions(options),
    connectTimeoutMs: options.connectTimeout * 1000,
    associationTimeoutMs: options.acseTimeout * 1000,
    dimseTimeoutMs: options.dimseTimeout * 1000,
  };
}

/**
 * The one line a failed SCU command prints: what failed, naming the peer and the reason (the
 * status for a DIMSE failure). Errors that are not ours are rethrown (a bug: stack trace).
 */
export function scuFailure(command: string, error: unknown): CliError {
  if (
    error instanceof DicomClientError ||
    error instanceof NegotiationError ||
    error instanceof InstanceFileError ||
    error instanceof QueryKeyError ||
    error instanceof InvalidArgumentError
  ) {
    return new CliError(`${command}: ${error.message}`, 1);
  }
  if (error instanceof CliError) return error;
  throw error;
}

// --- Query commands (find, move, get) --------------------------------------------------------

/** The model, level and identifier of a query command. */
export function queryFromOptions(options: QueryCliOptions): {
  root: QueryRoot;
  level: QueryLevel;
  keys: QueryKey[];
  identifier: Dataset;
} {
  const root = options.root ?? defaultRoot(options.level);
  if (root === 'study' && options.level === 'PATIENT') {
    throw new InvalidArgumentError('the Study Root model has no PATIENT level: use --root patient');
  }
  const keys = options.key.map(parseQueryKey);
  return { root, level: options.level, keys, identifier: buildIdentifier(keys, options.level) };
}

// --- Retrievals (move, get) -----------------------------------------------------------------

/**
 * Follows a C-MOVE or C-GET: progress lines on stderr, C-CANCEL on the first Ctrl-C (a second
 * one exits), then the summary on stdout. Throws a CliError (exit 1) naming the peer and the
 * status when the retrieval failed or any sub-operation failed.
 */
export async function followRetrieval(
  command: 'move' | 'get',
  peer: PeerAddress,
  operation: ResponseStream<RetrieveProgress, RetrieveResult>,
): Promise<void> {
  let cancelled = false;
  const onSignal = (): void => {
    if (cancelled) process.exit(130);
    cancelled = true;
    process.stderr.write(`niffler ${command}: cancelling (C-CANCEL); Ctrl-C again to quit\n`);
    void operation.cancel().catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  try {
    for await (const progress of operation) {
      process.stderr.write(`niffler ${command}: ${counts(progress)}\n`);
    }
    const result = await operation.done;
    const status = `${describeStatus(result.status, command === 'move' ? 'C-MOVE' : 'C-GET')} (${formatStatus(result.status)})`;
    process.stdout.write(`${command} from ${formatPeer(peer)}: ${status}, ${counts(result)}\n`);
    const failed = result.failed ?? 0;
    if (failed > 0 || statusCategory(result.status) === 'cancel') {
      const uids = result.failedSopInstanceUids ?? [];
      throw new CliError(
        `${command}: ${formatPeer(peer)}: ` +
          (failed > 0 ? `${failed} sub-operation${failed === 1 ? '' : 's'} failed` : 'cancelled') +
          `, status ${formatStatus(result.status)} (${describeStatus(result.status, command === 'move' ? 'C-MOVE' : 'C-GET')})` +
          (uids.length > 0 ? `; failed: ${uids.join(', ')}` : ''),
        1,
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function counts(progress: SubOperations): string {
  const parts = [
    `${progress.completed ?? 0} completed`,
    `${progress.failed ?? 0} failed`,
    `${progress.warning ?? 0} warning`,
  ];
  if (progress.remaining !== undefined) parts.unshift(`${progress.remaining} remaining`);
  return parts.join(', ');
}
