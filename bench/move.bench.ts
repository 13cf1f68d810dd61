// C-MOVE benchmark (issue 3), `npx tsx bench/move.bench.ts` (after `npm run build`):
//
// The 2000 synthetic CT files (bench/generate-ct.ts: 20 studies of 100 instances) are loaded into
// Orthanc 1.10 (4 storescu processes, before any timing). Then DCMTK movescu moves every study
// (study level, one C-MOVE per study, one after the other) from Orthanc into
//   - `niffler store-scp` (the built CLI) with --no-fsync (storescp does not fsync: like with like),
//   - `niffler store-scp` as shipped (fsync of every file and its directory; informative),
//   - DCMTK `storescp +B +xa` (bit-preserving, like ours),
//   - the same storescp made durable (`storescp-fsync`: floor/fsync-on-close.c, preloaded,
//     fdatasyncs each file it closes and fsyncs its directory before its C-STORE response),
// alternating, 3 runs each, a fresh output directory every run, deleted after the run (kept, the
// runs slowed as the outputs piled up: see below); timed from the first movescu
// start to the last movescu exit (Orthanc answers the C-MOVE when every sub-operation is done).
// RATIO: images/s into store-scp --no-fsync over into storescp (target >= 1.0); informative:
// store-scp (fsync) over storescp and over storescp-fsync.
//
// BENCH_MOVE_RUNS changes the number of runs; BENCH_MOVE_KEEP_RUNS=1 keeps every run's files until
// the end, as before stop 14.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  freePort,
  LOCALHOST,
  PEER_ENV,
  runTool,
  startOrthanc,
  startStorescp,
} from '../test/helpers/scp-harness.js';
import { DATA_DIR, ensureCtFiles } from './generate-ct.js';
import {
  countFiles,
  flushPageCache,
  fsyncOnCloseEnv,
  fsyncOnCloseLibrary,
  startNifflerStoreScp,
} from './lib.js';

const RUNS = Number(process.env['BENCH_MOVE_RUNS'] ?? 3);
const KEEP_RUNS = process.env['BENCH_MOVE_KEEP_RUNS'] === '1';
const LOAD_ASSOCIATIONS = 4;
const WORK = path.join(DATA_DIR, 'move');
const SIDES = ['niffler-no-fsync', 'niffler', 'storescp', 'storescp-fsync'] as const;
type Side = (typeof SIDES)[number];

interface Run {
  readonly side: Side;
  readonly run: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const files = ensureCtFiles();
  fsyncOnCloseLibrary(); // built before Orthanc is loaded: no cc fails the run at once
  const ports = { niffler: await freePort(), storescp: await freePort() };
  const orthanc = await startOrthanc({
    modalities: {
      bench: { aet: 'BENCH', host: LOCALHOST, port: await freePort() },
      niffler: { aet: 'NIFFLER', host: LOCALHOST, port: ports.niffler },
      storescp: { aet: 'STORESCP', host: LOCALHOST, port: ports.storescp },
    },
  });
  const runs: Run[] = [];
  try {
    const loadStarted = performance.now();
    const parts = Array.from({ length: LOAD_ASSOCIATIONS }, (_, i) =>
      files.filter((_, k) => k % LOAD_ASSOCIATIONS === i),
    );
    const loads = await Promise.all(
      parts.map((part) =>
        runTool(
          'storescu',
          ['-aet', 'BENCH', '-aec', orthanc.aeTitle, LOCALHOST, String(orthanc.dicomPort), ...part],
          { env: PEER_ENV, timeoutMs: 30 * 60_000 },
        ),
      ),
    );
    for (const r of loads) {
      if (r.code !== 0) throw new Error(`storescu into Orthanc failed: ${r.stderr.slice(-500)}`);
    }
    const studies = (
      await orthanc.rest<{ MainDicomTags: { StudyInstanceUID: string } }[]>(
        'GET',
        '/studies?expand',
      )
    ).map((s) => s.MainDicomTags.StudyInstanceUID);
    const stats = await orthanc.rest<{ CountInstances: number }>('GET', '/statistics');
    if (stats.CountInstances !== files.length) {
      throw new Error(`Orthanc holds ${stats.CountInstances} instances, not ${files.length}`);
    }
    console.log(
      `loaded ${files.length} instances (${studies.length} studies) into Orthanc in ` +
        `${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
    );

    // One untimed pass into storescp: the first timed side does not pay for a cold Orthanc.
    {
      const dir = path.join(WORK, 'warm-up');
      mkdirSync(dir, { recursive: true });
      const receiver = await startReceiver('storescp', dir, ports);
      try {
        for (const study of studies) await move(orthanc, receiver.aeTitle, study);
      } finally {
        await receiver.stop();
      }
      rmSync(dir, { recursive: true, force: true });
    }

    for (let run = 1; run <= RUNS; run++) {
      const order = SIDES.map((_, i) => SIDES[(i + run - 1) % SIDES.length]!);
      for (const side of order) {
        const dir = path.join(WORK, `${side}-${run}`);
        mkdirSync(dir, { recursive: true });
        const receiver = await startReceiver(side, dir, ports);
        flushPageCache();
        const started = performance.now();
        try {
          for (const study of studies) await move(orthanc, receiver.aeTitle, study);
        } finally {
          await receiver.stop();
        }
        const seconds = (performance.now() - started) / 1000;
        const stored = receiver.count();
        // Deleted before the next run unless BENCH_MOVE_KEEP_RUNS=1: kept, the runs slowed as
        // the outputs piled up, on every side (stop 14: storescp 699, 597 and 275 img/s in one
        // invocation). Deleting makes the next file creations dearer for a while (ext4 skips
        // recently freed inodes), for the next side as much as for this one.
        if (!KEEP_RUNS) rmSync(dir, { recursive: true, force: true });
        if (stored !== files.length) {
          throw new Error(`${side} received ${stored} of ${files.length}`);
        }
        runs.push({ side, run, seconds, imagesPerSecond: files.length / seconds });
        console.log(
          `run ${run} ${side.padEnd(16)} ${(files.length / seconds).toFixed(1).padStart(7)} img/s ` +
            `(${seconds.toFixed(2)} s)`,
        );
      }
    }
  } finally {
    await orthanc.stop();
  }

  const median = (side: Side): number => {
    const values = runs
      .filter((r) => r.side === side)
      .map((r) => r.imagesPerSecond)
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  console.log(`\nC-MOVE from Orthanc, images/s, median of ${RUNS}:`);
  for (const side of SIDES) console.log(`  ${side.padEnd(18)}${median(side).toFixed(1)}`);
  const ratios = {
    'move-vs-storescp': median('niffler-no-fsync') / median('storescp'),
    'move-fsync-vs-storescp': median('niffler') / median('storescp'),
    'move-fsync-vs-storescp-fsync': median('niffler') / median('storescp-fsync'),
  };
  console.log('');
  console.log(`RATIO move-vs-storescp ${ratios['move-vs-storescp'].toFixed(2)} (target >= 1.0)`);
  console.log(
    `RATIO move-fsync-vs-storescp ${ratios['move-fsync-vs-storescp'].toFixed(2)} ` +
      '(informative: ours fsyncs, storescp does not)',
  );
  console.log(
    `RATIO move-fsync-vs-storescp-fsync ${ratios['move-fsync-vs-storescp-fsync'].toFixed(2)} ` +
      '(informative: both fsync each file and its directory)',
  );
  mkdirSync(path.join(path.dirname(DATA_DIR), 'results'), { recursive: true });
  writeFileSync(
    path.join(path.dirname(DATA_DIR), 'results', 'move.json'),
    JSON.stringify(
      { files: files.length, runs, ratios, load: readFileSync('/proc/loadavg', 'utf8') },
      null,
      2,
    ),
  );
  rmSync(WORK, { recursive: true, force: true });
}

/** movescu: one study (study level) from Orthanc to `destination`. */
async function move(
  orthanc: { aeTitle: string; dicomPort: number },
  destination: string,
  study: string,
): Promise<void> {
  const r = await runTool(
    'movescu',
    [
      '-S',
      '-aet',
      'BENCH',
      '-aec',
      orthanc.aeTitle,
      '-aem',
      destination,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      LOCALHOST,
      String(orthanc.dicomPort),
    ],
    { env: PEER_ENV, timeoutMs: 30 * 60_000 },
  );
  if (r.code !== 0) throw new Error(`movescu to ${destination} failed: ${r.stderr.slice(-800)}`);
}

interface Receiver {
  readonly aeTitle: string;
  count(): number;
  stop(): Promise<void>;
}

/** A receiver on the port Orthanc knows for it. */
async function startReceiver(
  side: Side,
  dir: string,
  ports: { niffler: number; storescp: number },
): Promise<Receiver> {
  if (side === 'storescp' || side === 'storescp-fsync') {
    return startStorescpOn(ports.storescp, dir, side === 'storescp-fsync');
  }
  const tool = await startNifflerStoreScp(
    dir,
    ports.niffler,
    side === 'niffler-no-fsync' ? ['--no-fsync'] : [],
  );
  return {
    aeTitle: 'NIFFLER',
    count: () => countFiles(dir, (n) => n.endsWith('.dcm')),
    stop: async () => {
      await tool.stop(20_000);
    },
  };
}

/** DCMTK storescp on a given port (startStorescp picks a free one; Orthanc needs it fixed). */
async function startStorescpOn(port: number, dir: string, durable = false): Promise<Receiver> {
  const storescp = await startStorescp({
    aeTitle: 'STORESCP',
    directory: dir,
    port,
    ...(durable && { env: fsyncOnCloseEnv(dir) }),
  });
  return {
    aeTitle: 'STORESCP',
    count: () => countFiles(dir, () => true),
    stop: async () => {
      await storescp.tool.stop();
    },
  };
}

await main();
