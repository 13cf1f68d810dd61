/**
 * The composition root of `niffler start`: configuration -> logger, database, featuresets,
 * metrics -> receiver and HTTP status server. Also what `niffler status` reads. Everything is
 * created here and handed down; nothing below reads the configuration file or the environment.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { databaseTarget, type Config } from '../config/index.js';
import { loadFeaturesets } from '../metadata/index.js';
import { diskUsage } from '../receive/disk-guard.js';
import { createMetrics } from '../receive/metrics.js';
import { Receiver } from '../receive/receiver.js';
import { openDatabase, type Db } from '../store/database.js';
import { completionCounts, indexSummary, jobCounts } from '../store/queries/index.js';
import { redactUrl } from '../store/url.js';
import { createLogger, type Logger } from '../util/log.js';
import { StatusServer } from '../web/status-server.js';

/** The database URL the configuration names (PostgreSQL with its separate password, or SQLite). */
export function databaseUrl(config: Config): string {
  const target = databaseTarget(config);
  if (target.kind === 'sqlite') return target.file;
  if (target.password === null) return target.url;
  const url = new URL(target.url);
  if (url.password === '') url.password = target.password;
  return url.toString();
}

export async function openConfiguredDatabase(config: Config): Promise<Db> {
  await mkdir(config.storage.root, { recursive: true });
  return openDatabase({ url: databaseUrl(config) });
}

export interface RunningService {
  readonly receiver: Receiver;
  readonly http: { host: string; port: number } | undefined;
  readonly logger: Logger;
  stop(graceMs?: number): Promise<void>;
}

/** Starts the receiver and the HTTP server the configuration describes. */
export async function startService(
  config: Config,
  options: { warnings?: readonly string[]; dicomPort?: number; httpPort?: number } = {},
): Promise<RunningService> {
  const { logger, phi } = createLogger(config.logging);
  for (const warning of options.warnings ?? []) logger.warn({ event: 'config-warning' }, warning);
  const root = path.resolve(config.storage.root);
  await mkdir(root, { recursive: true });
  const db = await openConfiguredDatabase(config);
  logger.info(
    {
      event: 'database',
      dialect: db.dialect,
      where: db.dialect === 'sqlite' ? databaseUrl(config) : redactUrl(databaseUrl(config)),
    },
    'index database open',
  );
  try {
    const { featuresets, warnings } = loadFeaturesets(config.featuresets);
    for (const warning of warnings) logger.warn({ event: 'featureset-warning' }, warning);
    const metrics = createMetrics({
      jobs: () => jobCounts(db.kysely),
      series: () => completionCounts(db.kysely),
      disk: () => diskUsage(root),
    });
    const receiver = await Receiver.start({
      config,
      db,
      featuresets,
      logger,
      phi,
      metrics,
      ...(options.dicomPort !== undefined && { port: options.dicomPort }),
    });
    let http: StatusServer | undefined;
    let httpAddress: { host: string; port: number } | undefined;
    if (config.http.enabled) {
      http = new StatusServer({
        host: config.http.host,
        port: options.httpPort ?? config.http.port,
        authToken: config.http.authToken,
        registry: metrics.registry,
        status: () => serviceStatus(receiver, db, root),
        onError: (error) => logger.error({ event: 'http-error', error: String(error) }, 'HTTP'),
      });
      try {
        httpAddress = await http.listen();
      } catch (error) {
        await receiver.stop(0);
        throw error;
      }
      logger.info({ event: 'http', ...httpAddress }, 'status and metrics on HTTP');
    }
    return {
      receiver,
      http: httpAddress,
      logger,
      stop: async (graceMs = 10_000) => {
        await receiver.stop(graceMs);
        await http?.close();
        await db.close();
        logger.flush();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** The /status document. */
export async function serviceStatus(receiver: Receiver, db: Db, root: string): Promise<unknown> {
  const [index, series, jobs, disk] = await Promise.all([
    indexSummary(db.kysely),
    completionCounts(db.kysely),
    jobCounts(db.kysely),
    diskUsage(root),
  ]);
  return {
    receiver: receiver.status(),
    database: db.dialect,
    index,
    series,
    jobs,
    disk: { root, ...disk },
  };
}
