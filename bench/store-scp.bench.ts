// Storage SCP benchmark (issue 3), `npx tsx bench/store-scp.bench.ts` (after `npm run build`):
//
// 1. Throughput: DCMTK storescu (TCP_NODELAY=1) with 1 association and with 4 (4 processes, a
//    quarter of the files each) sending
//      - the 2000 synthetic CT files (bench/generate-ct.ts, ~0.5 MB each),
//      - the 20 large images (bench/generate-large.ts, 3328x4096, ~27 MB each),
//    into
//      - `niffler store-scp` (the built CLI) as shipped: fsync of every file and its directory
//        before the success response,
//      - `niffler store-scp --no-fsync`,
//      - `niffler store-scp --no-fsync --workers <cores>` (`niffler-workers`: one process per core
//        sharing the port, each serving whole associations, as storescp --fork serves each in its
//        own process),
//      - DCMTK `storescp --fork +B +xa` (bit-preserving: the data set written as received, like
//        ours; it never fsyncs),
//      - the same storescp made durable (`storescp-fsync`): floor/fsync-on-close.c, compiled here
//        with cc and preloaded, fdatasyncs each file it closes and fsyncs its directory, before
//        its C-STORE response,
//    alternating, 3 runs each, a fresh output directory on the same file system every run,
//    deleted after the run (the runs slowed 2-4x as outputs piled up; see throughput()).
//    RATIO lines: images/s of store-scp --no-fsync --workers over storescp (like with like: neither
//    fsyncs, both use every core; target >= 1.0), of one store-scp process over storescp,
//    of store-scp with fsync over storescp (what the default costs; informative) and over
//    storescp-fsync (durable against durable; informative).
// 2. Memory: one ~1 GB object (a sparse file: 1 GiB of OB Pixel Data) sent by storescu into
//    `niffler store-scp`; the server's RSS is sampled (VmRSS every 20 ms, VmHWM at the end) and
//    its growth over the idle RSS reported (target <= 64 MB); the received file's data set must
//    have the sent length.
//
// Knobs for iterating: BENCH_STORE_SCP_RUNS (number of runs), BENCH_STORE_SCP_SETS (ct,large),
// BENCH_STORE_SCP_ASSOCIATIONS (1,4),
// BENCH_STORE_SCP_SIDES (niffler,niffler-no-fsync,niffler-workers,storescp,storescp-fsync),
// BENCH_STORE_SCP_SKIP_1GB=1 (no part 2), BENCH_STORE_SCP_KEEP_RUNS=1 (keep every run's files
// until the throughput runs end, as before stop 14).
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { encodeFileMetaHeader } from '../src/dicom/write/part10.js';
import {
  freePort,
  LOCALHOST,
  PEER_ENV,
  processMemory,
  runTool,
  sleep,
  startStorescp,
} from '../test/helpers/scp-harness.js';
import { DATA_DIR, ensureCtFiles } from './generate-ct.js';
import { ensureLargeFiles } from './generate-large.js';
import {
  countFiles,
  flushPageCache,
  fsyncOnCloseEnv,
  fsyncOnCloseLibrary,
  startNifflerStoreScp,
  warmPageCache,
} from './lib.js';

const RUNS = Number(process.env['BENCH_STORE_SCP_RUNS'] ?? 3);
const WORK = path.join(DATA_DIR, 'store-scp');
const THROUGHPUT_DIR = path.join(WORK, 'throughput');
const KEEP_RUNS = process.env['BENCH_STORE_SCP_KEEP_RUNS'] === '1';
const ALL_SIDES = [
  'niffler',
  'niffler-no-fsync',
  'niffler-workers',
  'storescp',
  'storescp-fsync',
] as const;
/** `niffler-workers`: one store-scp process per core. */
const WORKERS = availableParallelism();
type Side = (typeof ALL_SIDES)[number];
const SIDES = ALL_SIDES.filter((s) => listEnv('BENCH_STORE_SCP_SIDES')?.includes(s) ?? true);
const ASSOCIATIONS = (listEnv('BENCH_STORE_SCP_ASSOCIATIONS') ?? ['1', '4']).map(Number);

function listEnv(name: string): string[] | undefined {
  return process.env[name]?.split(',').map((v) => v.trim());
}

interface Run {
  readonly set: string;
  readonly associations: number;
  readonly side: Side;
  readonly run: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  readonly megabytesPerSecond: number;
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  if (SIDES.includes('storescp-fsync')) fsyncOnCloseLibrary(); // no cc fails the run at once
  const wanted = listEnv('BENCH_STORE_SCP_SETS') ?? ['ct', 'large'];
  const sets = [
    ...(wanted.includes('ct') ? [{ name: 'ct', files: ensureCtFiles() }] : []),
    ...(wanted.includes('large') ? [{ name: 'large', files: ensureLargeFiles() }] : []),
  ];
  const runs: Run[] = [];
  for (const set of sets) {
    const bytes = set.files.reduce((sum, f) => sum + statSync(f).size, 0);
    warmPageCache(set.files);
    for (const associations of ASSOCIATIONS) {
      for (let run = 1; run <= RUNS; run++) {
        // The order rotates, so no side always runs first (page cache, CPU frequency).
        const order = SIDES.map((_, i) => SIDES[(i + run - 1) % SIDES.length]!);
        for (const side of order) {
          const seconds = await throughput(side, set.files, associations, `${set.name}-${run}`);
          const entry: Run = {
            set: set.name,
            associations,
            side,
            run,
            seconds,
            imagesPerSecond: set.files.length / seconds,
            megabytesPerSecond: bytes / 1e6 / seconds,
          };
          runs.push(entry);
          console.log(
            `${set.name.padEnd(5)} x${associations} run ${run} ${side.padEnd(16)} ` +
              `${entry.imagesPerSecond.toFixed(1).padStart(7)} img/s ` +
              `${entry.megabytesPerSecond.toFixed(0).padStart(5)} MB/s (${seconds.toFixed(2)} s)`,
          );
        }
      }
    }
  }

  const median = (set: string, associations: number, side: Side): number => {
    const values = runs
      .filter((r) => r.set === set && r.associations === associations && r.side === side)
      .map((r) => r.imagesPerSecond)
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  console.log(`\nimages/s, median of ${RUNS} (storescp never fsyncs; niffler fsyncs by default):`);
  console.log(
    ['set', 'assocs', ...SIDES].map((c) => c.padEnd(18)).join('') +
      '\n' +
      sets
        .flatMap((set) =>
          ASSOCIATIONS.map((a) =>
            [set.name, String(a), ...SIDES.map((s) => median(set.name, a, s).toFixed(1))]
              .map((c) => c.padEnd(18))
              .join(''),
          ),
        )
        .join('\n'),
  );
  const ratios: Record<string, number> = {};
  const lines: string[] = [];
  const ratio = (name: string, ours: Side, peer: Side, note: string): void => {
    if (!SIDES.includes(ours) || !SIDES.includes(peer)) return;
    for (const set of sets) {
      for (const a of ASSOCIATIONS) {
        const key = `${name}-${set.name}-${a}`;
        ratios[key] = median(set.name, a, ours) / median(set.name, a, peer);
        lines.push(`RATIO ${key} ${ratios[key].toFixed(2)} (${note})`);
      }
    }
  };
  ratio(
    'store-scp-vs-storescp',
    'niffler-workers',
    'storescp',
    `target >= 1.0; ${WORKERS} workers`,
  );
  ratio(
    'store-scp-one-process-vs-storescp',
    'niffler-no-fsync',
    'storescp',
    'informative: one process, every association on one thread',
  );
  ratio(
    'store-scp-fsync-vs-storescp',
    'niffler',
    'storescp',
    'informative: ours fsyncs, storescp does not',
  );
  ratio(
    'store-scp-fsync-vs-storescp-fsync',
    'niffler',
    'storescp-fsync',
    'informative: both fsync each file and its directory',
  );

  rmSync(THROUGHPUT_DIR, { recursive: true, force: true });
  let memory: Awaited<ReturnType<typeof oneGigabyte>> | undefined;
  if (process.env['BENCH_STORE_SCP_SKIP_1GB'] !== '1') {
    memory = await oneGigabyte();
    console.log(
      `\n1 GB object: ${(memory.sentBytes / 2 ** 20).toFixed(0)} MiB data set in ` +
        `${memory.seconds.toFixed(1)} s; store-scp RSS idle ${(memory.idleKb / 1024).toFixed(1)} MB, ` +
        `peak ${(memory.peakKb / 1024).toFixed(1)} MB (VmHWM); received file ${memory.receivedBytes} bytes, ` +
        `data set ${memory.receivedDatasetBytes} bytes (${memory.receivedDatasetBytes === memory.sentBytes ? 'same as sent' : 'DIFFERS'})`,
    );
    ratios['store-scp-1gb-rss-growth-mb'] = memory.growthMb;
    lines.push(`RATIO store-scp-1gb-rss-growth-mb ${memory.growthMb.toFixed(1)} (target <= 64)`);
  }
  console.log('');
  for (const line of lines) console.log(line);
  mkdirSync(path.join(path.dirname(DATA_DIR), 'results'), { recursive: true });
  writeFileSync(
    path.join(path.dirname(DATA_DIR), 'results', 'store-scp.json'),
    JSON.stringify({ runs, ratios, memory, load: readFileSync('/proc/loadavg', 'utf8') }, null, 2),
  );
  rmSync(WORK, { recursive: true, force: true });
}

interface Receiver {
  readonly port: number;
  readonly aeTitle: string;
  readonly pid: number;
  count(): number;
  stop(): Promise<void>;
}

/** `niffler store-scp` (the built CLI) writing into `dir`. */
async function startStoreScp(dir: string, extra: readonly string[] = []): Promise<Receiver> {
  const port = await freePort();
  const tool = await startNifflerStoreScp(dir, port, extra);
  return {
    port,
    aeTitle: 'NIFFLER',
    pid: tool.child.pid!,
    count: () => countFiles(dir, (n) => n.endsWith('.dcm')),
    stop: async () => {
      const result = await tool.stop(20_000);
      if (result.code !== 0 && result.signal !== 'SIGTERM') {
        throw new Error(`store-scp exited ${result.code}: ${result.stderr.slice(-500)}`);
      }
    },
  };
}

async function startReceiver(side: Side, dir: string): Promise<Receiver> {
  if (side === 'storescp' || side === 'storescp-fsync') {
    const storescp = await startStorescp({
      aeTitle: 'STORESCP',
      directory: dir,
      args: ['--fork', '+B', '+xa'],
      ...(side === 'storescp-fsync' && { env: fsyncOnCloseEnv(dir) }),
    });
    return {
      port: storescp.port,
      aeTitle: 'STORESCP',
      pid: storescp.tool.child.pid!,
      count: () => countFiles(dir, () => true),
      stop: async () => {
        await storescp.tool.stop();
      },
    };
  }
  if (side === 'niffler-workers') {
    return startStoreScp(dir, ['--no-fsync', '--workers', String(WORKERS)]);
  }
  return startStoreScp(dir, side === 'niffler-no-fsync' ? ['--no-fsync'] : []);
}

/** Seconds for `associations` storescu processes to send every file to one receiver. */
async function throughput(
  side: Side,
  files: readonly string[],
  associations: number,
  label: string,
): Promise<number> {
  const dir = path.join(THROUGHPUT_DIR, `${side}-${associations}-${label}`);
  mkdirSync(dir, { recursive: true });
  flushPageCache();
  const receiver = await startReceiver(side, dir);
  const parts = Array.from({ length: associations }, (_, i) =>
    files.filter((_, k) => k % associations === i),
  );
  const started = performance.now();
  const results = await Promise.all(
    parts.map((part) =>
      runTool(
        'storescu',
        ['-aet', 'BENCH', '-aec', receiver.aeTitle, LOCALHOST, String(receiver.port), ...part],
        { env: PEER_ENV, timeoutMs: 30 * 60_000 },
      ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const stored = receiver.count();
  await receiver.stop();
  // Deleted before the next run (unless BENCH_STORE_SCP_KEEP_RUNS=1). Kept, the runs slowed as
  // the outputs piled up, whichever the side: one invocation's storescp made 1603, 419 and 448
  // img/s with one association. Deleted, its 5 runs spread 694-889, ours 608-716 (stop 14).
  // Deleting makes file creations dearer for a while (ext4 skips recently freed inodes), for the
  // next side as much as for this one.
  if (!KEEP_RUNS) rmSync(dir, { recursive: true, force: true });
  for (const r of results) {
    if (r.code !== 0) throw new Error(`storescu to ${side} failed: ${r.stderr.slice(-500)}`);
  }
  if (stored !== files.length) throw new Error(`${side} stored ${stored} of ${files.length}`);
  return seconds;
}

// --- 1 GB object -------------------------------------------------------------------------------

const PIXEL_BYTES = 2 ** 30;
const SIDE_PIXELS = 2 ** 15; // 32768 x 32768 x 8 bits = 1 GiB

/**
 * A Part 10 file (Explicit VR Little Endian, Secondary Capture) whose Pixel Data is 1 GiB of OB,
 * written sparse: the header, then the file extended to its full length (zeros, no disk blocks).
 */
function writeOneGigabyteFile(file: string): { datasetOffset: number; datasetLength: number } {
  const sopClassUid = '1.2.840.10008.5.1.4.1.1.7';
  const sopInstanceUid = '2.25.31415926535897932384626433832795028841';
  const transferSyntaxUid = '1.2.840.10008.1.2.1';
  const meta = encodeFileMetaHeader({ sopClassUid, sopInstanceUid, transferSyntaxUid });
  const elements: Uint8Array[] = [
    text(0x0008, 0x0016, 'UI', sopClassUid),
    text(0x0008, 0x0018, 'UI', sopInstanceUid),
    text(0x0008, 0x0060, 'CS', 'OT'),
    text(0x0010, 0x0010, 'PN', 'BENCH^ONE^GIGABYTE'),
    text(0x0010, 0x0020, 'LO', 'BENCH1GB'),
    text(0x0020, 0x000d, 'UI', `${sopInstanceUid}.1`),
    text(0x0020, 0x000e, 'UI', `${sopInstanceUid}.2`),
    us(0x0028, 0x0002, 1),
    text(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
    us(0x0028, 0x0010, SIDE_PIXELS),
    us(0x0028, 0x0011, SIDE_PIXELS),
    us(0x0028, 0x0100, 8),
    us(0x0028, 0x0101, 8),
    us(0x0028, 0x0102, 7),
    us(0x0028, 0x0103, 0),
  ];
  const pixelHeader = Buffer.alloc(12);
  pixelHeader.writeUInt16LE(0x7fe0, 0);
  pixelHeader.writeUInt16LE(0x0010, 2);
  pixelHeader.write('OB', 4, 'latin1');
  pixelHeader.writeUInt32LE(PIXEL_BYTES, 8);
  const head = Buffer.concat([meta, ...elements, pixelHeader]);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, head);
    ftruncateSync(fd, head.length + PIXEL_BYTES);
  } finally {
    closeSync(fd);
  }
  return { datasetOffset: meta.length, datasetLength: head.length - meta.length + PIXEL_BYTES };
}

function text(group: number, element: number, vr: string, value: string): Uint8Array {
  const padded = value.length % 2 === 0 ? value : value + (vr === 'UI' ? '\0' : ' ');
  const out = Buffer.alloc(8 + padded.length);
  out.writeUInt16LE(group, 0);
  out.writeUInt16LE(element, 2);
  out.write(vr, 4, 'latin1');
  out.writeUInt16LE(padded.length, 6);
  out.write(padded, 8, 'latin1');
  return out;
}

function us(group: number, element: number, value: number): Uint8Array {
  const out = Buffer.alloc(10);
  out.writeUInt16LE(group, 0);
  out.writeUInt16LE(element, 2);
  out.write('US', 4, 'latin1');
  out.writeUInt16LE(2, 6);
  out.writeUInt16LE(value, 8);
  return out;
}

/** Where the data set of a Part 10 file starts: after the meta group (its group length says). */
function part10DatasetOffset(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(144);
    const n = readFully(fd, head);
    if (n < 144 || head.toString('latin1', 128, 132) !== 'DICM')
      throw new Error(`${file}: no DICM`);
    // (0002,0000) UL, explicit VR: tag 4, VR 2, length 2, value 4.
    return 132 + 12 + head.readUInt32LE(140);
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, buffer: Buffer): number {
  let done = 0;
  for (;;) {
    const n = readSync(fd, buffer, done, buffer.length - done, null);
    if (n === 0) return done;
    done += n;
    if (done === buffer.length) return done;
  }
}

async function oneGigabyte(): Promise<{
  seconds: number;
  sentBytes: number;
  idleKb: number;
  peakKb: number;
  peakSampledKb: number;
  growthMb: number;
  receivedBytes: number;
  receivedDatasetBytes: number;
}> {
  const source = path.join(WORK, 'one-gigabyte.dcm');
  const { datasetLength } = writeOneGigabyteFile(source);
  const dir = path.join(WORK, 'one-gigabyte-received');
  mkdirSync(dir, { recursive: true });
  const receiver = await startStoreScp(dir);
  try {
    await sleep(500);
    const idleKb = processMemory(receiver.pid).rssKb;
    let peakSampledKb = idleKb;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakSampledKb = Math.max(peakSampledKb, processMemory(receiver.pid).rssKb);
        await sleep(20);
      }
    })();
    const started = performance.now();
    const result = await runTool(
      'storescu',
      ['-aet', 'BENCH', '-aec', receiver.aeTitle, LOCALHOST, String(receiver.port), source],
      { env: PEER_ENV, timeoutMs: 30 * 60_000 },
    );
    const seconds = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    const peakKb = processMemory(receiver.pid).hwmKb;
    if (result.code !== 0) throw new Error(`storescu (1 GB) failed: ${result.stderr.slice(-500)}`);
    const names = readdirSync(dir).filter((n) => n.endsWith('.dcm'));
    if (names.length !== 1) throw new Error(`store-scp wrote ${names.length} files, not 1`);
    const received = path.join(dir, names[0]!);
    const receivedBytes = statSync(received).size;
    const receivedDatasetBytes = receivedBytes - part10DatasetOffset(received);
    return {
      seconds,
      sentBytes: datasetLength,
      idleKb,
      peakKb,
      peakSampledKb,
      growthMb: (Math.max(peakKb, peakSampledKb) - idleKb) / 1024,
      receivedBytes,
      receivedDatasetBytes,
    };
  } finally {
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(source, { force: true });
  }
}

await main();
