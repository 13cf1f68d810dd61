// Receiver benchmark (issue 4), `npx tsx bench/receiver.bench.ts`:
//
// 1. Throughput: DCMTK storescu, 4 associations (4 processes, each a quarter of the files), the
//    same 2000 synthetic CT files (bench/generate-ct.ts, ~0.5 MB each) into
//      - `niffler start` (the built CLI, defaults: fsync of file and directory, SQLite index with
//        synchronous=FULL, the four featuresets extracted),
//      - DCMTK storescp --fork (no fsync, no index),
//      - Orthanc 1.10 (its defaults on the reference test configuration),
//      - the durability floor (bench/floor/durable-chain.c, compiled here with cc): the same
//        files written by 4 threads of a C program that makes only the file system calls a
//        receiver needs before its Success (temporary file, write, fdatasync, link, directory
//        fsync), with no network, no parsing and no index: the most any receiver that fsyncs
//        can reach on this disk,
//      - DCMTK storescp --fork made durable (`storescp-fsync`): floor/fsync-on-close.c, compiled
//        here with cc and preloaded, fdatasyncs each file storescp closes and fsyncs its
//        directory, before its C-STORE response (a receiver that fsyncs, with no index),
//    alternating, 3 runs each, fresh storage every run (kept until the last run: deleting
//    thousands of files makes later file creations dearer on ext4). Ratios: niffler /
//    storescp (target >= 1.0) and niffler / Orthanc (target >= 2.0), on the medians; and,
//    informative, floor / storescp (the target's ceiling on this machine), niffler / floor,
//    storescp-fsync / storescp and niffler / storescp-fsync.
// 2. C-STORE latency with 10 thousand and with 1 million instances already indexed (rows
//    bulk-inserted straight into the SQLite index, not sent): 500 stores, one association, each
//    timed from request to response; p50 and p99. Ratio p99(1M) / p99(10k), target <= 2.0.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { readInstanceFile, type InstanceFile } from '../src/net/services/instance-file.js';
import { Status } from '../src/net/dimse/status.js';
import { openDatabase } from '../src/store/database.js';
import {
  freePort,
  LOCALHOST,
  NIFFLER_BIN,
  PEER_ENV,
  runTool,
  startOrthanc,
  startStorescp,
  startTool,
  StoreScu,
  waitForPort,
} from '../test/helpers/scp-harness.js';
import { DATA_DIR, ensureCtFiles } from './generate-ct.js';
import {
  compileFloorProgram,
  countFiles,
  flushPageCache,
  fsyncOnCloseEnv,
  fsyncOnCloseLibrary,
  warmPageCache,
} from './lib.js';

// BENCH_RECEIVER_RUNS / _FILES / _LATENCY=0 / _RECEIVERS=niffler,storescp shorten a run while
// iterating; the quoted ratios come from the defaults.
const RUNS = Number(process.env['BENCH_RECEIVER_RUNS'] ?? 3);
const LATENCY = process.env['BENCH_RECEIVER_LATENCY'] !== '0';
const ALL_RECEIVERS = ['niffler', 'storescp', 'orthanc', 'floor', 'storescp-fsync'] as const;
type Receiver = (typeof ALL_RECEIVERS)[number];
const RECEIVERS = (process.env['BENCH_RECEIVER_RECEIVERS'] ?? ALL_RECEIVERS.join(','))
  .split(',')
  .filter((r): r is Receiver => (ALL_RECEIVERS as readonly string[]).includes(r));
const ASSOCIATIONS = 4;
const COUNT = Number(process.env['BENCH_RECEIVER_FILES'] ?? 2000);
const WORK = path.join(DATA_DIR, 'receiver');

/** The storage of one throughput run. */
function throughputDir(receiver: string, run: number): string {
  return path.join(WORK, `${receiver}-${run}`);
}

interface Run {
  readonly receiver: string;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  /** The floor program's own report (its timing, its step latencies). */
  readonly floor?: FloorReport | undefined;
}

/** What bench/floor/durable-chain.c prints. */
interface FloorReport {
  readonly files: number;
  readonly seconds: number;
  readonly filesPerSecond: number;
  readonly writeMs: readonly [number, number];
  readonly fdatasyncMs: readonly [number, number];
  readonly directoryFsyncMs: readonly [number, number];
}

/** The floor program, once compiled. */
let floorProgram: string | undefined;

/** The informative RATIO lines of the floor and storescp-fsync sides, for the sides that ran. */
function printInformativeRatios(median: (name: string) => number): void {
  const lines: [string, Receiver, Receiver, string][] = [
    ['floor-vs-storescp', 'floor', 'storescp', 'the most a receiver that fsyncs can reach here'],
    ['receiver-vs-floor', 'niffler', 'floor', 'how far ours is from that'],
    [
      'storescp-fsync-vs-storescp',
      'storescp-fsync',
      'storescp',
      'what fdatasync of each file and fsync of its directory cost storescp',
    ],
    [
      'receiver-vs-storescp-fsync',
      'niffler',
      'storescp-fsync',
      'both fsync file and directory; only ours also commits an index',
    ],
  ];
  for (const [name, ours, peer, note] of lines) {
    if (!RECEIVERS.includes(ours) || !RECEIVERS.includes(peer)) continue;
    console.log(`RATIO ${name} ${(median(ours) / median(peer)).toFixed(2)} (informative: ${note})`);
  }
}

async function main(): Promise<void> {
  // Always the full set (a different count would regenerate the shared directory), then the
  // first COUNT of it.
  const files = ensureCtFiles(2000).slice(0, COUNT);
  warmPageCache(files);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  // Compiled first: without cc the run fails at once, not after minutes.
  if (RECEIVERS.includes('floor')) {
    floorProgram = compileFloorProgram('durable-chain.c', 'durable-chain', ['-pthread']);
  }
  if (RECEIVERS.includes('storescp-fsync')) fsyncOnCloseLibrary();
  const runs: Run[] = [];
  for (let run = 1; run <= RUNS; run++) {
    for (const receiver of RECEIVERS) {
      let floor: FloorReport | undefined;
      let seconds: number;
      if (receiver === 'floor') {
        floor = floorRun(files, run);
        seconds = floor.seconds;
      } else {
        seconds = await throughput(receiver, files, run);
      }
      runs.push({ receiver, seconds, imagesPerSecond: files.length / seconds, floor });
      console.log(
        `run ${run} ${receiver.padEnd(8)} ${(files.length / seconds).toFixed(0).padStart(5)} img/s (${seconds.toFixed(2)} s)`,
      );
    }
  }
  const median = (name: string): number => {
    const values = runs
      .filter((r) => r.receiver === name)
      .map((r) => r.imagesPerSecond)
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  for (const receiver of RECEIVERS) {
    for (let run = 1; run <= RUNS; run++) {
      rmSync(throughputDir(receiver, run), { recursive: true, force: true });
    }
  }
  if (RECEIVERS.includes('floor')) {
    const floor = runs.filter((r) => r.receiver === 'floor').map((r) => r.floor!);
    console.log('\ndurability floor, per run (ms, p50/p90 over the files):');
    for (const f of floor) {
      console.log(
        `  ${f.filesPerSecond.toFixed(0)} files/s: write ${f.writeMs.join('/')}, ` +
          `fdatasync ${f.fdatasyncMs.join('/')}, directory fsync ${f.directoryFsyncMs.join('/')}`,
      );
    }
  }
  if (!LATENCY) {
    // Iterating: the throughput ratios only (medians of the runs made).
    for (const peer of ['storescp', 'orthanc'] as const) {
      if (!RECEIVERS.includes(peer) || !RECEIVERS.includes('niffler')) continue;
      const target = peer === 'storescp' ? '1.0' : '2.0';
      console.log(
        `RATIO receiver-vs-${peer} ${(median('niffler') / median(peer)).toFixed(2)} (target >= ${target})`,
      );
    }
    printInformativeRatios(median);
    return;
  }
  const latency10k = await latency(10_000, files);
  const latency1m = await latency(1_000_000, files);
  const table = [
    ['receiver', 'img/s (median of 3)', 'MB/s'],
    ...RECEIVERS.map((name) => [
      name,
      median(name).toFixed(0),
      ((median(name) * statSync(files[0]!).size) / 1e6).toFixed(0),
    ]),
  ];
  console.log('');
  for (const row of table) console.log(row.map((c) => c.padEnd(22)).join(''));
  console.log(`\nC-STORE latency, ${latency10k.n} stores on one association:`);
  console.log(
    `  10k indexed: p50 ${latency10k.p50.toFixed(2)} ms, p99 ${latency10k.p99.toFixed(2)} ms`,
  );
  console.log(
    `  1M indexed:  p50 ${latency1m.p50.toFixed(2)} ms, p99 ${latency1m.p99.toFixed(2)} ms`,
  );
  const ratios = {
    'receiver-vs-storescp': median('niffler') / median('storescp'),
    'receiver-vs-orthanc': median('niffler') / median('orthanc'),
    'receiver-p99-1m-vs-10k': latency1m.p99 / latency10k.p99,
  };
  console.log('');
  console.log(
    `RATIO receiver-vs-storescp ${ratios['receiver-vs-storescp'].toFixed(2)} (target >= 1.0)`,
  );
  console.log(
    `RATIO receiver-vs-orthanc ${ratios['receiver-vs-orthanc'].toFixed(2)} (target >= 2.0)`,
  );
  console.log(
    `RATIO receiver-p99-1m-vs-10k ${ratios['receiver-p99-1m-vs-10k'].toFixed(2)} (target <= 2.0)`,
  );
  printInformativeRatios(median);
  mkdirSync(path.join(path.dirname(DATA_DIR), 'results'), { recursive: true });
  writeFileSync(
    path.join(path.dirname(DATA_DIR), 'results', 'receiver.json'),
    JSON.stringify({ files: files.length, runs, latency10k, latency1m, ratios }, null, 2),
  );
}

/** The floor program over the files, 4 threads, into a fresh directory. */
function floorRun(files: string[], run: number): FloorReport {
  const dir = throughputDir('floor', run);
  mkdirSync(dir, { recursive: true });
  flushPageCache();
  const output = execFileSync(floorProgram!, [dir, String(ASSOCIATIONS), ...files], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
  });
  const report = JSON.parse(output) as FloorReport;
  if (report.files !== files.length) {
    throw new Error(`the floor wrote ${report.files} of ${files.length} files`);
  }
  return report;
}

/** Seconds for 4 storescu processes to send every file to one receiver. */
async function throughput(
  receiver: Exclude<Receiver, 'floor'>,
  files: string[],
  run: number,
): Promise<number> {
  const dir = throughputDir(receiver, run);
  mkdirSync(dir, { recursive: true });
  let port: number;
  let aeTitle: string;
  let stop: () => Promise<void>;
  let count: () => number;
  if (receiver === 'niffler') {
    port = await freePort();
    aeTitle = 'NIFFLER';
    const config = path.join(dir, 'niffler.json');
    writeFileSync(
      config,
      JSON.stringify({
        dicom: { port, host: LOCALHOST },
        storage: { root: path.join(dir, 'root') },
        http: { enabled: false },
        logging: { level: 'warn' },
      }),
    );
    const tool = startTool(process.execPath, [NIFFLER_BIN, 'start', '--config', config], {
      timeoutMs: 600_000,
    });
    await waitForPort(port, 20_000);
    stop = async () => {
      await tool.stop(20_000);
    };
    count = () => countFiles(path.join(dir, 'root'), (n) => n.endsWith('.dcm'));
  } else if (receiver === 'storescp' || receiver === 'storescp-fsync') {
    const storescp = await startStorescp({
      aeTitle: 'STORESCP',
      directory: dir,
      args: ['--fork'],
      ...(receiver === 'storescp-fsync' && { env: fsyncOnCloseEnv(dir) }),
    });
    port = storescp.port;
    aeTitle = 'STORESCP';
    stop = async () => {
      await storescp.tool.stop();
    };
    count = () => countFiles(dir, () => true);
  } else {
    const orthanc = await startOrthanc({ modalities: {} });
    port = orthanc.dicomPort;
    aeTitle = orthanc.aeTitle;
    stop = () => orthanc.stop();
    count = () => {
      const stats = spawnSync('curl', ['-s', `${orthanc.url}/statistics`], { encoding: 'utf8' });
      return (JSON.parse(stats.stdout) as { CountInstances: number }).CountInstances;
    };
  }
  const parts = Array.from({ length: ASSOCIATIONS }, (_, i) =>
    files.filter((_, k) => k % ASSOCIATIONS === i),
  );
  flushPageCache();
  const started = performance.now();
  const results = await Promise.all(
    parts.map((part) =>
      runTool('storescu', ['-aet', 'BENCH', '-aec', aeTitle, LOCALHOST, String(port), ...part], {
        env: PEER_ENV,
        timeoutMs: 600_000,
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const stored = count();
  await stop();
  // Kept until the throughput runs end: deleting 2000 files makes the next runs' file creations
  // dearer for minutes (ext4 skips recently freed inodes), on every side.
  for (const r of results) {
    if (r.code !== 0) throw new Error(`storescu to ${receiver} failed: ${r.stderr.slice(-500)}`);
  }
  if (stored !== files.length) throw new Error(`${receiver} stored ${stored} of ${files.length}`);
  return seconds;
}

/** p50/p99 of C-STORE round trips into `niffler start` with `existing` instances indexed. */
async function latency(
  existing: number,
  files: string[],
): Promise<{ n: number; p50: number; p99: number; existing: number }> {
  const dir = path.join(WORK, `latency-${existing}`);
  rmSync(dir, { recursive: true, force: true });
  const root = path.join(dir, 'root');
  mkdirSync(root, { recursive: true });
  const started = performance.now();
  await bulkIndex(path.join(root, 'index.sqlite'), existing);
  console.log(
    `bulk-indexed ${existing} instances in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const port = await freePort();
  const config = path.join(dir, 'niffler.json');
  writeFileSync(
    config,
    JSON.stringify({
      dicom: { port, host: LOCALHOST },
      storage: { root },
      http: { enabled: false },
      logging: { level: 'warn' },
    }),
  );
  const tool = startTool(process.execPath, [NIFFLER_BIN, 'start', '--config', config], {
    timeoutMs: 600_000,
  });
  await waitForPort(port, 60_000);
  const sample: InstanceFile[] = await Promise.all(
    files.slice(0, 500).map((f) => readInstanceFile(f)),
  );
  const times: number[] = [];
  const scu = await StoreScu.open(
    { host: LOCALHOST, port, calledAeTitle: 'NIFFLER', callingAeTitle: 'BENCH' },
    sample,
  );
  try {
    for (const file of sample) {
      const t0 = performance.now();
      const status = await scu.store(file);
      times.push(performance.now() - t0);
      if (status !== Status.Success) throw new Error(`store failed: ${status.toString(16)}`);
    }
  } finally {
    await scu.release();
    await tool.stop(20_000);
  }
  rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  const at = (q: number): number =>
    times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { n: times.length, p50: at(0.5), p99: at(0.99), existing };
}

/**
 * `count` instances straight into a fresh SQLite index (migrated by our code, then filled with
 * prepared statements in 10k-row transactions): 100 instances per series, 10 series per study,
 * one study per patient, every series complete, every header a small JSON document.
 */
async function bulkIndex(file: string, count: number): Promise<void> {
  const db = await openDatabase({ url: file });
  await db.close();
  const sqlite = new Sqlite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = OFF');
  const now = Date.now() - 86_400_000;
  const patient = sqlite.prepare(
    "insert into patients (id, patient_id, issuer_of_patient_id, patient_name, created_at, updated_at) values (?, ?, '', ?, ?, ?)",
  );
  const study = sqlite.prepare(
    "insert into studies (id, study_instance_uid, patient_ref, study_date, accession_number, created_at, updated_at) values (?, ?, ?, '20250101', ?, ?, ?)",
  );
  const series = sqlite.prepare(
    "insert into series (id, series_instance_uid, study_ref, modality, series_number, created_at, updated_at) values (?, ?, ?, 'CT', ?, ?, ?)",
  );
  const completion = sqlite.prepare(
    "insert into series_completion (series_instance_uid, version, state, instance_count, first_received_at, last_received_at, completed_at) values (?, 1, 'complete', 100, ?, ?, ?)",
  );
  const instance = sqlite.prepare(
    "insert into instances (sop_instance_uid, series_ref, sop_class_uid, instance_number, transfer_syntax_uid, calling_ae, received_at, path, size_bytes, header_json) values (?, ?, '1.2.840.10008.5.1.4.1.1.2', ?, '1.2.840.10008.1.2.1', 'BULK', ?, ?, 525000, ?)",
  );
  const header = JSON.stringify({
    '00080060': { vr: 'CS', Value: ['CT'] },
    '00100020': { vr: 'LO', Value: ['BULK'] },
    '00200013': { vr: 'IS', Value: [1] },
  });
  const insert = sqlite.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const s = Math.floor(i / 100);
      const st = Math.floor(s / 10);
      if (i % 1000 === 0) {
        patient.run(st + 1, `BULK${st}`, `BULK^${st}`, now, now);
        study.run(st + 1, `2.25.8${st}`, st + 1, `B${st}`, now, now);
      }
      if (i % 100 === 0) {
        series.run(s + 1, `2.25.8${st}.${s}`, st + 1, s % 10, now, now);
        completion.run(`2.25.8${st}.${s}`, now, now, now);
      }
      instance.run(
        `2.25.8${st}.${s}.${i}`,
        s + 1,
        i % 100,
        now,
        `BULK${st}/2.25.8${st}/2.25.8${st}.${s}/2.25.8${st}.${s}.${i}.dcm`,
        header,
      );
    }
  });
  for (let from = 0; from < count; from += 10_000) insert(from, Math.min(count, from + 10_000));
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.close();
}

await main();
