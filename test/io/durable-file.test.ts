// DurableFile and syncDirectory: the write paths store-scp uses (writev, commit without fsync,
// grouped directory fsyncs), on a real file system.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DurableFile, syncDirectory, TEMP_PREFIX } from '../../src/io/durable-file.js';

const root = await mkdtemp(path.join(tmpdir(), 'niffler-durable-'));
after(() => rm(root, { recursive: true, force: true }));

describe('DurableFile', () => {
  it('writes chunks with writev, in order, and commits them under the real name', async () => {
    const dir = await mkdtemp(path.join(root, 'writev-'));
    const file = await DurableFile.create(dir, { directoryExists: true });
    const chunks = [Buffer.from('abc'), Buffer.alloc(0), Buffer.from('defgh'), Buffer.from('i')];
    await file.writev(chunks);
    await file.writev([Buffer.from('jk')]);
    assert.equal(file.bytesWritten, 11, 'bytes counted');
    await file.commit(path.join(dir, 'out.bin'), { fsync: false });
    assert.equal(await readFile(path.join(dir, 'out.bin'), 'latin1'), 'abcdefghijk');
    const left = (await readdir(dir)).filter((n) => n.startsWith(TEMP_PREFIX));
    assert.deepEqual(left, [], 'no temporary file left');
  });

  it('commits into another directory, made on demand, with fsync', async () => {
    const dir = await mkdtemp(path.join(root, 'other-'));
    const file = await DurableFile.create(dir);
    await file.write(Buffer.from('x'));
    const destination = path.join(dir, 'a', 'b', 'out.bin');
    await file.commit(destination);
    assert.equal(await readFile(destination, 'latin1'), 'x');
  });
});

describe('syncDirectory', () => {
  it('answers every one of many concurrent callers', async () => {
    const dir = await mkdtemp(path.join(root, 'sync-'));
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => syncDirectory(dir)));
    assert.deepEqual(
      results.map((r) => r.status),
      Array.from({ length: 20 }, () => 'fulfilled'),
    );
    // And again once idle.
    await syncDirectory(dir);
  });

  it('rejects every caller of a directory that does not exist, then works once it does', async () => {
    const dir = path.join(root, 'missing');
    const results = await Promise.allSettled([syncDirectory(dir), syncDirectory(dir)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    const made = await mkdtemp(path.join(root, 'made-'));
    await syncDirectory(made);
  });
});
