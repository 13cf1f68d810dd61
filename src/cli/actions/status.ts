import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import { diskUsage } from '../../receive/disk-guard.js';
import { completionCounts, indexSummary, jobCounts } from '../../store/queries/index.js';
import { CliError } from '../errors.js';
import { openConfiguredDatabase } from '../service.js';

/** Exit code when no receiver answers (as `systemctl status` does for an inactive unit). */
const NOT_RUNNING = 3;

export async function status(file: string | undefined, json: boolean): Promise<number> {
  let config: Config;
  try {
    config = loadConfig({ file }).config;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  const live = await fetchLive(config);
  const db = await openConfiguredDatabase(config);
  let report;
  try {
    const root = path.resolve(config.storage.root);
    const [index, series, jobs, disk] = await Promise.all([
      indexSummary(db.kysely),
      completionCounts(db.kysely),
      jobCounts(db.kysely),
      diskUsage(root),
    ]);
    report = {
      running: live !== undefined,
      receiver: live,
      database: db.dialect,
      index,
      series,
      jobs,
      disk: { root, ...disk },
    };
  } finally {
    await db.close();
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(formatReport(report));
  }
  return live === undefined ? NOT_RUNNING : 0;
}

/** The running receiver's own status, or undefined when nothing answers. */
async function fetchLive(config: Config): Promise<Record<string, unknown> | undefined> {
  if (!config.http.enabled) return undefined;
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}/status`;
  try {
    const response = await fetch(url, {
      headers:
        config.http.authToken === null ? {} : { authorization: `Bearer ${config.http.authToken}` },
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { receiver?: Record<string, unknown> };
    return body.receiver;
  } catch {
    return undefined;
  }
}

function formatReport(r: {
  running: boolean;
  receiver: Record<string, unknown> | undefined;
  database: string;
  index: {
    patients: number;
    studies: number;
    series: number;
    instances: number;
    purgedInstances: number;
    bytes: number;
    lastReceivedAt: number | null;
  };
  series: Record<string, number>;
  jobs: { queue: string; state: string; count: number }[];
  disk: { root: string; usedRatio: number; freeBytes: number; totalBytes: number };
}): string {
  const lines: string[] = [];
  const rcv = r.receiver;
  if (rcv === undefined) {
    lines.push('receiver: not running (no answer from its HTTP status endpoint)');
  } else {
    const started =
      typeof rcv['startedAt'] === 'number' ? new Date(rcv['startedAt']).toISOString() : '?';
    lines.push(
      `receiver: running as ${String(rcv['aeTitle'])} on port ${String(rcv['port'])} since ${started}`,
      `  associations open: ${String(rcv['activeAssociations'])}; since start: ${String(rcv['stored'])} stored, ${String(rcv['failed'])} failed, ${gib(Number(rcv['bytes']))}`,
    );
  }
  const i = r.index;
  lines.push(
    `index (${r.database}): ${i.patients} patients, ${i.studies} studies, ${i.series} series, ${i.instances} instances (${i.purgedInstances} purged), ${gib(i.bytes)} on disk`,
    `  last received: ${i.lastReceivedAt === null ? 'never' : new Date(i.lastReceivedAt).toISOString()}`,
    `series: ${Object.entries(r.series)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
    `jobs: ${r.jobs.length === 0 ? 'none' : r.jobs.map((j) => `${j.queue} ${j.state} ${j.count}`).join(', ')}`,
    `disk: ${r.disk.root}: ${(r.disk.usedRatio * 100).toFixed(1)}% used, ${gib(r.disk.freeBytes)} free`,
  );
  return `${lines.join('\n')}\n`;
}

function gib(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}
