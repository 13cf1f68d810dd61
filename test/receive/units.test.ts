// The receive path's small pure or local pieces: the nightly schedule across time zones and DST,
// group commit (batching, and retrying a failed batch item by item), the disk refusal rule, the
// header's expected instance count, and recovery of what a killed receiver left in its
// temporary directory (on a real file system, with a real index).
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, readdirSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { refusal } from '../../src/receive/disk-guard.js';
import { GroupCommitter } from '../../src/receive/group-commit.js';
import { parsePathTemplate } from '../../src/receive/path-template.js';
import { recoverTempAreas } from '../../src/receive/recovery.js';
import { nextDailyAt, offsetMinutes } from '../../src/receive/schedule.js';
import { TEMP_ROOT } from '../../src/receive/temp-area.js';
import { makeTempDir, removeDir } from '../helpers/scp-harness.js';
import { CT_SMALL, writeVariant } from '../helpers/variants.js';

describe('nightly schedule', () => {
  it('finds the next 23:59 in a time zone, across DST changes', () => {
    const ny = 'America/New_York';
    // 2026-03-07 12:00 UTC is 07:00 in New York (EST, UTC-5).
    const before = Date.UTC(2026, 2, 7, 12, 0);
    assert.equal(offsetMinutes(before, ny), -300, 'EST');
    assert.equal(
      nextDailyAt(before, 23 * 60 + 59, ny),
      Date.UTC(2026, 2, 8, 4, 59),
      'tonight, EST',
    );
    // The night of the change (2026-03-08, clocks go forward at 02:00): 23:59 is EDT (UTC-4).
    const day = Date.UTC(2026, 2, 8, 12, 0);
    assert.equal(nextDailyAt(day, 23 * 60 + 59, ny), Date.UTC(2026, 2, 9, 3, 59), 'EDT');
    // Just after 23:59: tomorrow's.
    const late = Date.UTC(2026, 2, 9, 4, 0);
    assert.equal(nextDailyAt(late, 23 * 60 + 59, ny), Date.UTC(2026, 2, 10, 3, 59), 'next day');
    assert.equal(
      nextDailyAt(Date.UTC(2026, 0, 1, 1, 0), 120, 'UTC'),
      Date.UTC(2026, 0, 1, 2, 0),
      'UTC',
    );
  });
});

describe('group commit', () => {
  it('batches what queues behind a running commit, and isolates a failing item', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const committer = new GroupCommitter<number, string>(async (items) => {
      batches.push([...items]);
      if (items[0] === 0) await gate;
      if (items.includes(13)) throw new Error('bad item 13');
      return items.map((i) => `ok ${i}`);
    }, 8);
    const first = committer.submit(0);
    const rest = [1, 2, 13, 4].map((i) => committer.submit(i));
    release();
    assert.equal(await first, 'ok 0', 'first alone');
    const results = await Promise.allSettled(rest);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['ok 1', 'ok 2', 'bad item 13', 'ok 4'],
      'only the bad item fails',
    );
    assert.deepEqual(
      batches,
      [[0], [1, 2, 13, 4], [1], [2], [13], [4]],
      'one batch, then one by one',
    );
  });
});

describe('disk refusal rule', () => {
  it('refuses at the hard limit and below the free floor', () => {
    const limits = { highWatermarkPercent: 80, hardLimitPercent: 95, minFreeBytes: 1000 };
    assert.equal(
      refusal({ totalBytes: 1e6, freeBytes: 1e5, usedRatio: 0.9 }, limits),
      undefined,
      'ok',
    );
    assert.match(
      refusal({ totalBytes: 1e6, freeBytes: 1e5, usedRatio: 0.95 }, limits) ?? '',
      /hard limit/,
      'full',
    );
    assert.match(
      refusal({ totalBytes: 1e6, freeBytes: 999, usedRatio: 0.5 }, limits) ?? '',
      /floor/,
      'floor',
    );
  });
});

describe("recovery of a dead receiver's temporary directory", () => {
  let work: string;
  before(async () => {
    work = await makeTempDir('recovery');
  });
  after(async () => {
    if (work !== undefined) await removeDir(work);
  });

  it('removes partial files, unindexed final names, and keeps indexed ones', async () => {
    const root = path.join(work, 'root');
    const template = parsePathTemplate('{00100020}/{0020000D}/{0020000E}/{00080018}.dcm');
    // A pid that cannot be running: beyond the kernel's pid_max.
    const area = path.join(
      root,
      TEMP_ROOT,
      `${(await import('node:os')).hostname().replace(/[^A-Za-z0-9.]/g, '_')}-99999999-abcd1234`,
    );
    mkdirSync(area, { recursive: true });
    const make = (n: number) => ({
      patientId: 'P1',
      studyInstanceUid: '2.25.1',
      seriesInstanceUid: '2.25.1.1',
      sopInstanceUid: `2.25.1.1.${n}`,
    });
    const finalOf = (n: number, suffix = ''): string =>
      `P1/2.25.1/2.25.1.1/2.25.1.1.${n}${suffix}.dcm`;
    // 1: committed (indexed), temp name not yet removed.
    writeVariant(CT_SMALL, path.join(area, '.niffler-tmp-1'), make(1));
    mkdirSync(path.join(root, 'P1/2.25.1/2.25.1.1'), { recursive: true });
    linkSync(path.join(area, '.niffler-tmp-1'), path.join(root, finalOf(1)));
    // 2: linked, commit never happened.
    writeVariant(CT_SMALL, path.join(area, '.niffler-tmp-2'), make(2));
    linkSync(path.join(area, '.niffler-tmp-2'), path.join(root, finalOf(2)));
    // 3: a second copy of 1 linked as ~1, never committed; an older copy holds the name.
    writeVariant(CT_SMALL, path.join(area, '.niffler-tmp-3'), make(1));
    linkSync(path.join(area, '.niffler-tmp-3'), path.join(root, finalOf(1, '~1')));
    // 4: partial (still being written when the process died).
    writeFileSync(path.join(area, '.niffler-tmp-4'), Buffer.alloc(300, 7));
    // An unrelated, indexed file that must stay.
    copyFileSync(CT_SMALL, path.join(root, 'P1/2.25.1/2.25.1.1/other.dcm'));

    const indexed = new Set([`2.25.1.1.1 ${finalOf(1)}`]);
    const report = await recoverTempAreas({
      root,
      template,
      isIndexed: async (sop, relativePath) => indexed.has(`${sop} ${relativePath}`),
    });
    assert.deepEqual(report, { areas: 1, tempFiles: 4, unindexed: 2 }, 'report');
    assert.ok(existsSync(path.join(root, finalOf(1))), 'the indexed file stays');
    assert.ok(!existsSync(path.join(root, finalOf(2))), 'the uncommitted one goes');
    assert.ok(!existsSync(path.join(root, finalOf(1, '~1'))), 'the uncommitted copy goes');
    assert.ok(existsSync(path.join(root, 'P1/2.25.1/2.25.1.1/other.dcm')), 'others untouched');
    assert.deepEqual(readdirSync(path.join(root, TEMP_ROOT)), [], 'the temporary area is gone');
  });

  it("leaves a live process's directory alone", async () => {
    const root = path.join(work, 'live');
    const host = (await import('node:os')).hostname().replace(/[^A-Za-z0-9.]/g, '_');
    const area = path.join(root, TEMP_ROOT, `${host}-${process.ppid}-abcd1234`);
    mkdirSync(area, { recursive: true });
    writeFileSync(path.join(area, '.niffler-tmp-x'), 'being written');
    const report = await recoverTempAreas({
      root,
      template: parsePathTemplate('{00080018}.dcm'),
      isIndexed: async () => false,
    });
    assert.equal(report.areas, 0, 'not swept');
    assert.ok(existsSync(path.join(area, '.niffler-tmp-x')), 'the file stays');
  });
});
