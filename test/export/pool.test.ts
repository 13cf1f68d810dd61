// The worker pool: tasks run in worker threads and come back with their results; a pool whose
// workers cannot start (here: a key too short, refused when the worker builds its handler)
// fails every task with WORKER_FAILED instead of restarting workers forever.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { WorkerPool } from '../../src/export/pool.js';
import type { PngFileResult } from '../../src/export/png-file.js';
import type { WorkerSetup } from '../../src/export/tasks.js';
import { corpusRoot } from '../helpers/corpus.js';

const setup = (key: string, outDir: string): WorkerSetup => ({
  kind: 'png',
  key,
  options: {
    outDir,
    level: 'patient',
    bits: 8,
    window: 'minmax',
    headers: { privateAttributes: false, phi: false },
  },
});

describe('worker pool', () => {
  test('runs tasks on two workers and returns each result to its caller', async (t) => {
    const out = path.join(
      await import('node:os').then((os) => os.tmpdir()),
      `niffler-pool-${process.pid}`,
    );
    t.after(async () =>
      (await import('node:fs/promises')).rm(out, { recursive: true, force: true }),
    );
    const pool = new WorkerPool(2, setup('pool-test-key-0123456789', out));
    try {
      assert.equal(pool.capacity, 4);
      const files = [
        'pydicom/test_files/CT_small.dcm',
        'pydicom/test_files/MR_small.dcm',
        'pydicom/test_files/reportsi.dcm',
      ];
      const results = (await Promise.all(
        files.map((f) => pool.run({ path: path.join(corpusRoot, f) })),
      )) as PngFileResult[];
      assert.deepEqual(
        results.map((r) => r.kind),
        ['done', 'done', 'failed'],
      );
      const [ct, mr] = results;
      assert.ok(ct?.kind === 'done' && ct.row['Modality'] === 'CT', 'CT result');
      assert.ok(mr?.kind === 'done' && mr.row['Modality'] === 'MR', 'MR result');
    } finally {
      await pool.close();
    }
  });

  test('workers that cannot start fail the tasks with WORKER_FAILED', async () => {
    const pool = new WorkerPool(1, setup('short', '/nonexistent'));
    try {
      await assert.rejects(pool.run({ path: '/nonexistent' }), (error: unknown) => {
        const e = error as { code?: string; message?: string };
        return e.code === 'WORKER_FAILED' && /16/.test(e.message ?? '');
      });
      await assert.rejects(
        pool.run({ path: '/nonexistent' }),
        /16/,
        'and every later task, without a restart loop',
      );
    } finally {
      await pool.close();
    }
  });
});
