// Two `niffler start` processes (the built CLI) on one PostgreSQL database and one storage root,
// as behind a TCP load balancer: every series is split between them instance by instance, and
// some instances are sent to both at once. Both receive; each instance is indexed once; each
// series completes once (one series-complete event per version) and each event's job runs once
// though both job runners compete for it; `niffler status` reports; both stop cleanly.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Status } from '../../src/net/dimse/status.js';
import { readInstanceFile, type InstanceFile } from '../../src/net/services/instance-file.js';
import { TEMP_ROOT } from '../../src/receive/temp-area.js';
import { listJobs } from '../../src/store/index.js';
import { openTestDatabase, type TestDatabase } from '../helpers/databases.js';
import {
  databaseSettings,
  freePorts,
  spawnNiffler,
  writeConfig,
  type NifflerProcess,
} from '../helpers/receiver.js';
import {
  describeResult,
  LOCALHOST,
  makeTempDir,
  NIFFLER_BIN,
  removeDir,
  runTool,
  sleep,
  StoreScu,
} from '../helpers/scp-harness.js';
import { CT_SMALL, writeStudySet } from '../helpers/variants.js';

describe('two receivers on one PostgreSQL and one storage root', () => {
  let work: string;
  let root: string;
  let t: TestDatabase;
  const configs: string[] = [];
  const receivers: NifflerProcess[] = [];
  let files: InstanceFile[];

  before(async () => {
    work = await makeTempDir('two-receivers');
    root = path.join(work, 'root');
    mkdirSync(path.join(work, 'variants'));
    files = await Promise.all(
      writeStudySet(CT_SMALL, path.join(work, 'variants'), {
        root: 9100,
        patients: 3,
        studies: 1,
        series: 2,
        instances: 20,
      }).map((v) => readInstanceFile(v.file)),
    );
    t = await openTestDatabase('postgres', 'two');
    for (let i = 0; i < 2; i++) {
      const ports = await freePorts();
      const { file } = await writeConfig(work, {
        dicom: { port: ports.port, host: LOCALHOST },
        storage: { root },
        database: databaseSettings(t),
        completion: { quietSeconds: 2 },
        http: { port: ports.httpPort },
        logging: { level: 'warn' },
      });
      configs.push(file);
      receivers.push(await spawnNiffler(file, ports));
    }
  });

  after(async () => {
    for (const r of receivers) await r.tool.stop();
    await t?.drop();
    if (work !== undefined) await removeDir(work);
  });

  it('both receive; instances, completions and jobs stay exactly once', async () => {
    // Instance k goes to receiver k % 2; every fifth also to the other one, at the same time.
    const toA = files.filter((_, k) => k % 2 === 0 || k % 5 === 0);
    const toB = files.filter((_, k) => k % 2 === 1 || k % 5 === 0);
    const [a, b] = await Promise.all([
      send(receivers[0]!, toA, 'SENDERA'),
      send(receivers[1]!, toB, 'SENDERB'),
    ]);
    assert.ok(
      a.every((s) => s === Status.Success),
      `A: ${a.join(',')}`,
    );
    assert.ok(
      b.every((s) => s === Status.Success),
      `B: ${b.join(',')}`,
    );

    const rows = await t.db.kysely
      .selectFrom('instances')
      .select(['sop_instance_uid', 'path', 'calling_ae'])
      .execute();
    assert.equal(rows.length, files.length, 'each instance indexed once');
    assert.equal(new Set(rows.map((r) => r.sop_instance_uid)).size, files.length, 'no UID twice');
    assert.deepEqual(
      [...new Set(rows.map((r) => r.calling_ae))].sort(),
      ['SENDERA', 'SENDERB'],
      'both receivers indexed',
    );
    assert.equal(walk(root).length, files.length, 'one file per instance (duplicates discarded)');

    // Completion: both processes look every 0.5 s; wait for all six series (2 s quiet).
    // A stall over the quiet period inside a series completes it early, then again (version
    // 2): wait until every series is complete and each of its versions' jobs is done.
    await waitFor(async () => {
      const jobs = await listJobs(t.db.kysely, { kind: 'series-complete' });
      const series = await t.db.kysely.selectFrom('series_completion').selectAll().execute();
      return (
        series.length === 6 &&
        series.every(
          (c) =>
            c.state === 'complete' &&
            jobs.filter((j) => j.seriesInstanceUid === c.series_instance_uid && j.state === 'done')
              .length === c.version,
        )
      );
    }, 30_000);
    const completions = await t.db.kysely.selectFrom('series_completion').selectAll().execute();
    assert.equal(completions.length, 6, 'six series');
    const jobs = await listJobs(t.db.kysely, { kind: 'series-complete' });
    for (const c of completions) {
      assert.equal(c.state, 'complete', 'complete');
      assert.equal(c.instance_count, 20, 'twenty instances counted once');
      const mine = jobs.filter((j) => j.seriesInstanceUid === c.series_instance_uid);
      assert.equal(mine.length, c.version, `${c.series_instance_uid}: one event per version`);
      assert.ok(
        mine.every((j) => j.attempts === 1),
        'each job ran once',
      );
    }

    const status = await runTool(process.execPath, [
      NIFFLER_BIN,
      'status',
      '--config',
      configs[0]!,
      '--json',
    ]);
    assert.equal(status.code, 0, describeResult(status));
    const report = JSON.parse(status.stdout) as { running: boolean; index: { instances: number } };
    assert.equal(report.running, true, 'status sees the receiver running');
    assert.equal(report.index.instances, files.length, 'status counts the index');

    for (const r of receivers.splice(0)) {
      const result = await r.tool.stop(15_000);
      assert.equal(result.code, 0, `clean shutdown: ${result.stderr.slice(-1000)}`);
    }
    const after = await runTool(process.execPath, [NIFFLER_BIN, 'status', '--config', configs[0]!]);
    assert.equal(after.code, 3, `status exits 3 when nothing runs: ${describeResult(after)}`);
    assert.match(after.stdout, /not running/, 'and says so');
  });
});

async function send(
  receiver: NifflerProcess,
  files: readonly InstanceFile[],
  callingAeTitle: string,
): Promise<number[]> {
  const scu = await StoreScu.open(
    { host: LOCALHOST, port: receiver.port, calledAeTitle: 'NIFFLER', callingAeTitle },
    files,
  );
  const statuses: number[] = [];
  try {
    for (const file of files) statuses.push(await scu.store(file));
  } finally {
    await scu.release();
  }
  return statuses;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the series to complete');
    await sleep(200);
  }
}

function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      // Temporary names are removed just after each Success, in the background.
      if (entry.isDirectory()) {
        if (entry.name !== TEMP_ROOT) visit(full);
      } else out.push(full);
    }
  };
  visit(root);
  return out;
}
