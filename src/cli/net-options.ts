import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions, TlsOptions } from 'node:tls';
import { InvalidArgumentError, type Command } from 'commander';
import { NegotiationError } from '../net/negotiation/index.js';
import type { SubOperations } from '../net/dimse/command.js';
import { formatStatus, statusCategory } from '../net/dimse/status.js';
import { DicomClientError } from '../net/services/client-errors.js';
import type {
  DicomClientOptions,
  ResponseStream,
  RetrieveProgress,
  RetrieveResult,
} from '../net/services/client.js';
import { InstanceFileError } from '../net/services/instance-file.js';
import type { Dataset } from '../dicom/dataset.js';
import {
  buildIdentifier,
  parseQueryKey,
  QueryKeyError,
  type QueryKey,
} from '../net/services/query-identifier.js';
import {
  defaultRoot,
  QUERY_LEVELS,
  type QueryLevel,
  type QueryRoot,
} from '../net/services/query-models.js';
import type { AllowedPeer } from '../net/services/server.js';
import { describeStatus } from '../net/services/status-text.js';
import { CliError } from './errors.js';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`'${value}' is not a TCP port (0-65535)`);
  }
  return port;
}

export interface PeerAddress {
  readonly aeTitle: string;
  readonly host: string;
  readonly port: number;
}

/** `AET@HOST:PORT`, as the CLI names a remote application entity. */
export function parsePeer(value: string): PeerAddress {
  const match = /^([^@]{1,16})@(\[[^\]]+\]|[^:@]+):(\d{1,5})$/.exec(value);
  if (match === null) throw new InvalidArgumentError(`'${value}' is not AET@HOST:PORT`);
  return {
    aeTitle: match[1]!,
    host: match[2]!.replace(/^\[|\]$/g, ''),
    port: parsePort(match[3]!),
  };
}

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
  return {
    key: readFileSync(options.tlsKey),
    cert: readFileSync(options.tlsCert),
    ...(options.tlsCa !== undefined && {
      ca: readFileSync(options.tlsCa),
      requestCert: true,
      rejectUnauthorized: true,
    }),
  };
}

// --- SCU commands (echo, send, find, move, get) ------------------------------------------------

/** The options every SCU command shares, as commander parses them. */
export interface ScuCliOptions {
  aet: string;
  maxPdu: number;
  connectTimeout: number;
  acseTimeout: number;
  dimseTimeout: number;
  tls?: boolean;
  tlsCa?: string;
  tlsKey?: string;
  tlsCert?: string;
  tlsServername?: string;
}

/** A positive integer option value. */
export function parsePositiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a number`);
  return n;
}

/** Adds our AE title, PDU size, the three timeouts (in seconds, as DCMTK's -to/-ta/-td) and TLS. */
export function addScuOptions(command: Command): Command {
  return command
    .option('--aet <title>', 'our (calling) AE title', 'NIFFLER')
    .option('--max-pdu <bytes>', 'our maximum PDU length', parsePositiveInteger, 262144)
    .option(
      '--connect-timeout <s>',
      'TCP connect and TLS handshake timeout',
      parsePositiveInteger,
      30,
    )
    .option(
      '--acse-timeout <s>',
      'timeout for association answers (A-ASSOCIATE, A-RELEASE)',
      parsePositiveInteger,
      30,
    )
    .option(
      '--dimse-timeout <s>',
      'abort when a response takes longer (C-MOVE/C-GET: between responses); 0 waits for ever',
      parsePositiveInteger,
      600,
    )
    .option('--tls', 'use TLS (the peer certificate is checked against the system CAs or --tls-ca)')
    .option(
      '--tls-ca <file>',
      'CA certificates (PEM) to trust for the peer certificate; implies --tls',
    )
    .option('--tls-key <file>', 'our private key (PEM) for mutual TLS; implies --tls')
    .option('--tls-cert <file>', 'our certificate (PEM) for mutual TLS; implies --tls')
    .option(
      '--tls-servername <name>',
      'the name the peer certificate must carry (default: the host)',
    );
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

// --- Query options (find, move, get) ----------------------------------------------------------

/** The options of the commands that send an identifier. */
export interface QueryCliOptions {
  from: PeerAddress;
  level: QueryLevel;
  root?: QueryRoot;
  key: string[];
}

export function parseLevel(value: string): QueryLevel {
  const level = value.toUpperCase();
  if (!(QUERY_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidArgumentError(`'${value}' is not one of ${QUERY_LEVELS.join(', ')}`);
  }
  return level as QueryLevel;
}

export function parseRoot(value: string): QueryRoot {
  const root = value.toLowerCase();
  if (root !== 'patient' && root !== 'study') {
    throw new InvalidArgumentError(`'${value}' is not patient or study`);
  }
  return root;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** --from, --level, -k (repeatable) and --root. */
export function addQueryOptions(command: Command): Command {
  return command
    .requiredOption('--from <AET@HOST:PORT>', 'the peer to query', parsePeer)
    .requiredOption(
      '--level <level>',
      'QueryRetrieveLevel: PATIENT, STUDY, SERIES or IMAGE',
      parseLevel,
    )
    .option(
      '-k, --key <key>',
      'query key: Keyword=Value or GGGG,EEEE=Value; Keyword alone asks for it back (repeatable)',
      collect,
      [],
    )
    .option(
      '--root <root>',
      'information model: patient or study (default: study, patient for PATIENT)',
      parseRoot,
    );
}

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

/** `AET@host:port` */
export function formatPeer(peer: PeerAddress): string {
  const host = peer.host.includes(':') ? `[${peer.host}]` : peer.host;
  return `${peer.aeTitle}@${host}:${peer.port}`;
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
