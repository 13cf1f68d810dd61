// Fixtures for the receiver tests: a configuration file in a temporary folder, a Receiver in this
// process on a database of either dialect (with a fake clock when a test drives completion and
// retention itself), and `niffler start` as a child process of the built CLI (crash and
// two-process tests). Nothing happens at import time.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config/index.js';
import { loadFeaturesets } from '../../src/metadata/index.js';
import { createMetrics } from '../../src/receive/metrics.js';
import { Receiver } from '../../src/receive/receiver.js';
import type { DialectName } from '../../src/store/index.js';
import { createLogger } from '../../src/util/log.js';
import { openTestDatabase, PG_URL, type TestDatabase } from './databases.js';
import { NIFFLER_BIN, startTool, waitForPort, freePort, type RunningTool } from './scp-harness.js';

/** Loads a configuration from `settings` (written as a JSON file in `directory`). */
export async function writeConfig(
  directory: string,
  settings: object,
): Promise<{ file: string; config: Config }> {
  const file = path.join(directory, `niffler-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(settings, null, 2));
  return { file, config: loadConfig({ file, env: {} }).config };
}

export interface TestReceiver {
  readonly receiver: Receiver;
  readonly t: TestDatabase;
  readonly root: string;
  readonly port: number;
  readonly config: Config;
  /** Log lines written (JSON), for assertions about PHI. */
  readonly logs: string[];
  stop(): Promise<void>;
}

/**
 * A Receiver on a fresh database of `dialect`, storage in a new temp folder (or `root`), DICOM on
 * a free port, HTTP off. `settings` are merged over that (sections replaced, not deep-merged).
 */
export async function startTestReceiver(options: {
  dialect: DialectName;
  label: string;
  settings?: Record<string, unknown>;
  clock?: () => number;
  root?: string;
}): Promise<TestReceiver> {
  const work = await mkdtemp(path.join(os.tmpdir(), `niffler-rcv-${options.label}-`));
  const root = options.root ?? path.join(work, 'data');
  const t = await openTestDatabase(options.dialect, options.label);
  const settings = {
    ...options.settings,
    storage: { root, ...(options.settings?.['storage'] as object | undefined) },
    http: { enabled: false },
    logging: { level: 'debug', ...(options.settings?.['logging'] as object | undefined) },
  };
  const { config } = await writeConfig(work, settings);
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      callback();
    },
  });
  const { logger, phi } = createLogger({ ...config.logging, destination });
  const { featuresets } = loadFeaturesets(config.featuresets);
  const receiver = await Receiver.start({
    config,
    db: t.db,
    featuresets,
    logger,
    phi,
    metrics: createMetrics(),
    port: 0,
    ...(options.clock !== undefined && { clock: options.clock, background: false }),
  });
  return {
    receiver,
    t,
    root,
    port: receiver.address().port,
    config,
    logs,
    stop: async () => {
      await receiver.stop(2_000);
      await t.drop();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** The database settings a child `niffler start` uses to reach the same database. */
export function databaseSettings(t: TestDatabase): Record<string, unknown> {
  if (t.dialect === 'sqlite') return { url: null };
  const options = encodeURIComponent(`-c search_path=${t.schema ?? 'public'}`);
  return { url: `${PG_URL}?options=${options}` };
}

export interface NifflerProcess {
  readonly tool: RunningTool;
  readonly port: number;
  readonly httpPort: number;
}

/** Runs `niffler start --config FILE` (the built CLI) and waits until its DICOM port answers. */
export async function spawnNiffler(
  configFile: string,
  ports: { port: number; httpPort: number },
): Promise<NifflerProcess> {
  const tool = startTool(process.execPath, [NIFFLER_BIN, 'start', '--config', configFile], {
    timeoutMs: 30 * 60_000,
  });
  await waitForPort(ports.port, 20_000, tool);
  return { tool, ...ports };
}

/** Two free ports (DICOM and HTTP). */
export async function freePorts(): Promise<{ port: number; httpPort: number }> {
  return { port: await freePort(), httpPort: await freePort() };
}
