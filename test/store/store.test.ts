// The store layer (src/store) on both dialects: migrations, indexing under each duplicate
// policy, series completion (exactly once, amended versions, expected counts), the job queue
// (claims, retries with backoff, dead letters, lost workers), retention bookkeeping, featureset
// rows and views, and the index queries behind C-FIND/C-MOVE/C-GET.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  claim,
  complete,
  completeSeries,
  dueSeries,
  enqueue,
  ensureFeatureset,
  expectSeries,
  fail,
  featuresetRows,
  findInstances,
  findPatients,
  findSeries,
  findStudies,
  getCompletion,
  getJob,
  indexInstance,
  insertFeaturesetRow,
  instancesFor,
  jobCounts,
  JobError,
  JobRunner,
  listJobs,
  lockPurgedPaths,
  markFilesRemoved,
  markPurged,
  openDatabase,
  pendingRemovals,
  purgeableSeries,
  requeueStale,
  retryDead,
  StoreError,
  type DuplicatePolicy,
  type InstanceRecord,
} from '../../src/store/index.js';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../helpers/databases.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

function record(n: number, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    patientId: 'PID1',
    patientName: 'DOE^JANE',
    studyInstanceUid: '1.2.3.1',
    studyDate: '20260105',
    accessionNumber: 'ACC1',
    seriesInstanceUid: '1.2.3.1.1',
    modality: 'CT',
    seriesNumber: 1,
    sopInstanceUid: `1.2.3.1.1.${n}`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    instanceNumber: n,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    callingAe: 'MODALITY',
    receivedAt: T0 + n * 1000,
    path: `PID1/1.2.3.1/1.2.3.1.1/1.2.3.1.1.${n}.dcm`,
    sizeBytes: 1000 + n,
    header: { '00100020': { vr: 'LO', Value: ['PID1'] } },
    ...overrides,
  };
}

for (const dialect of DIALECTS) {
  describe(`store (${dialect})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(dialect, 'store');
    });
    after(async () => {
      await t?.drop();
    });

    async function index(r: InstanceRecord, policy: DuplicatePolicy = 'keep-first') {
      return t.db.transaction((tx) => indexInstance(tx, r, policy));
    }

    it('migrates once: a second open finds nothing to apply', async () => {
      const again = await openDatabase({
        url: t.url,
        ...(t.schema !== undefined && { schema: t.schema }),
      });
      try {
        assert.deepEqual(await again.migrate(), [], 'no migration left to apply');
      } finally {
        await again.close();
      }
    });

    it('indexes patient, study, series and instance with the header as JSON', async () => {
      const result = await index(record(1));
      assert.equal(result.outcome, 'inserted', 'first copy inserted');
      assert.equal(result.firstOfSeries, true, 'first of its series');
      assert.equal(result.seriesVersion, 1, 'version 1');
      const second = await index(record(2, { patientName: null, modality: null }));
      assert.equal(second.firstOfSeries, false, 'second is not first');
      const [study] = await findStudies(t.db.kysely, { StudyInstanceUID: '1.2.3.1' });
      assert.ok(study !== undefined, 'the study is found');
      assert.equal(study.PatientName, 'DOE^JANE', 'a missing value does not blank a known one');
      assert.deepEqual(study.ModalitiesInStudy, ['CT'], 'modalities');
      assert.equal(study.NumberOfStudyRelatedInstances, 2, 'two instances');
      const [instance] = await findInstances(
        t.db.kysely,
        { SOPInstanceUID: '1.2.3.1.1.1' },
        { includeHeader: true },
      );
      assert.deepEqual(
        instance?.header,
        { '00100020': { vr: 'LO', Value: ['PID1'] } },
        'the header comes back as JSON',
      );
    });

    it('refuses a record without its UIDs (BAD_RECORD)', async () => {
      await assert.rejects(
        index(record(3, { seriesInstanceUid: ' ' })),
        (error: unknown) => error instanceof StoreError && error.code === 'BAD_RECORD',
        'BAD_RECORD',
      );
    });

    it('applies each duplicate policy', async () => {
      const base = { studyInstanceUid: '1.2.9', seriesInstanceUid: '1.2.9.1' };
      const first = await index(record(1, { ...base, sopInstanceUid: '9.1', path: 'a.dcm' }));
      assert.equal(first.outcome, 'inserted', 'inserted');
      const kept = await index(record(1, { ...base, sopInstanceUid: '9.1', path: 'b.dcm' }));
      assert.equal(kept.outcome, 'duplicate-kept-first', 'keep-first');
      assert.equal(kept.previousPath, 'a.dcm', 'the kept file');
      const replaced = await index(
        record(1, { ...base, sopInstanceUid: '9.1', path: 'c.dcm' }),
        'replace',
      );
      assert.equal(replaced.outcome, 'replaced', 'replace');
      assert.equal(replaced.previousPath, 'a.dcm', 'the file replaced');
      const both = await index(
        record(1, { ...base, sopInstanceUid: '9.1', path: 'd.dcm' }),
        'keep-both',
      );
      assert.equal(both.outcome, 'kept-both', 'keep-both');
      assert.equal(both.copyNumber, 1, 'second copy');
      const rows = await instancesFor(t.db.kysely, 'IMAGE', ['9.1']);
      assert.deepEqual(
        rows.map((r) => [r.copyNumber, r.path]),
        [
          [0, 'c.dcm'],
          [1, 'd.dcm'],
        ],
        'two rows: the replaced copy and the extra copy',
      );
      const completion = await getCompletion(t.db.kysely, '1.2.9.1');
      assert.equal(completion?.instanceCount, 2, 'keep-first and replace do not count twice');
    });

    it('completes a series after its quiet period, exactly once, then amends it', async () => {
      const uid = '1.2.5.1';
      for (const n of [1, 2, 3]) {
        await index(
          record(n, {
            studyInstanceUid: '1.2.5',
            seriesInstanceUid: uid,
            sopInstanceUid: `5.${n}`,
          }),
        );
      }
      const last = T0 + 3000;
      assert.equal(
        (await dueSeries(t.db.kysely, last + 59_000, 60)).some((c) => c.seriesInstanceUid === uid),
        false,
        'not due before the quiet period',
      );
      const due = await dueSeries(t.db.kysely, last + 60_000, 60);
      const mine = due.find((c) => c.seriesInstanceUid === uid);
      assert.ok(mine !== undefined, 'due after the quiet period');
      // Two receivers race to complete it.
      const results = await Promise.all(
        [0, 1].map(() =>
          t.db.transaction((tx) =>
            completeSeries(tx, uid, mine.version, last + 60_000, { quietBefore: last + 1 }),
          ),
        ),
      );
      assert.equal(results.filter((r) => r.fired).length, 1, 'exactly one fires');
      const jobs = (await listJobs(t.db.kysely, { kind: 'series-complete' })).filter(
        (j) => j.seriesInstanceUid === uid,
      );
      assert.equal(jobs.length, 1, 'one series-complete job');
      assert.deepEqual(
        jobs[0]?.payload,
        {
          seriesInstanceUid: uid,
          studyInstanceUid: '1.2.5',
          patientId: 'PID1',
          modality: 'CT',
          version: 1,
          amended: false,
          instanceCount: 3,
          firstReceivedAt: T0 + 1000,
          lastReceivedAt: last,
        },
        'the event says what completed',
      );
      const late = await index(
        record(4, { studyInstanceUid: '1.2.5', seriesInstanceUid: uid, sopInstanceUid: '5.4' }),
      );
      assert.equal(late.amended, true, 'a late instance amends the series');
      assert.equal(late.seriesVersion, 2, 'version 2');
      const again = await t.db.transaction((tx) => completeSeries(tx, uid, 2, last + 200_000));
      assert.equal(again.fired, true, 'version 2 completes');
      const keys = (await listJobs(t.db.kysely, { kind: 'series-complete' }))
        .filter((j) => j.seriesInstanceUid === uid)
        .map((j) => j.jobKey);
      assert.deepEqual(
        keys,
        [`series-complete:${uid}:1`, `series-complete:${uid}:2`],
        'one per version',
      );
    });

    it('completes on the expected count, from a header or from the PACS', async () => {
      const byHeader = '1.2.6.1';
      await index(
        record(1, { seriesInstanceUid: byHeader, sopInstanceUid: '6.1', expectedInstances: 2 }),
      );
      assert.equal(
        (await dueSeries(t.db.kysely, T0, 3600)).some((c) => c.seriesInstanceUid === byHeader),
        false,
        'one of two: not due',
      );
      await index(record(2, { seriesInstanceUid: byHeader, sopInstanceUid: '6.2' }));
      assert.ok(
        (await dueSeries(t.db.kysely, T0, 3600)).some((c) => c.seriesInstanceUid === byHeader),
        'two of two: due at once',
      );
      const byPacs = '1.2.7.1';
      await expectSeries(t.db.kysely, byPacs, 1, T0);
      assert.equal((await getCompletion(t.db.kysely, byPacs))?.state, 'expected', 'expected');
      assert.equal(
        (await dueSeries(t.db.kysely, T0 + 1e9, 60)).some((c) => c.seriesInstanceUid === byPacs),
        false,
        'an expected series with no instance never completes on quiet',
      );
      const first = await index(
        record(1, { seriesInstanceUid: byPacs, sopInstanceUid: '7.1', expectedInstances: 5 }),
      );
      assert.equal(first.firstOfSeries, true, 'first of the series');
      const completion = await getCompletion(t.db.kysely, byPacs);
      assert.equal(completion?.state, 'open', 'open');
      assert.equal(completion?.expectedCount, 1, "the PACS's count wins over the header's");
      assert.ok(
        (await dueSeries(t.db.kysely, T0, 3600)).some((c) => c.seriesInstanceUid === byPacs),
        'due',
      );
    });

    it('queues jobs: idempotent keys, claims without overlap, backoff, dead letters', async () => {
      const now = T0;
      const a = await enqueue(
        t.db.kysely,
        { queue: 'q', payload: { n: 1 }, jobKey: 'k1', maxAttempts: 2 },
        now,
      );
      const b = await enqueue(t.db.kysely, { queue: 'q', payload: { n: 2 }, jobKey: 'k1' }, now);
      assert.equal(b.created, false, 'same key: not created');
      assert.equal(b.id, a.id, 'same job');
      for (let i = 0; i < 9; i++) await enqueue(t.db.kysely, { queue: 'q', payload: { i } }, now);
      const [w1, w2] = await Promise.all([
        claim(t.db, 'q', 'w1', 6, now),
        claim(t.db, 'q', 'w2', 6, now),
      ]);
      const ids = [...w1, ...w2].map((j) => j.id);
      assert.equal(ids.length, 10, 'every job claimed');
      assert.equal(new Set(ids).size, 10, 'no job claimed twice');
      const job = [...w1, ...w2].find((j) => j.id === a.id)!;
      const holder = w1.includes(job) ? 'w1' : 'w2';
      assert.equal(
        await fail(t.db.kysely, job.id, 'intruder', 'x', now),
        undefined,
        'only the holder',
      );
      assert.equal(
        await fail(t.db.kysely, job.id, holder, 'boom', now, { baseMs: 1000 }),
        'failed',
        'first failure: retried later',
      );
      assert.equal((await getJob(t.db.kysely, job.id))?.runAt, now + 1000, 'backoff 1 s');
      assert.deepEqual(await claim(t.db, 'q', 'w3', 10, now + 999), [], 'not due yet');
      const [retry] = await claim(t.db, 'q', 'w3', 10, now + 1000);
      assert.equal(retry?.id, job.id, 'retried when due');
      assert.equal(retry?.attempts, 2, 'second attempt');
      assert.equal(
        await fail(t.db.kysely, job.id, 'w3', 'boom again', now + 1000),
        'dead',
        'out of attempts',
      );
      assert.equal(
        await retryDead(t.db.kysely, job.id, now + 2000),
        true,
        'an operator retries it',
      );
      const [revived] = await claim(t.db, 'q', 'w4', 1, now + 2000);
      assert.equal(revived?.id, job.id, 'claimable again');
      assert.equal(await complete(t.db.kysely, job.id, 'w4', now + 2000), true, 'done');
      // A worker that died holding jobs: they come back.
      const lost = await requeueStale(t.db.kysely, now + 1, now + 5000);
      assert.equal(lost.requeued, 9, 'the nine jobs still running are put back');
      const counts = await jobCounts(t.db.kysely);
      assert.deepEqual(
        counts.filter((c) => c.queue === 'q'),
        [
          { queue: 'q', state: 'done', count: 1 },
          { queue: 'q', state: 'pending', count: 9 },
        ],
        'counts per state',
      );
    });

    it('runs jobs with a JobRunner: retries, permanent failures, unknown kinds', async () => {
      let clock = T0 + 1e6;
      let attempts = 0;
      const events: string[] = [];
      const runner = new JobRunner({
        db: t.db,
        queue: 'runner',
        workerId: 'test-runner',
        concurrency: 4,
        clock: () => clock,
        backoff: { baseMs: 10_000 },
        handlers: {
          flaky: async () => {
            attempts++;
            if (attempts === 1) throw new Error('transient');
          },
          broken: async () => {
            throw new JobError('bad payload', { permanent: true });
          },
        },
        onEvent: (e) => events.push(`${e.kind}${'job' in e ? `:${e.job.kind}` : ''}`),
      });
      for (const kind of ['flaky', 'broken', 'mystery']) {
        await enqueue(t.db.kysely, { queue: 'runner', kind, payload: {} }, clock);
      }
      assert.equal(await runner.runOnce(), 3, 'three jobs ran');
      assert.deepEqual(events.sort(), ['dead:broken', 'dead:mystery', 'failed:flaky'], 'outcomes');
      clock += 10_000;
      assert.equal(await runner.runOnce(), 1, 'the flaky job is retried after its backoff');
      assert.ok(events.includes('done:flaky'), 'and succeeds');
      const dead = await listJobs(t.db.kysely, { queue: 'runner', state: 'dead' });
      assert.deepEqual(
        dead.map((j) => j.lastError).sort(),
        ['bad payload', 'no handler for jobs of kind mystery'],
        'dead letters say why',
      );
    });

    it('purges only complete series whose jobs are done, and keeps a journal', async () => {
      const uid = '1.2.8.1';
      await index(
        record(1, {
          studyInstanceUid: '1.2.8',
          seriesInstanceUid: uid,
          sopInstanceUid: '8.1',
          path: 'p/8.1.dcm',
        }),
      );
      assert.equal(
        (await purgeableSeries(t.db.kysely, T0 + 1e9)).some((c) => c.seriesInstanceUid === uid),
        false,
        'an open series is not purgeable',
      );
      const fired = await t.db.transaction((tx) => completeSeries(tx, uid, 1, T0 + 100_000));
      assert.ok(fired.jobId !== undefined, 'completed');
      assert.equal(
        (await purgeableSeries(t.db.kysely, T0 + 1e9)).some((c) => c.seriesInstanceUid === uid),
        false,
        'its series-complete job is not done yet',
      );
      const [job] = await claim(t.db, 'series-complete', 'w', 100, T0 + 1e9).then((jobs) =>
        jobs.filter((j) => j.seriesInstanceUid === uid),
      );
      assert.ok(job !== undefined, 'claimed');
      await complete(t.db.kysely, job.id, 'w', T0 + 1e9);
      const candidate = (await purgeableSeries(t.db.kysely, T0 + 1e9)).find(
        (c) => c.seriesInstanceUid === uid,
      );
      assert.ok(candidate !== undefined, 'purgeable once its job is done');
      const marked = await t.db.transaction((tx) =>
        markPurged(tx, uid, candidate.version, T0 + 2e9),
      );
      assert.deepEqual(marked, { purged: true, paths: ['p/8.1.dcm'] }, 'paths to delete');
      assert.deepEqual(
        (await pendingRemovals(t.db.kysely)).find((p) => p.seriesInstanceUid === uid)?.paths,
        ['p/8.1.dcm'],
        'the journal lists the files until their removal is recorded',
      );
      assert.equal(
        (await findSeries(t.db.kysely, { SeriesInstanceUID: uid })).length,
        0,
        'a purged series answers no query',
      );
      assert.deepEqual(
        (await t.db.transaction((tx) => lockPurgedPaths(tx, uid))).paths,
        ['p/8.1.dcm'],
        'what a removal deletes, read under the lock',
      );
      // A chunk at a time: a full chunk names where the next one starts, after it nothing is left.
      const first = await t.db.transaction((tx) => lockPurgedPaths(tx, uid, { limit: 1 }));
      assert.deepEqual(first, {
        paths: ['p/8.1.dcm'],
        next: { sopInstanceUid: '8.1', copyNumber: 0 },
      });
      assert.deepEqual(
        await t.db.transaction((tx) => lockPurgedPaths(tx, uid, { after: first.next, limit: 1 })),
        { paths: [] },
      );
      await markFilesRemoved(t.db.kysely, uid, T0 + 2e9, T0 + 2e9);
      assert.equal(
        (await pendingRemovals(t.db.kysely)).some((p) => p.seriesInstanceUid === uid),
        false,
        'journal cleared',
      );
      const again = await index(
        record(1, {
          studyInstanceUid: '1.2.8',
          seriesInstanceUid: uid,
          sopInstanceUid: '8.1',
          path: 'p/8.1~1.dcm',
        }),
      );
      assert.equal(again.outcome, 'restored', 'a purged instance sent again is stored again');
      assert.equal(
        again.previousPath,
        undefined,
        "the purged file is never the caller's to remove",
      );
      assert.deepEqual(
        (await t.db.transaction((tx) => lockPurgedPaths(tx, uid))).paths,
        [],
        'a restored row is no purge file any more',
      );
      assert.equal(again.seriesVersion, 2, 'as a new version of the series');
      assert.equal((await findSeries(t.db.kysely, { SeriesInstanceUID: uid })).length, 1, 'back');
    });

    it('keeps featureset rows, one view per featureset', async () => {
      await ensureFeatureset(
        t.db.kysely,
        'featureset3',
        ['PatientID', 'SliceThickness', 'ImageType'],
        T0,
      );
      await ensureFeatureset(
        t.db.kysely,
        'featureset3',
        ['PatientID', 'SliceThickness', 'ImageType'],
        T0,
      );
      await insertFeaturesetRow(
        t.db.kysely,
        {
          featureset: 'featureset3',
          seriesInstanceUid: 's1',
          sopInstanceUid: 'i1',
          values: { PatientID: '000123', SliceThickness: 0, ImageType: ['ORIGINAL', 'PRIMARY'] },
        },
        T0,
      );
      const rows = await featuresetRows(t.db.kysely, 'featureset3');
      assert.deepEqual(
        rows.map((r) => r.values),
        [{ PatientID: '000123', SliceThickness: 0, ImageType: ['ORIGINAL', 'PRIMARY'] }],
        'typed values: leading zeros kept, 0 stays 0',
      );
      const view = await sql<{
        PatientID: unknown;
        SliceThickness: unknown;
      }>`select * from fs_featureset3`.execute(t.db.kysely);
      assert.equal(view.rows.length, 1, 'the view has the row');
      assert.equal(view.rows[0]?.SliceThickness, 0, 'a number in the view');
      await assert.rejects(
        ensureFeatureset(t.db.kysely, 'bad name;', [], T0),
        (error: unknown) => error instanceof StoreError && error.code === 'BAD_FEATURESET',
        'a bad name is refused',
      );
    });

    it('answers patient and study queries with wildcards, ranges and counts', async () => {
      for (const [n, pid, date] of [
        [1, 'ABC1', '20200101'],
        [2, 'ABC2', '20200615'],
        [3, 'XYZ', '20211231'],
      ] as const) {
        await index(
          record(n, {
            patientId: pid,
            studyInstanceUid: `3.${n}`,
            studyDate: date,
            seriesInstanceUid: `3.${n}.1`,
            sopInstanceUid: `3.${n}.1.1`,
          }),
        );
      }
      const abc = await findPatients(t.db.kysely, { PatientID: 'ABC*' });
      assert.deepEqual(
        abc.map((p) => p.PatientID),
        ['ABC1', 'ABC2'],
        'wildcard',
      );
      assert.equal(abc[0]?.NumberOfPatientRelatedInstances, 1, 'count');
      const in2020 = await findStudies(t.db.kysely, { StudyDate: '20200101-20201231' });
      assert.deepEqual(
        in2020.map((s) => s.StudyInstanceUID).filter((u) => u.startsWith('3.')),
        ['3.1', '3.2'],
        'date range',
      );
      const list = await findSeries(t.db.kysely, { SeriesInstanceUID: '3.1.1\\3.3.1' });
      assert.deepEqual(list.map((s) => s.SeriesInstanceUID).sort(), ['3.1.1', '3.3.1'], 'UID list');
      await assert.rejects(
        findStudies(t.db.kysely, { SOPInstanceUID: 'x' } as never),
        (error: unknown) => error instanceof StoreError && error.code === 'BAD_QUERY',
        'an instance key at study level',
      );
    });
  });
}
