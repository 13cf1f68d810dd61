// Crash test (issue 4), on SQLite and on PostgreSQL: `niffler start` (the built CLI) receives
// thousands of instances over four associations while it is killed with SIGKILL at random
// moments and restarted. The senders retry whatever was not acknowledged (so some objects that
// were committed but whose Success was lost arrive twice). Afterwards:
//   - every instance that got Success is on disk, byte-identical, and indexed exactly once;
//   - no temporary or partial file is left under the storage root, and every file there is
//     indexed (a file linked but never committed was removed by recovery);
//   - every series completed, with exactly one series-complete event per (series, version):
//     versions 1..v, none lost, none twice.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Status } from '../../src/net/dimse/status.js';
import { readInstanceFile, type InstanceFile } from '../../src/net/services/instance-file.js';
import { CompletionTracker } from '../../src/receive/completion.js';
import { listJobs, openDatabase, type Db } from '../../src/store/index.js';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { Prng } from '../helpers/prng.js';
import {
  databaseSettings,
  freePorts,
  spawnNiffler,
  writeConfig,
  type NifflerProcess,
} from '../helpers/receiver.js';
import {
  LOCALHOST,
  makeTempDir,
  readPart10,
  removeDir,
  sleep,
  StoreScu,
} from '../helpers/scp-harness.js';
import { CT_SMALL, writeStudySet } from '../helpers/variants.js';

const INSTANCES = 2000;
const ASSOCIATIONS = 4;
const KILLS = 8;

for (const dialect of DIALECTS) {
  describe(`crash test: SIGKILL during ingest (${dialect})`, () => {
    let work: string;
    let root: string;
    let t: TestDatabase | undefined;
    let configFile: string;
    let files: InstanceFile[];
    let child: NifflerProcess | undefined;
    const seed = Number(process.env['NIFFLER_CRASH_SEED'] ?? Date.now() % 1e9);

    before(async () => {
      work = await makeTempDir(`crash-${dialect}`);
      root = path.join(work, 'root');
      mkdirSync(path.join(work, 'variants'));
      // 20 series of 100 instances (patients x series): completion has work to do.
      const set = writeStudySet(CT_SMALL, path.join(work, 'variants'), {
        root: 9000 + (dialect === 'sqlite' ? 1 : 2),
        patients: 10,
        studies: 1,
        series: 2,
        instances: INSTANCES / 20,
      });
      files = await Promise.all(set.map((s) => readInstanceFile(s.file)));
      if (dialect === 'postgres') t = await openTestDatabase('postgres', 'crash');
      const ports = await freePorts();
      configFile = (
        await writeConfig(work, {
          dicom: { port: ports.port, host: LOCALHOST },
          storage: { root },
          database: t === undefined ? { url: null } : databaseSettings(t),
          completion: { quietSeconds: 1 },
          http: { enabled: false },
          logging: { level: 'warn' },
        })
      ).file;
      portsOf = ports;
    });
    let portsOf: { port: number; httpPort: number };

    after(async () => {
      await child?.tool.stop();
      await t?.drop();
      if (work !== undefined) await removeDir(work);
    });

    it(`loses nothing acknowledged over ${KILLS} kills`, async (ctx) => {
      ctx.diagnostic(`seed ${seed} (NIFFLER_CRASH_SEED reproduces the kill times)`);
      const prng = new Prng(seed);
      const acked = new Set<string>();
      const queue = [...files];
      let kills = 0;
      let done = false;
      child = await spawnNiffler(configFile, portsOf);

      const sender = async (n: number): Promise<void> => {
        while (queue.length > 0 || !done) {
          if (queue.length === 0) {
            await sleep(50);
            continue;
          }
          let scu: StoreScu;
          try {
            scu = await StoreScu.open(
              {
                host: LOCALHOST,
                port: portsOf.port,
                calledAeTitle: 'NIFFLER',
                callingAeTitle: `SENDER${n}`,
              },
              files.slice(0, 1),
            );
          } catch {
            await sleep(100); // the receiver is down: it is being restarted
            continue;
          }
          try {
            for (let i = 0; i < 50 && queue.length > 0; i++) {
              const file = queue.shift()!;
              // A kill during the store ends the association: as with a failure status, the
              // object is not acknowledged and is sent again on the next association.
              const status = await scu.store(file).catch(() => undefined);
              if (status === Status.Success) acked.add(file.sopInstanceUid);
              else {
                queue.push(file); // not acknowledged: send it again later
                break;
              }
            }
          } finally {
            await Promise.race([scu.release().catch(() => undefined), sleep(2000)]);
          }
        }
      };

      const killer = async (): Promise<void> => {
        // Every kill happens, even one that comes after the last acknowledgement: killing an
        // idle receiver is still a crash to recover from, and a fast machine must not make the
        // count fall short.
        while (kills < KILLS) {
          // The kills are spread over the ingest by acknowledged count, each at a random moment
          // after its mark: spaced by time alone, they could not keep up with a receiver that
          // restarts faster (the CLI loads only what `start` needs) and took every object first.
          const mark = Math.floor(((kills + 1) * files.length) / (KILLS + 1));
          await waitUntil(
            () => acked.size >= mark,
            150_000,
            () => `${acked.size}/${files.length} acknowledged, waiting for ${mark}`,
          );
          await sleep(prng.range(0, 300));
          const running = child!;
          running.tool.child.kill('SIGKILL');
          await running.tool.done;
          kills++;
          child = await spawnNiffler(configFile, portsOf);
        }
      };

      const senders = Array.from({ length: ASSOCIATIONS }, (_, n) => sender(n));
      await killer();
      await waitUntil(
        () => acked.size === files.length,
        150_000,
        () => `${acked.size}/${files.length} acknowledged`,
      );
      done = true;
      await Promise.all(senders);
      assert.equal(kills, KILLS, `${kills} kills during ${acked.size} stores`);

      // A clean stop (SIGTERM), after recovery ran at the last restart.
      const stopped = await child.tool.stop(15_000);
      assert.equal(stopped.code, 0, `clean shutdown: ${stopped.stderr.slice(-2000)}`);
      child = undefined;

      const db: Db = await openDatabase(
        t === undefined
          ? { url: path.join(root, 'index.sqlite') }
          : { url: t.url, schema: t.schema! },
      );
      try {
        // Every acknowledged instance: one row, its file on disk with the bytes sent.
        const rows = await db.kysely
          .selectFrom('instances')
          .select(['sop_instance_uid', 'copy_number', 'path'])
          .execute();
        const bySop = new Map<string, { path: string }[]>();
        for (const row of rows)
          bySop.set(row.sop_instance_uid, [...(bySop.get(row.sop_instance_uid) ?? []), row]);
        for (const file of files) {
          const copies = bySop.get(file.sopInstanceUid) ?? [];
          assert.equal(copies.length, 1, `${file.sopInstanceUid} indexed ${copies.length} times`);
          const stored = readPart10(path.join(root, copies[0]!.path));
          assert.ok(
            stored.datasetBytes.equals(readFileSync(file.path).subarray(file.datasetOffset)),
            `${file.sopInstanceUid}: byte-identical`,
          );
        }
        assert.equal(rows.length, files.length, 'no row for anything not sent');
        // Nothing temporary, partial or unindexed under the root.
        const indexedPaths = new Set(rows.map((r) => r.path));
        const onDisk = walk(root).filter((f) => !f.startsWith('index.sqlite'));
        const stray = onDisk.filter((f) => !indexedPaths.has(f));
        assert.deepEqual(
          stray.slice(0, 10),
          [],
          `${stray.length} files under the root are not indexed`,
        );
        assert.equal(onDisk.length, files.length, 'one file per instance');
        // Series events: complete what is still open (quiet by now), then check each series.
        await new CompletionTracker({
          db,
          quietSeconds: 1,
          useExpectedCounts: true,
          maxAttempts: 5,
          clock: () => Date.now() + 5_000,
        }).runOnce();
        const completions = await db.kysely.selectFrom('series_completion').selectAll().execute();
        assert.equal(completions.length, 20, 'twenty series');
        const jobs = await listJobs(db.kysely, { kind: 'series-complete' });
        for (const c of completions) {
          assert.equal(c.state, 'complete', `${c.series_instance_uid} complete`);
          assert.equal(
            c.instance_count,
            INSTANCES / 20,
            `${c.series_instance_uid}: every instance counted once`,
          );
          const keys = jobs
            .filter((j) => j.seriesInstanceUid === c.series_instance_uid)
            .map((j) => j.jobKey)
            .sort();
          const expected = Array.from(
            { length: c.version },
            (_, v) => `series-complete:${c.series_instance_uid}:${v + 1}`,
          ).sort();
          assert.deepEqual(
            keys,
            expected,
            `${c.series_instance_uid}: one event per version, none lost`,
          );
        }
        ctx.diagnostic(
          `${files.length} instances, ${kills} kills; series versions: ${completions.map((c) => c.version).join(',')}`,
        );
      } finally {
        await db.close();
      }
    });
  });
}

async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await sleep(100);
  }
}

/** Files under `root`, relative, '/'-separated (the temporary area included: it must be empty). */
function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  visit(root);
  return out.sort();
}
