/**
 * The real-time receiver (`niffler start`): one DicomServer whose C-STORE handler is
 * instanceStore (durable file, then the index transaction, then Success) and whose C-FIND,
 * C-MOVE and C-GET answer from the index, plus the loops that run beside it: series completion,
 * the job runner, retention, and the disk guard. Everything it keeps is in the database and the
 * storage root, so any number of receivers can share both, and a restart (or kill -9) loses
 * nothing: the temporary files a dead process left are recovered at start (recovery.ts).
 *
 * Shutdown (SIGTERM/SIGINT in the CLI): stop listening, refuse new C-STOREs on open associations
 * with A700 (the sender retries later), let running ones finish for a grace period, abort the
 * rest (their partial files are removed), stop the loops, and leave the database to the caller.
 */
import { rmdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { TlsOptions } from 'node:tls';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { parseTimeOfDay } from '../config/index.js';
import type { Featureset } from '../metadata/index.js';
import { formatStatus } from '../net/dimse/status.js';
import type { StoreHandler, StoreSink } from '../net/services/handlers.js';
import { DicomServer, serverTlsFromFiles, type ServerEvent } from '../net/services/server.js';
import type { Db } from '../store/database.js';
import { JobRunner, type JobHandler } from '../store/job-runner.js';
import { isIndexedAt } from '../store/queries/index.js';
import { Ticker } from '../util/ticker.js';
import type { Logger, Phi } from '../util/log.js';
import { CompletionTracker } from './completion.js';
import { DiskGuard } from './disk-guard.js';
import { ReceiveError } from './errors.js';
import { Indexer } from './indexer.js';
import { instanceStore } from './instance-store.js';
import type { ReceiverMetrics } from './metrics.js';
import { parsePathTemplate } from './path-template.js';
import { queryRetrieveHandlers } from './query-retrieve.js';
import { recoverTempAreas } from './recovery.js';
import { Retention } from './retention.js';
import { createTempArea, tempAreaName } from './temp-area.js';

export const SERIES_COMPLETE_QUEUE = 'series-complete';

export interface ReceiverOptions {
  readonly config: Config;
  readonly db: Db;
  readonly featuresets: readonly Featureset[];
  readonly logger: Logger;
  readonly phi: Phi;
  readonly metrics: ReceiverMetrics;
  /**
   * Handlers of series-complete jobs by kind, added by the layers above (pipelines). With none,
   * a series-complete job is done as soon as it runs: nobody waits for it.
   */
  readonly jobHandlers?: Readonly<Record<string, JobHandler>> | undefined;
  readonly clock?: (() => number) | undefined;
  /** Override of dicom.port (tests use 0). */
  readonly port?: number | undefined;
  /**
   * Run completion, retention and the job runner on their own timers (default true). Tests
   * that drive the rounds with a fake clock turn them off and call runLoopsOnce.
   */
  readonly background?: boolean | undefined;
}

export interface ReceiverStatus {
  readonly aeTitle: string;
  readonly port: number;
  readonly startedAt: number;
  readonly workerId: string;
  readonly activeAssociations: number;
  readonly stored: number;
  readonly failed: number;
  readonly bytes: number;
  readonly stopping: boolean;
  readonly nextNightlyPurge: number | undefined;
}

export class Receiver {
  readonly workerId: string;
  readonly startedAt: number;
  private readonly server: DicomServer;
  private readonly tickers: Ticker[] = [];
  private readonly runner: JobRunner;
  private readonly retention: Retention;
  readonly disk: DiskGuard;
  private stopping = false;
  private counts = { stored: 0, failed: 0, bytes: 0 };
  private port = 0;
  private readonly tempDirectory: string;
  private readonly settleStore: () => Promise<void>;

  private constructor(
    private readonly options: ReceiverOptions,
    parts: {
      server: DicomServer;
      runner: JobRunner;
      retention: Retention;
      disk: DiskGuard;
      workerId: string;
      completion: CompletionTracker;
      tempDirectory: string;
      settled: () => Promise<void>;
    },
  ) {
    this.tempDirectory = parts.tempDirectory;
    this.settleStore = parts.settled;
    this.server = parts.server;
    this.runner = parts.runner;
    this.retention = parts.retention;
    this.disk = parts.disk;
    this.workerId = parts.workerId;
    this.startedAt = (options.clock ?? Date.now)();
    const onError = (what: string) => (error: unknown) =>
      options.logger.error(
        { event: `${what}-error`, error: String(error) },
        `${what} round failed`,
      );
    this.tickers.push(
      new Ticker(
        () => parts.completion.runOnce().then(() => undefined),
        parts.completion.intervalMs,
        onError('completion'),
      ),
      new Ticker(
        () => this.retention.runOnce().then(() => undefined),
        10_000,
        onError('retention'),
      ),
    );
  }

  /** Recovers what a dead process left, prepares the index, listens, and starts the loops. */
  static async start(options: ReceiverOptions): Promise<Receiver> {
    const { config, db, logger, phi, metrics } = options;
    const clock = options.clock ?? Date.now;
    const root = path.resolve(config.storage.root);
    const template = parsePathTemplate(config.storage.pathTemplate);
    const areaName = tempAreaName();
    const workerId = `${hostname()}:${process.pid}:${areaName.slice(-8)}`;

    const recovered = await recoverTempAreas({
      root,
      template,
      ownArea: areaName,
      isIndexed: (sop, relativePath) => isIndexedAt(db.kysely, sop, relativePath),
      clock,
    });
    if (recovered.areas > 0) {
      logger.info({ event: 'recovered', ...recovered }, 'removed what a stopped receiver left');
    }
    const tempDirectory = await createTempArea(root, areaName);

    // Real time, not the injected clock: the cache is about how fresh a statfs is.
    const disk = new DiskGuard(root, config.storage);
    const indexer = new Indexer({
      db,
      root,
      duplicates: config.storage.duplicates,
      featuresets: options.featuresets,
      featuresetMode: config.featuresets.mode,
      clock,
      metrics,
      logger,
      phi,
    });
    await indexer.prepare();

    const completion = new CompletionTracker({
      db,
      quietSeconds: config.completion.quietSeconds,
      useExpectedCounts: config.completion.useExpectedCounts,
      maxAttempts: config.jobs.maxAttempts,
      clock,
      onFired: (fired) => {
        metrics.seriesCompleted.inc({ amended: String(fired.version > 1) });
        logger.info(
          {
            event: 'series-complete',
            seriesInstanceUid: phi.mask(fired.seriesInstanceUid),
            version: fired.version,
          },
          'series complete',
        );
        runner.poke();
      },
    });

    const runner = new JobRunner({
      db,
      queue: SERIES_COMPLETE_QUEUE,
      workerId,
      concurrency: 4,
      clock,
      backoff: {
        baseMs: config.jobs.backoffSeconds * 1000,
        maxMs: config.jobs.backoffMaxSeconds * 1000,
      },
      handlers: { 'series-complete': async () => undefined, ...options.jobHandlers },
      onEvent: (event) => {
        if (event.kind === 'done' || event.kind === 'failed' || event.kind === 'dead') {
          metrics.jobsFinished.inc({ queue: event.job.queue, outcome: event.kind });
          if (event.kind !== 'done') {
            logger.warn(
              {
                event: `job-${event.kind}`,
                jobId: event.job.id,
                kind: event.job.kind,
                error: event.error,
              },
              `job ${event.kind}`,
            );
          }
        } else if (event.kind === 'error') {
          logger.error(
            { event: 'job-runner-error', error: String(event.error) },
            'job round failed',
          );
        }
      },
    });

    const retention = new Retention({
      db,
      root,
      policy: config.retention.policy,
      nightlyAt: parseTimeOfDay(config.retention.nightlyAt) ?? 23 * 60 + 59,
      timezone: config.retention.timezone ?? undefined,
      maxAgeDays: config.retention.maxAgeDays,
      disk,
      clock,
      logger,
      metrics,
    });

    const holder: { receiver?: Receiver } = {};
    const store = instanceStore({
      root,
      pathTemplate: template,
      fsync: config.storage.fsync,
      clock,
      tempDirectory,
      admit: async () => {
        if (holder.receiver?.stopping === true) {
          throw new ReceiveError('SHUTTING_DOWN', 'the receiver is shutting down');
        }
        await disk.admit();
      },
      commit: indexer.commit,
      onCleanupError: (file, error) =>
        logger.warn(
          { event: 'cleanup-failed', error: String(error), file: path.basename(file) },
          'cleanup failed',
        ),
    });

    const qr = config.dicom.queryRetrieve;
    const allowedQr = qr.allowedPeers ?? config.dicom.allowedPeers ?? [];
    const qrHandlers = qr.enabled
      ? queryRetrieveHandlers({
          db,
          root,
          aeTitle: config.dicom.aeTitle,
          allowedPeers: allowedQr,
          moveDestinations: qr.moveDestinations,
          onDone: (operation, status) =>
            metrics.queryRequests.inc({ operation, status: formatStatus(status) }),
        })
      : {};
    // Associations: anyone dicom.allowedPeers lets in (null: anyone), plus the Q/R peers.
    const associationPeers =
      config.dicom.allowedPeers === null
        ? undefined
        : [...config.dicom.allowedPeers, ...(qr.allowedPeers ?? [])].map((p) => ({
            aeTitle: p.aeTitle,
            host: p.host ?? undefined,
          }));

    const server = new DicomServer({
      aeTitle: config.dicom.aeTitle,
      host: config.dicom.host,
      port: options.port ?? config.dicom.port,
      allowedPeers: associationPeers,
      acceptAnyCalledAeTitle: config.dicom.acceptAnyCalledAeTitle,
      abstractSyntaxes: config.dicom.sopClasses ?? undefined,
      transferSyntaxes: config.dicom.transferSyntaxes ?? undefined,
      maxAssociations: config.dicom.maxAssociations,
      maxPduLength: config.dicom.maxPduLength,
      idleTimeoutMs: config.dicom.idleTimeoutSeconds * 1000,
      artimTimeoutMs: config.dicom.associationTimeoutSeconds * 1000,
      tls: serverTls(config),
      handlers: {
        store: timed(store, (ms, status, bytes) => {
          metrics.storeDuration.observe(ms / 1000);
          const receiver = holder.receiver;
          if (receiver === undefined) return;
          if (status === 0) {
            receiver.counts.stored++;
            receiver.counts.bytes += bytes;
          } else {
            receiver.counts.failed++;
            metrics.storeFailures.inc({ status: formatStatus(status) });
          }
        }),
        ...qrHandlers,
      },
      onEvent: (event) => onServerEvent(event, logger, metrics, phi),
    });
    const receiver = new Receiver(options, {
      server,
      runner,
      retention,
      disk,
      workerId,
      completion,
      tempDirectory,
      settled: () => store.settled(),
    });
    holder.receiver = receiver;
    const address = await server.listen();
    receiver.port = address.port;
    if (options.background ?? true) {
      for (const ticker of receiver.tickers) ticker.start();
      runner.start();
    }
    logger.info(
      {
        event: 'started',
        aeTitle: config.dicom.aeTitle,
        host: address.host,
        port: address.port,
        root,
        database: db.dialect,
        featuresets: options.featuresets.map((f) => f.name),
        workerId,
      },
      'receiver listening',
    );
    return receiver;
  }

  address(): { host: string; port: number } {
    return this.server.address();
  }

  status(): ReceiverStatus {
    return {
      aeTitle: this.options.config.dicom.aeTitle,
      port: this.port,
      startedAt: this.startedAt,
      workerId: this.workerId,
      activeAssociations: this.server.activeAssociations,
      ...this.counts,
      stopping: this.stopping,
      nextNightlyPurge: this.retention.nextNightlyAt,
    };
  }

  /** One round of completion, every due job, then retention (tests drive a fake clock with it). */
  async runLoopsOnce(): Promise<void> {
    const [completion, retention] = this.tickers;
    await completion!.runNow();
    while ((await this.runner.runOnce()) > 0) {
      // every due job, not only the first `concurrency` of them
    }
    await retention!.runNow();
  }

  /**
   * Resolves when the cleanup that follows the answers already sent is done: a stored object's
   * temporary name is removed just after its Success goes out. The directory descriptors kept
   * for fsync are closed too (the next store opens them again).
   */
  settled(): Promise<void> {
    return this.settleStore();
  }

  /** Clean shutdown (see the module comment). The database stays open for the caller to close. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.options.logger.info({ event: 'stopping', graceMs }, 'receiver stopping');
    await this.server.close(graceMs);
    await Promise.all(this.tickers.map((t) => t.stop()));
    await this.runner.stop();
    // Our temporary directory is empty once every association has ended and the temporary
    // names removed after the answers are gone.
    await this.settled();
    await rmdir(this.tempDirectory).catch(() => undefined);
    this.options.logger.info({ event: 'stopped', ...this.counts }, 'receiver stopped');
  }
}

/** Wraps a store handler to time each C-STORE and learn its outcome (for metrics). */
function timed(
  handler: StoreHandler,
  done: (ms: number, status: number, bytes: number) => void,
): StoreHandler {
  return async (request) => {
    const started = performance.now();
    let sink: StoreSink;
    try {
      sink = await handler(request);
    } catch (error) {
      done(performance.now() - started, (error as { status?: number }).status ?? 0x0110, 0);
      throw error;
    }
    let bytes = 0;
    return {
      write: (chunk) => {
        bytes += chunk.length;
        return sink.write(chunk);
      },
      abort: () => sink.abort(),
      end: async () => {
        try {
          const outcome = await sink.end();
          done(performance.now() - started, outcome.status, bytes);
          return outcome;
        } catch (error) {
          done(performance.now() - started, (error as { status?: number }).status ?? 0x0110, 0);
          throw error;
        }
      },
    };
  };
}

function serverTls(config: Config): TlsOptions | undefined {
  const tls = config.dicom.tls;
  if (tls === null) return undefined;
  return serverTlsFromFiles(tls);
}

/** UIDs in free text (an SCP message names the SOP instance that failed), masked unless PHI is allowed. */
function maskUids(text: string, phi: Phi): string {
  return text.replace(/\b\d+(?:\.\d+){3,}\b/g, (uid) => phi.mask(uid) ?? uid);
}

function onServerEvent(
  event: ServerEvent,
  logger: Logger,
  metrics: ReceiverMetrics,
  phi: Phi,
): void {
  switch (event.kind) {
    case 'association-accepted':
      metrics.associations.inc({ outcome: 'accepted' });
      metrics.associationsActive.inc();
      logger.info(
        {
          event: 'association',
          id: event.association.id,
          callingAe: event.association.callingAeTitle,
          remote: event.association.remoteAddress,
        },
        'association accepted',
      );
      break;
    case 'association-rejected':
      metrics.associations.inc({ outcome: 'rejected' });
      logger.warn(
        {
          event: 'association-rejected',
          callingAe: event.callingAeTitle,
          remote: event.remoteAddress,
          reason: event.reason,
        },
        'association rejected',
      );
      break;
    case 'association-ended':
      if (event.ending.kind !== 'rejected') metrics.associationsActive.dec();
      logger.info(
        { event: 'association-ended', id: event.id, ending: event.ending.kind },
        'association ended',
      );
      break;
    case 'message':
      logger.warn(
        { event: 'association-message', id: event.id, text: maskUids(event.text, phi) },
        'association message',
      );
      break;
  }
}
