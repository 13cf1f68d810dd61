// The disk limits of the receiver on a real, small file system (a 4 MiB tmpfs as the storage
// root), on both dialects: above the hard limit every C-STORE is refused with A700 and leaves no
// file; once the series are complete and processed, the watermark policy purges the oldest
// until use is below the high watermark, and stores are taken again.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Status } from '../../src/net/dimse/status.js';
import { readInstanceFile } from '../../src/net/services/instance-file.js';
import { diskUsage } from '../../src/receive/disk-guard.js';
import { TEMP_ROOT } from '../../src/receive/temp-area.js';
import { indexSummary } from '../../src/store/index.js';
import { DIALECTS } from '../helpers/databases.js';
import { startTestReceiver, type TestReceiver } from '../helpers/receiver.js';
import { LOCALHOST, makeTempDir, removeDir, runTool, StoreScu } from '../helpers/scp-harness.js';
import { skipWhenMissing } from '../helpers/skip.js';
import { CT_SMALL, writeStudySet } from '../helpers/variants.js';

const notRoot = process.getuid?.() === 0 ? false : 'mounting a tmpfs needs root';

for (const dialect of DIALECTS) {
  describe(`disk limits (${dialect})`, { skip: skipWhenMissing(notRoot) }, () => {
    let work: string;
    let root: string;
    let r: TestReceiver;
    let now = Date.UTC(2026, 5, 1, 8, 0, 0);
    let files: string[];

    before(async () => {
      work = await makeTempDir(`disk-${dialect}`);
      root = path.join(work, 'root');
      mkdirSync(root);
      const mounted = await runTool('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', root]);
      assert.equal(mounted.code, 0, `mount: ${mounted.stderr}`);
      mkdirSync(path.join(work, 'variants'));
      files = writeStudySet(CT_SMALL, path.join(work, 'variants'), {
        root: 8001,
        patients: 12,
        studies: 1,
        series: 1,
        instances: 10,
      }).map((v) => v.file);
      r = await startTestReceiver({
        dialect,
        label: 'disk',
        root,
        clock: () => now,
        settings: {
          storage: { highWatermarkPercent: 60, hardLimitPercent: 90, minFreeBytes: 0 },
          completion: { quietSeconds: 30 },
          retention: { policy: 'watermark' },
        },
      });
    });

    after(async () => {
      await r?.stop();
      if (root !== undefined) await runTool('umount', [root]);
      if (work !== undefined) await removeDir(work);
    });

    it('refuses with A700 at the hard limit, leaving no file behind', async () => {
      const statuses = await sendAll(files);
      const stored = statuses.filter((s) => s === Status.Success).length;
      const refused = statuses.filter((s) => s === Status.OutOfResources).length;
      assert.equal(stored + refused, files.length, `only Success or A700: ${statuses.join(',')}`);
      assert.ok(refused > 0 && stored > 40, `${stored} stored, ${refused} refused`);
      const usage = await diskUsage(root);
      assert.ok(usage.usedRatio >= 0.85, `disk ${(usage.usedRatio * 100).toFixed(1)}% used`);
      assert.equal(
        (await indexSummary(r.t.db.kysely)).instances,
        stored,
        'every stored one indexed',
      );
      assert.equal(countFiles(root), stored, 'one file per stored instance, none partial');
      // Temporary names go just after each Success: wait for the last ones.
      await r.receiver.settled();
      assert.deepEqual(
        readdirSync(path.join(root, TEMP_ROOT, readdirSync(path.join(root, TEMP_ROOT))[0]!)),
        [],
        'no temporary file',
      );
    });

    it('purges the oldest processed series down to the watermark, then stores again', async () => {
      now += 31_000;
      await r.receiver.runLoopsOnce(); // completes the series, runs their jobs, purges
      const usage = await diskUsage(root);
      assert.ok(
        usage.usedRatio < 0.6,
        `below the watermark: ${(usage.usedRatio * 100).toFixed(1)}%`,
      );
      const summary = await indexSummary(r.t.db.kysely);
      assert.ok(summary.purgedInstances > 0, 'some series purged');
      assert.ok(summary.purgedInstances < summary.instances, 'not all of them: only down to 60%');
      assert.equal(
        countFiles(root),
        summary.instances - summary.purgedInstances,
        'files match the index',
      );
      const again = await sendAll(files.slice(-10));
      assert.deepEqual(
        again,
        again.map(() => Status.Success),
        'stores are taken again',
      );
    });

    async function sendAll(list: readonly string[]): Promise<number[]> {
      const outgoing = await Promise.all(list.map((f) => readInstanceFile(f)));
      const scu = await StoreScu.open(
        { host: LOCALHOST, port: r.port, calledAeTitle: 'NIFFLER', callingAeTitle: 'FILLER' },
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
  });
}

/** Regular files under the storage root, outside the temporary area. */
function countFiles(root: string): number {
  let n = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === TEMP_ROOT) continue;
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
      else n++;
    }
  };
  walk(root);
  return n;
}
