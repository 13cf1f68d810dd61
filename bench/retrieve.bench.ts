// Cohort retrieval, issue 5: a 500-row cohort (one study of two instances per row) from Orthanc.
//   niffler: `niffler retrieve cohort.csv` (the built CLI): one C-FIND and one C-MOVE per row on
//            pooled associations, 4 rows in flight; run without fsync (storescp does not fsync
//            either: the RATIO line) and with fsync (our default: an informative ratio);
//   original: the original's approach: one DCMTK movescu process per row (patient root, as the
//            original's PatientID mode ran dcm4che movescu), sequentially, into a storescp.
// Same Orthanc, same data, same run, alternating; 3 runs each; prints RATIO. No output is deleted
// before the end: ext4 makes file creation dearer for minutes after many files are freed.
import { spawn } from 'node:child_process';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  LOCALHOST,
  startOrthanc,
  startStorescp,
  tempDir,
} from '../test/helpers/peers.js';
import { writeStudies, type TestStudy } from '../test/retrieve/studies.js';
import { flushPageCache } from './lib.js';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(BENCH, '../bin/niffler.js');
const ROWS = Number(process.env['RETRIEVE_BENCH_ROWS'] ?? 500);
const RUNS = Number(process.env['RETRIEVE_BENCH_RUNS'] ?? 3);
/** Node flags for our side while iterating, e.g. `--cpu-prof --cpu-prof-dir=DIR`. */
const NODE_ARGS = (process.env['RETRIEVE_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
/** More `niffler retrieve` options, e.g. `--mode get` (quoted ratios use the defaults). */
const RETRIEVE_ARGS = (process.env['RETRIEVE_BENCH_ARGS'] ?? '').split(' ').filter(Boolean);
const ENV = { ...process.env, TCP_NODELAY: '1', NIFFLER_CONFIG: '' };

function run(
  command: string,
  args: readonly string[],
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function countFiles(root: string): Promise<number> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter(
    (e) =>
      e.isFile() &&
      !e.parentPath.includes('.niffler-tmp') &&
      (e.name.endsWith('.dcm') || /^[A-Z]{2}\./.test(e.name)),
  ).length;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const work = await tempDir('bench-retrieve');
  const studies: TestStudy[] = Array.from({ length: ROWS }, (_, i) => ({
    patientId: `B${String(i).padStart(5, '0')}`,
    accession: `ACC${i}`,
    date: '20240110',
    uid: `2.25.6${i + 1}`,
    description: 'CT',
    series: [
      {
        uid: `2.25.6${i + 1}01`,
        modality: 'CT',
        files: ['pydicom/test_files/CT_small.dcm', 'pydicom/test_files/CT_small.dcm'],
      },
    ],
  }));
  const files = path.join(work, 'files');
  await mkdir(files);
  const written = await writeStudies(files, studies);
  const ourPort = await freePort();
  const storescp = await startStorescp({ aeTitle: 'STORESCP', args: ['+xa'] });
  const orthanc = await startOrthanc({
    modalities: {
      niffler: { aeTitle: 'NIFFLER', host: LOCALHOST, port: ourPort },
      storescp: { aeTitle: 'STORESCP', host: LOCALHOST, port: storescp.port },
    },
  });
  const movedAside: string[] = [];
  try {
    const started = performance.now();
    for (const w of written) await orthanc.upload(w.file);
    console.log(
      `Orthanc loaded with ${ROWS} studies (${written.length} instances, CT_small.dcm variants) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const csv = path.join(work, 'cohort.csv');
    await writeFile(csv, `PatientID\n${studies.map((s) => s.patientId).join('\n')}\n`);
    const configs = {
      nosync: path.join(work, 'nosync.json'),
      fsync: path.join(work, 'fsync.json'),
    };
    for (const [name, file] of Object.entries(configs)) {
      await writeFile(
        file,
        JSON.stringify({
          dicom: { host: LOCALHOST, port: ourPort },
          http: { enabled: false },
          storage: { fsync: name === 'fsync' },
        }),
      );
    }

    const retrieve = async (config: string, out: string): Promise<number> => {
      flushPageCache();
      const t = performance.now();
      const result = await run(process.execPath, [
        ...NODE_ARGS,
        BIN,
        'retrieve',
        csv,
        '--config',
        config,
        '--out',
        out,
        '--from',
        `${orthanc.aeTitle}@${LOCALHOST}:${orthanc.port}`,
        '--concurrency',
        '4',
        '--progress',
        'none',
        '--no-email',
        ...RETRIEVE_ARGS,
      ]);
      const seconds = (performance.now() - t) / 1000;
      const got = await countFiles(out);
      if (result.code !== 0 || got !== written.length) {
        throw new Error(`niffler retrieve: exit ${result.code}, ${got} files\n${result.output}`);
      }
      // Outputs are kept until the end: deleting a run's files makes the next runs' file
      // creations dearer (ext4 skips inodes freed in the last minutes), on both sides.
      return seconds;
    };
    const ours: number[] = [];
    const oursFsync: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await retrieve(configs.nosync, path.join(work, `out${i}`)));
      oursFsync.push(await retrieve(configs.fsync, path.join(work, `outf${i}`)));

      // storescp writes by path: its folder is moved aside (not deleted, see above) and made anew.
      if ((await countFiles(storescp.directory)) > 0) {
        await rename(storescp.directory, `${storescp.directory}.run${i}`);
        await mkdir(storescp.directory);
        movedAside.push(`${storescp.directory}.run${i}`);
      }
      flushPageCache();
      const t = performance.now();
      for (const study of studies) {
        const r = await run('movescu', [
          '-aet',
          'STORESCP',
          '-aec',
          orthanc.aeTitle,
          '-aem',
          'STORESCP',
          '-P',
          '-k',
          'QueryRetrieveLevel=PATIENT',
          '-k',
          `PatientID=${study.patientId}`,
          LOCALHOST,
          String(orthanc.port),
        ]);
        if (r.code !== 0) throw new Error(`movescu: exit ${r.code}\n${r.output}`);
      }
      theirs.push((performance.now() - t) / 1000);
      const stored = await countFiles(storescp.directory);
      if (stored !== written.length)
        throw new Error(`storescp got ${stored} files, not ${written.length}`);
      console.log(
        `run ${i + 1}: niffler ${ours[i]!.toFixed(2)} s (with fsync ${oursFsync[i]!.toFixed(2)} s), movescu loop ${theirs[i]!.toFixed(2)} s`,
      );
    }
    const a = median(ours);
    const af = median(oursFsync);
    const b = median(theirs);
    const line = (name: string, seconds: number): string =>
      `${name.padEnd(36)} ${seconds.toFixed(2).padStart(8)}   ${(ROWS / seconds).toFixed(1).padStart(6)}   ${(written.length / seconds).toFixed(1).padStart(11)}`;
    console.log('');
    console.log(`${'side'.padEnd(36)} median s   rows/s   instances/s`);
    console.log(line('niffler retrieve, no fsync', a));
    console.log(line('niffler retrieve, fsync (default)', af));
    console.log(line('movescu per row + storescp (no fsync)', b));
    console.log(`RATIO retrieve-${ROWS}-rows-vs-movescu-loop ${(b / a).toFixed(2)} (target >= 5)`);
    console.log(
      `RATIO retrieve-${ROWS}-rows-fsync-vs-movescu-loop ${(b / af).toFixed(2)} (informative)`,
    );
    // Run by run (each run's loop over its own niffler time): the spread behind the median.
    const perRun = ours.map((seconds, i) => theirs[i]! / seconds);
    console.log(
      `per run: ${perRun.map((r) => r.toFixed(2)).join(', ')} (lowest ${Math.min(...perRun).toFixed(2)})`,
    );
    await mkdir(path.join(BENCH, 'results'), { recursive: true });
    await writeFile(
      path.join(BENCH, 'results', 'retrieve.json'),
      JSON.stringify(
        { rows: ROWS, instances: written.length, niffler: ours, movescuLoop: theirs, ratio: b / a },
        null,
        2,
      ),
    );
  } finally {
    await orthanc.stop();
    await storescp.stop();
    for (const folder of movedAside) await rm(folder, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

await main();
