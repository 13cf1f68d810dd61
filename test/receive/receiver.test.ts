// The receiver (src/receive/receiver.ts) on SQLite and on PostgreSQL: storing and indexing with
// featuresets, duplicates, series completion with amended versions (a fake clock drives the
// rounds: no sleeps), retention by age, C-FIND/C-MOVE/C-GET served from the index to DCMTK
// findscu, movescu and getscu, access control, and logs without PHI.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Status } from '../../src/net/dimse/status.js';
import { readInstanceFile } from '../../src/net/services/instance-file.js';
import { Retention } from '../../src/receive/retention.js';
import { featuresetRows, findSeries, indexSummary, listJobs } from '../../src/store/index.js';
import { DIALECTS } from '../helpers/databases.js';
import { startTestReceiver, type TestReceiver } from '../helpers/receiver.js';
import {
  describeResult,
  filesBySopInstance,
  LOCALHOST,
  makeTempDir,
  readPart10,
  removeDir,
  runTool,
  startStorescp,
  StoreScu,
  type RunningStorescp,
} from '../helpers/scp-harness.js';
import { CT_SMALL, writeStudySet, writeVariant, type Identity } from '../helpers/variants.js';

const DAY = 86_400_000;

async function send(
  port: number,
  files: readonly string[],
  callingAeTitle = 'MODALITY',
): Promise<number[]> {
  const outgoing = await Promise.all(files.map((f) => readInstanceFile(f)));
  const scu = await StoreScu.open(
    { host: LOCALHOST, port, calledAeTitle: 'NIFFLER', callingAeTitle },
    outgoing,
  );
  const statuses: number[] = [];
  try {
    for (const file of outgoing) statuses.push(await scu.store(file));
  } finally {
    await scu.release();
  }
  return statuses;
}

/** Every file under root, relative, except the index and the temporary area. */
function storedFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.niffler-tmp' || entry.name.startsWith('index.sqlite')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

for (const dialect of DIALECTS) {
  describe(`receiver (${dialect})`, () => {
    let work: string;
    let now = Date.UTC(2026, 2, 1, 12, 0, 0);
    let r: TestReceiver;
    let moveDestination: RunningStorescp;
    let set: { file: string; identity: Identity }[];

    before(async () => {
      work = await makeTempDir(`receiver-${dialect}`);
      mkdirSync(path.join(work, 'movedest'));
      mkdirSync(path.join(work, 'variants'));
      moveDestination = await startStorescp({
        aeTitle: 'MOVEDEST',
        directory: path.join(work, 'movedest'),
      });
      // 2 patients x 1 study x 2 series x 3 instances.
      set = writeStudySet(CT_SMALL, path.join(work, 'variants'), {
        root: 7001,
        patients: 2,
        studies: 1,
        series: 2,
        instances: 3,
      });
      r = await startTestReceiver({
        dialect,
        label: 'receiver',
        clock: () => now,
        settings: {
          completion: { quietSeconds: 60 },
          retention: { policy: 'age', maxAgeDays: 1 },
          dicom: {
            queryRetrieve: {
              allowedPeers: ['FINDSCU', 'MOVESCU', 'GETSCU'].map((aeTitle) => ({
                aeTitle,
                host: LOCALHOST,
              })),
              moveDestinations: {
                MOVEDEST: { host: LOCALHOST, port: moveDestination.port },
              },
            },
          },
        },
      });
    });

    after(async () => {
      await r?.stop();
      await moveDestination?.tool.stop();
      if (work !== undefined) await removeDir(work);
    });

    it('stores, indexes with the header as JSON, and fills featuresets once per series', async () => {
      const statuses = await send(
        r.port,
        set.map((s) => s.file),
      );
      assert.deepEqual(
        statuses,
        set.map(() => Status.Success),
        'all stored',
      );
      const summary = await indexSummary(r.t.db.kysely);
      assert.deepEqual(
        [summary.patients, summary.studies, summary.series, summary.instances],
        [2, 2, 4, 12],
        'index counts',
      );
      const files = storedFiles(r.root);
      assert.equal(files.length, 12, 'twelve files');
      for (const { file, identity } of set) {
        const relative = `${identity.patientId}/${identity.studyInstanceUid}/${identity.seriesInstanceUid}/${identity.sopInstanceUid}.dcm`;
        assert.ok(files.includes(relative), `${relative} stored at its template path`);
        assert.ok(
          readPart10(path.join(r.root, relative)).datasetBytes.equals(
            readPart10(file).datasetBytes,
          ),
          `${relative}: byte-identical data set`,
        );
      }
      const row = await r.t.db.kysely
        .selectFrom('instances')
        .select(['header_json', 'calling_ae', 'size_bytes'])
        .where('sop_instance_uid', '=', set[0]!.identity.sopInstanceUid)
        .executeTakeFirstOrThrow();
      const header = (
        typeof row.header_json === 'string' ? JSON.parse(row.header_json) : row.header_json
      ) as Record<string, { Value?: unknown[] }>;
      assert.deepEqual(
        header['00100020']?.Value,
        [set[0]!.identity.patientId],
        'PatientID in JSON',
      );
      assert.equal(row.calling_ae, 'MODALITY', 'calling AE recorded');
      const rows = await featuresetRows(r.t.db.kysely, 'featureset');
      assert.equal(rows.length, 4, 'one featureset row per series (series mode)');
      const first = rows.find((x) => x.seriesInstanceUid === set[0]!.identity.seriesInstanceUid);
      assert.equal(first?.values['PatientID'], set[0]!.identity.patientId, 'PatientID as text');
      assert.equal(typeof first?.values['SliceThickness'], 'number', 'SliceThickness a number');
    });

    it('keeps the first copy of a duplicate and discards the second', async () => {
      const { file, identity } = set[0]!;
      const changed = writeVariant(CT_SMALL, path.join(work, 'dup.dcm'), {
        ...identity,
        patientName: 'CHANGED^NAME',
      });
      assert.deepEqual(await send(r.port, [changed]), [Status.Success], 'acknowledged');
      const files = storedFiles(r.root);
      assert.equal(files.length, 12, 'no extra file kept');
      const relative = `${identity.patientId}/${identity.studyInstanceUid}/${identity.seriesInstanceUid}/${identity.sopInstanceUid}.dcm`;
      assert.ok(
        readPart10(path.join(r.root, relative)).datasetBytes.equals(readPart10(file).datasetBytes),
        'the first copy is untouched',
      );
      assert.equal((await indexSummary(r.t.db.kysely)).instances, 12, 'still twelve rows');
    });

    it('completes each series once after the quiet period; a late instance amends it', async () => {
      await r.receiver.runLoopsOnce();
      assert.equal(
        (await listJobs(r.t.db.kysely, { kind: 'series-complete' })).length,
        0,
        'nothing completes before the quiet period',
      );
      now += 61_000;
      await r.receiver.runLoopsOnce();
      const jobs = await listJobs(r.t.db.kysely, { kind: 'series-complete' });
      assert.equal(jobs.length, 4, 'four series complete');
      assert.ok(
        jobs.every((j) => j.state === 'done'),
        'their jobs ran (no pipeline: done)',
      );
      await r.receiver.runLoopsOnce();
      assert.equal(
        (await listJobs(r.t.db.kysely, { kind: 'series-complete' })).length,
        4,
        'another round fires nothing again',
      );
      const late = set[0]!.identity;
      const lateFile = writeVariant(CT_SMALL, path.join(work, 'late.dcm'), {
        ...late,
        sopInstanceUid: `${late.seriesInstanceUid}.99`,
        instanceNumber: 99,
      });
      assert.deepEqual(await send(r.port, [lateFile]), [Status.Success], 'late instance stored');
      now += 61_000;
      await r.receiver.runLoopsOnce();
      const keys = (await listJobs(r.t.db.kysely, { kind: 'series-complete' }))
        .filter((j) => j.seriesInstanceUid === late.seriesInstanceUid)
        .map((j) => j.jobKey);
      assert.deepEqual(
        keys,
        [
          `series-complete:${late.seriesInstanceUid}:1`,
          `series-complete:${late.seriesInstanceUid}:2`,
        ],
        'version 1, then the amended version 2',
      );
    });

    it('answers findscu at every level, for allowed peers only', async () => {
      const study = set[0]!.identity;
      const studies = await find('FINDSCU', [
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        'StudyInstanceUID',
        '-k',
        'PatientID',
        '-k',
        'NumberOfStudyRelatedInstances',
        '-k',
        'ModalitiesInStudy',
      ]);
      assert.equal(studies.length, 2, 'two studies');
      const mine = studies.find((s) => s.includes(study.studyInstanceUid));
      assert.ok(mine !== undefined, 'our study is listed');
      assert.match(
        mine,
        /\[7\][^\n]*NumberOfStudyRelatedInstances/,
        'seven instances (six + late)',
      );
      assert.match(mine, /\[CT\][^\n]*ModalitiesInStudy/, 'modalities');
      const series = await find('FINDSCU', [
        '-S',
        '-k',
        'QueryRetrieveLevel=SERIES',
        '-k',
        `StudyInstanceUID=${study.studyInstanceUid}`,
        '-k',
        'SeriesInstanceUID',
      ]);
      assert.equal(series.length, 2, 'two series in the study');
      const images = await find('FINDSCU', [
        '-S',
        '-k',
        'QueryRetrieveLevel=IMAGE',
        '-k',
        `SeriesInstanceUID=${study.seriesInstanceUid}`,
        '-k',
        'SOPInstanceUID',
      ]);
      assert.equal(images.length, 4, 'four instances in the amended series');
      const patients = await find('FINDSCU', [
        '-P',
        '-k',
        'QueryRetrieveLevel=PATIENT',
        '-k',
        'PatientID=PAT7001*',
        '-k',
        'PatientName',
      ]);
      assert.equal(patients.length, 2, 'patient root, wildcard');
      const refused = await runTool('findscu', [
        '-v',
        '-aet',
        'STRANGER',
        '-aec',
        'NIFFLER',
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        'StudyInstanceUID',
        LOCALHOST,
        String(r.port),
      ]);
      assert.match(refused.stdout + refused.stderr, /Status: 0x124\b/, describeResult(refused));
    });

    it('sends a study with movescu and a series with getscu, byte-identical', async () => {
      const study = set[6]!.identity;
      const series = set[9]!.identity;
      const moved = await runTool('movescu', [
        '-v',
        '-aet',
        'MOVESCU',
        '-aec',
        'NIFFLER',
        '-aem',
        'MOVEDEST',
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study.studyInstanceUid}`,
        LOCALHOST,
        String(r.port),
      ]);
      assert.equal(moved.code, 0, describeResult(moved));
      assert.match(
        moved.stdout + moved.stderr,
        /Final Move Response \(Success\)/,
        describeResult(moved),
      );
      const received = filesBySopInstance(moveDestination.directory);
      const inStudy = set.filter((s) => s.identity.studyInstanceUid === study.studyInstanceUid);
      for (const { file, identity } of inStudy) {
        const got = received.get(identity.sopInstanceUid);
        assert.ok(got !== undefined, `${identity.sopInstanceUid} moved`);
        assert.ok(got.datasetBytes.equals(readPart10(file).datasetBytes), 'identical');
      }
      const out = path.join(work, `get-${dialect}`);
      mkdirSync(out);
      const got = await runTool('getscu', [
        '-v',
        '-od',
        out,
        '-aet',
        'GETSCU',
        '-aec',
        'NIFFLER',
        '-S',
        '-k',
        'QueryRetrieveLevel=SERIES',
        '-k',
        `SeriesInstanceUID=${series.seriesInstanceUid}`,
        LOCALHOST,
        String(r.port),
      ]);
      assert.equal(got.code, 0, describeResult(got));
      const files = filesBySopInstance(out);
      assert.equal(files.size, 3, `three instances came back: ${describeResult(got)}`);
    });

    it('purges series by age once their jobs are done; rows stay, folders go', async () => {
      now += 2 * DAY;
      await r.receiver.runLoopsOnce();
      assert.deepEqual(storedFiles(r.root), [], 'every file deleted');
      const left = readdirSync(r.root).filter(
        (n) => n !== '.niffler-tmp' && !n.startsWith('index.sqlite'),
      );
      assert.deepEqual(left, [], 'emptied folders removed up to the root');
      const summary = await indexSummary(r.t.db.kysely);
      assert.equal(summary.instances, 13, 'the rows stay');
      assert.equal(summary.purgedInstances, 13, 'all marked purged');
      assert.equal(
        (await findSeries(r.t.db.kysely, {})).length,
        0,
        'purged series answer no query',
      );
      const rows = await featuresetRows(r.t.db.kysely, 'featureset3');
      assert.equal(rows.length, 4, 'featureset rows stay');
    });

    it('a purged instance sent again while its purge still deletes files keeps its file', async () => {
      // A purge interrupted before its files were all deleted (a crash, or another receiver
      // still at it): the series is back in the journal.
      const { identity } = set[0]!;
      await r.t.db.kysely
        .updateTable('series')
        .set({ files_removed_at: null })
        .where('series_instance_uid', '=', identity.seriesInstanceUid)
        .execute();
      // Another receiver's round lists the pending purge; before it deletes, the PACS sends the
      // purged instance again: it takes its old name (the old file is gone) and is acknowledged.
      const other = new Retention({
        db: r.t.db,
        root: r.root,
        policy: 'none',
        nightlyAt: 0,
        disk: r.receiver.disk,
        clock: () => now,
      });
      const statuses: number[] = [];
      const inner = other as unknown as { removeFiles: (of: unknown) => Promise<number> };
      const removeFiles = inner.removeFiles.bind(other);
      inner.removeFiles = async (of) => {
        // The only pending purge is this series': its first removal is the moment.
        if (statuses.length === 0) statuses.push(...(await send(r.port, [set[0]!.file])));
        return removeFiles(of);
      };
      await other.finishPending();
      assert.deepEqual(statuses, [Status.Success], 'the copy was acknowledged');
      const row = await r.t.db.kysely
        .selectFrom('instances')
        .select(['path', 'purged_at'])
        .where('sop_instance_uid', '=', identity.sopInstanceUid)
        .executeTakeFirstOrThrow();
      assert.equal(row.purged_at, null, 'the row is live again');
      // Before the fix the round deleted the paths it had listed, this one's new file among them.
      assert.ok(existsSync(path.join(r.root, row.path)), `${row.path} is on disk`);
    });

    it('writes no patient data into its logs', () => {
      assert.ok(r.logs.length > 10, `${r.logs.length} log lines`);
      const text = r.logs.join('\n');
      for (const { identity } of set) {
        for (const value of [
          identity.patientId,
          identity.sopInstanceUid,
          identity.seriesInstanceUid,
          identity.studyInstanceUid,
        ]) {
          assert.ok(!text.includes(value), `${value} appears in the logs`);
        }
      }
      assert.ok(!text.includes('TEST^PATIENT'), 'no patient names');
      assert.ok(
        r.logs.every((l) => JSON.parse(l) !== null),
        'every line is JSON',
      );
    });

    /** findscu -X responses (one dcmdump text per response). */
    async function find(callingAe: string, keys: string[]): Promise<string[]> {
      const out = await makeTempDir('find');
      try {
        const result = await runTool('findscu', [
          '-X',
          '-od',
          out,
          '-aet',
          callingAe,
          '-aec',
          'NIFFLER',
          ...keys,
          LOCALHOST,
          String(r.port),
        ]);
        assert.equal(result.code, 0, describeResult(result));
        const dumps: string[] = [];
        for (const name of readdirSync(out).sort()) {
          const dump = await runTool('dcmdump', ['-q', path.join(out, name)]);
          dumps.push(dump.stdout);
        }
        return dumps;
      } finally {
        await removeDir(out);
      }
    }
  });
}
