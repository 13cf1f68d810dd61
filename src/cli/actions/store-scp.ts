import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolve } from 'node:path';
import { directoryStore } from '../../net/services/directory-store.js';
import { CliError } from '../errors.js';
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
  /** Processes sharing the port (node:cluster); 1 serves every association in this process. */
  workers: number;
  tlsKey?: string;
  tlsCert?: string;
  tlsCa?: string;
}

/** A worker's report to the primary when it has stopped. */
interface StoppedMessage {
  readonly kind: 'stopped';
  readonly stored: number;
}

/** The primary's request that a worker stop (signals go to the primary alone). */
const SHUTDOWN = 'shutdown';

export async function storeScp(options: StoreScpOptions): Promise<void> {
  if (options.workers > 1 && cluster.isPrimary) {
    await primary(options);
    return;
  }
  const worker = cluster.isWorker ? cluster.worker : undefined;
  if (worker === undefined) {
    await serve(options, undefined);
    return;
  }
  try {
    await serve(options, worker);
  } finally {
    // The channel to the primary keeps a worker alive: it goes, however serving ended.
    if (worker.isConnected()) worker.disconnect();
  }
}

/** One store-scp process: the whole server, or one worker of it. */
async function serve(options: StoreScpOptions, worker: Worker | undefined): Promise<void> {
  const prefix = worker === undefined ? '' : `[worker ${worker.id}] `;
  const write = (line: string): void => {
    process.stderr.write(`${prefix}${line}\n`);
  };
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
    // The limit is the whole server's: each of N workers takes its share, rounded up.
    maxAssociations: Math.ceil(options.maxAssociations / Math.max(1, options.workers)),
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
    onEvent: (event) => {
      const line = describeEvent(event);
      if (line !== undefined) write(line);
    },
  });
  // Listened for before the server listens: a request to stop that comes while it starts (a
  // worker replaced just before a shutdown) is kept, and honoured once it is up.
  const stopRequested = worker === undefined ? untilSignal() : untilShutdown(worker);
  const address = await server.listen().catch((error: unknown) => {
    throw new CliError(
      `store-scp: cannot listen on ${options.host}:${options.port} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      1,
    );
  });
  if (worker === undefined) {
    write(
      `niffler store-scp: ${options.aet} listening on ${address.host}:${address.port}, writing to ${directory}`,
    );
  }
  await stopRequested;
  if (worker === undefined) {
    write(`niffler store-scp: shutting down after ${stored} objects`);
  }
  await server.close();
  if (worker !== undefined && worker.isConnected()) {
    const message: StoppedMessage = { kind: 'stopped', stored };
    await new Promise<void>((sent) => worker.send(message, () => sent()));
  }
}

/**
 * `--workers N`: N processes share the listening socket (node:cluster hands each new connection
 * to the next worker), so the associations' work spreads over the cores, as storescp --fork
 * spreads it over processes. The primary only starts, replaces and stops workers: a worker that
 * dies is replaced (its associations are lost, as a crashed storescp child's would be; a partial
 * object is only ever under a temporary name).
 */
async function primary(options: StoreScpOptions): Promise<void> {
  const directory = resolve(options.out);
  const listening = new Set<Worker>();
  /** Every first worker listens: from now on a worker that dies is replaced. */
  let up = false;
  let stopping = false;
  let stored = 0;
  /** Workers that died: the objects they stored are on disk but not in `stored`. */
  let died = 0;
  let startFailed: ((error: Error) => void) | undefined;

  cluster.on('message', (_worker, message: StoppedMessage) => {
    if (message.kind === 'stopped') stored += message.stored;
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const how = signal ?? `code ${code}`;
    if (!up) {
      startFailed?.(
        new CliError(`store-scp: worker ${worker.id} exited (${how}) before listening`, 1),
      );
      return;
    }
    died += 1;
    process.stderr.write(
      `niffler store-scp: worker ${worker.id} (pid ${worker.process.pid}) exited (${how}); starting another\n`,
    );
    // One that died before it listened waits a second: no tight loop of failing starts.
    if (listening.has(worker)) cluster.fork();
    else setTimeout(() => stopping || cluster.fork(), 1_000);
  });
  await new Promise<void>((ready, fail) => {
    startFailed = fail;
    cluster.on('listening', (worker) => {
      listening.add(worker);
      if (listening.size === options.workers) ready();
    });
    for (let i = 0; i < options.workers; i++) cluster.fork();
  }).catch(async (error: unknown) => {
    stopping = true;
    await stopAll();
    throw error;
  });
  up = true;
  const pids = livingWorkers().map((w) => w.process.pid);
  process.stderr.write(
    `niffler store-scp: ${options.aet} listening on ${options.host}:${options.port} with ${options.workers} workers (pids ${pids.join(', ')}), writing to ${directory}\n`,
  );
  await untilSignal();
  stopping = true;
  await stopAll();
  const uncounted =
    died === 0 ? '' : ` (and those of ${died} worker${died === 1 ? '' : 's'} that died)`;
  process.stderr.write(`niffler store-scp: shutting down after ${stored} objects${uncounted}\n`);
}

/**
 * A worker's stop: the primary's request, or the primary gone. Signals are the primary's: a
 * Ctrl-C reaches the whole process group, and the primary asks each worker to stop.
 */
function untilShutdown(worker: Worker): Promise<void> {
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  return new Promise<void>((done) => {
    worker.on('message', (message: unknown) => {
      if (message === SHUTDOWN) done();
    });
    worker.on('disconnect', done);
  });
}

/** Resolves at the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** The workers not yet dead (cluster.workers keeps one until it has exited and disconnected). */
function livingWorkers(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter(
    (worker): worker is Worker => worker !== undefined && !worker.isDead(),
  );
}

/**
 * Asks every worker to stop and waits until each has exited. The request is repeated every half
 * second: a worker still loading its code when it is first sent has no listener for it yet.
 */
async function stopAll(): Promise<void> {
  for (let living = livingWorkers(); living.length > 0; living = livingWorkers()) {
    for (const worker of living) {
      if (worker.isConnected()) worker.send(SHUTDOWN);
      else worker.process.kill('SIGTERM');
    }
    // Whichever comes first; the other is cancelled, so no listener or timer is left behind.
    const settled = new AbortController();
    await Promise.race([
      once(cluster, 'exit', { signal: settled.signal }),
      sleep(500, undefined, { signal: settled.signal }),
    ]);
    settled.abort();
  }
}

/** One line per association event; AE titles and addresses only, never patient data. */
function describeEvent(event: ServerEvent): string | undefined {
  switch (event.kind) {
    case 'association-accepted':
      return `association ${event.association.id} from ${event.association.callingAeTitle}@${event.association.remoteAddress} accepted`;
    case 'association-rejected':
      return `association from ${event.callingAeTitle}@${event.remoteAddress} rejected: ${event.reason}`;
    case 'association-ended':
      return `association ${event.id} ended: ${describeEnding(event.ending)}`;
    case 'message':
      return `association ${event.id}: ${event.text}`;
    default:
      return undefined;
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
