// The SQL of retrieval runs (src/store/queries/retrieve.ts) on both databases: SQLite and the
// PostgreSQL on this machine (a fresh schema for this file). A run's rows are finished exactly
// once; a run is taken by one owner at a time; a study record is replaced, not duplicated.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/store/database.js';
import {
  createRun,
  finishRow,
  getRun,
  heartbeatRun,
  latestRunOfSpec,
  pendingRows,
  rowStateCounts,
  runUnits,
  saveUnit,
  setRunState,
  skipPendingRows,
  takeRun,
} from '../../src/store/queries/retrieve.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `retrieve_q_${randomBytes(4).toString('hex')}`;

const dialects: [string, () => Promise<Db>][] = [
  ['sqlite', () => openDatabase({ url: ':memory:' })],
  ['postgres', () => openDatabase({ url: PG_URL, schema: SCHEMA })],
];

after(async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`drop schema if exists "${SCHEMA}" cascade`);
  await client.end();
});

for (const [dialect, open] of dialects) {
  describe(`retrieve queries (${dialect})`, () => {
    it('creates, takes, finishes and counts', async () => {
      const db = await open();
      try {
        const rows = Array.from({ length: 1200 }, (_, i) => ({
          row: i + 1,
          line: i + 2,
          cells: [`00${i}`],
          query: i === 5 ? null : { level: 'STUDY', keys: [], id: `q${i}` },
          state: i === 5 ? ('skipped' as const) : ('pending' as const),
          error: i === 5 ? 'line 7: PatientID is empty' : undefined,
        }));
        await db.transaction((tx) =>
          createRun(
            tx,
            {
              id: 'r1',
              specHash: 'h',
              spec: { a: 1 },
              kind: 'retrieve',
              csvPath: '/c.csv',
              pacs: 'P@h:1',
              owner: 'me:1:a',
            },
            rows,
            1000,
          ),
        );
        assert.equal((await latestRunOfSpec(db.kysely, 'h'))?.id, 'r1');
        assert.deepEqual(await rowStateCounts(db.kysely, 'r1'), { pending: 1199, skipped: 1 });
        const pending = await pendingRows(db.kysely, 'r1');
        assert.deepEqual(pending[0]!.cells, ['000'], 'leading zeros kept');
        assert.equal(pending.length, 1199);

        const outcome = {
          state: 'done' as const,
          studiesMatched: 1,
          instancesExpected: 2,
          instancesReceived: 2,
          attempts: 1,
        };
        assert.equal(await finishRow(db.kysely, 'r1', 1, outcome, 2000), true);
        assert.equal(
          await finishRow(db.kysely, 'r1', 1, { ...outcome, state: 'failed' }, 3000),
          false,
          'finished once',
        );

        // Ownership: a running run is not taken from a live owner; a paused one is taken once.
        assert.equal(await takeRun(db.kysely, 'r1', 'other:2:b', ['paused'], null, 4000), false);
        await setRunState(db.kysely, 'r1', 'paused', 5000);
        assert.equal((await getRun(db.kysely, 'r1'))?.owner, null);
        assert.equal(
          await takeRun(db.kysely, 'r1', 'other:2:b', ['paused', 'failed'], null, 6000),
          true,
        );
        assert.equal(
          await takeRun(db.kysely, 'r1', 'third:3:c', ['paused', 'failed'], null, 6000),
          false,
        );
        assert.equal(await heartbeatRun(db.kysely, 'r1', 'other:2:b', 7000), 'running');
        await setRunState(db.kysely, 'r1', 'pausing', 8000, { onlyFrom: ['running'] });
        assert.equal(await heartbeatRun(db.kysely, 'r1', 'other:2:b', 9000), 'pausing');

        const unit = {
          unitKey: 's1',
          studyInstanceUid: 's1',
          seriesInstanceUid: null,
          state: 'partial' as const,
          expected: 3,
          received: 2,
          completed: 2,
          failed: 1,
          warning: 0,
          bytes: 10,
          error: '1 sub-operations failed',
          attempts: 2,
          finishedAt: 10,
        };
        await saveUnit(db.kysely, 'r1', unit);
        await saveUnit(db.kysely, 'r1', {
          ...unit,
          state: 'done',
          received: 3,
          failed: 0,
          error: null,
        });
        const units = await runUnits(db.kysely, 'r1');
        assert.equal(units.length, 1);
        assert.equal(units[0]!.state, 'done');

        assert.equal(await skipPendingRows(db.kysely, 'r1', 'run cancelled', 11), 1198);
        assert.deepEqual(await rowStateCounts(db.kysely, 'r1'), { done: 1, skipped: 1199 });
      } finally {
        await db.close();
      }
    });
  });
}
