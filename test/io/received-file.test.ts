// ReceivedFile, the writer of every received object, and syncDirectory, on a real file system:
// bytes in order whatever the batch size, background writes, rename into place, abort.
import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { syncDirectory, TEMP_PREFIX } from '../../src/io/durable-file.js';
import { ReceivedFile } from '../../src/io/received-file.js';

const root = await mkdtemp(path.join(tmpdir(), 'niffler-received-file-'));
after(() => rm(root, { recursive: true, force: true }));

const INFO = {
  sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
  sopInstanceUid: '2.25.1234',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
};

/** Chunks of patterned bytes (not DICOM: the writer stores them verbatim all the same). */
function chunks(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, c) =>
    Buffer.from(Array.from({ length: size }, (_, i) => (c * 31 + i * 7) & 0xff)),
  );
}

async function temporaries(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith(TEMP_PREFIX));
}

describe('ReceivedFile', () => {
  for (const fsync of [true, false])
    for (const flushAt of [1, 100, 1000, 1 << 20]) {
      it(`writes every byte in order and renames the file into place (fsync ${fsync}, flushAt ${flushAt})`, async () => {
        const dir = await mkdtemp(path.join(root, 'order-'));
        const file = new ReceivedFile(dir, INFO, { fsync, flushAt });
        const data = chunks(50, 97);
        // As the SCP does: each write awaited, so at most two batches are held.
        for (const chunk of data) await file.write(chunk);
        await file.seal();
        const destination = path.join(dir, 'out.dcm');
        await file.rename(destination);
        const written = await readFile(destination);
        assert.deepEqual(
          written.subarray(file.datasetOffset),
          Buffer.concat(data),
          'the data set follows the meta header verbatim',
        );
        assert.equal(file.size, written.length, 'size counts every byte');
        assert.deepEqual(await temporaries(dir), [], 'no temporary file left');
      });
    }

  it('parses the header only when asked (parseHeader), and writes the same bytes either way', async () => {
    const data = chunks(20, 97);
    const written: Buffer[] = [];
    for (const parseHeader of [true, false]) {
      const dir = await mkdtemp(path.join(root, `parse-${parseHeader}-`));
      const file = new ReceivedFile(dir, INFO, { fsync: false, parseHeader });
      for (const chunk of data) await file.write(chunk);
      await file.seal();
      if (parseHeader) {
        // Patterned bytes are not DICOM: the parse error is reported, the bytes stored anyway.
        assert.ok('error' in file.header(), 'the parse error is reported');
      } else {
        assert.throws(() => file.header(), /without parseHeader/);
      }
      await file.rename(path.join(dir, 'out.dcm'));
      written.push(await readFile(path.join(dir, 'out.dcm')));
    }
    assert.deepEqual(written[1], written[0]);
  });

  it('lets the sender go on while one batch is written, and holds it at the second', async () => {
    const dir = await mkdtemp(path.join(root, 'backpressure-'));
    const file = new ReceivedFile(dir, INFO, { flushAt: 1000 });
    let firstDone = false;
    void file.write(Buffer.alloc(1000, 1)).then(() => (firstDone = true));
    await Promise.resolve();
    assert.equal(firstDone, true, 'the first full batch is written in the background');
    const second = file.write(Buffer.alloc(1000, 2));
    await second;
    await file.seal();
    await file.rename(path.join(dir, 'out.dcm'));
    const written = await readFile(path.join(dir, 'out.dcm'));
    assert.equal(written.length, file.datasetOffset + 2000);
    assert.equal(written[written.length - 1], 2);
  });

  for (const fsync of [true, false]) {
    it(`aborts while writes run, or after the seal, and leaves nothing (fsync ${fsync})`, async () => {
      const dir = await mkdtemp(path.join(root, 'abort-'));
      const file = new ReceivedFile(dir, INFO, { fsync, flushAt: 1000 });
      void file.write(Buffer.alloc(300_000, 1));
      void file.write(Buffer.alloc(300_000, 2));
      await file.abort();
      assert.deepEqual(await readdir(dir), [], 'the temporary file is removed');
      const sealed = new ReceivedFile(dir, INFO, { fsync });
      await sealed.write(Buffer.alloc(10, 3));
      await sealed.seal();
      assert.equal((await temporaries(dir)).length, 1, 'sealed, under its temporary name');
      await sealed.abort();
      await sealed.abort();
      assert.deepEqual(await readdir(dir), [], 'an abort after the seal removes it too');
    });
  }

  it('an abort during a seal waits for it: the descriptor is closed once, never under it', async () => {
    const dir = await mkdtemp(path.join(root, 'abort-during-seal-'));
    const file = new ReceivedFile(dir, INFO);
    await file.write(Buffer.alloc(5000, 3));
    const sealing = file.seal();
    await file.abort();
    // The descriptor number the file had is free again: whoever gets it must keep it.
    const other = openSync(path.join(dir, 'other'), 'w');
    try {
      await sealing;
      assert.doesNotThrow(
        () => fstatSync(other),
        'the seal did not close a descriptor it no longer owns',
      );
    } finally {
      closeSync(other);
    }
    await assert.rejects(file.rename(path.join(dir, 'out.dcm')), /rename before seal/);
    assert.deepEqual(await temporaries(dir), [], 'the aborted file is removed');
    assert.deepEqual(await readdir(dir), ['other'], 'and never given its real name');
  });

  for (const fsync of [true, false]) {
    it(`removes the temporary file when the rename fails, and names the error (fsync ${fsync})`, async () => {
      const dir = await mkdtemp(path.join(root, 'rename-fails-'));
      const file = new ReceivedFile(dir, INFO, { fsync });
      await file.write(Buffer.from('abc'));
      await file.seal();
      // A directory where the file should go: rename(2) refuses with EISDIR.
      const destination = path.join(dir, 'taken');
      await mkdir(path.join(destination, 'inside'), { recursive: true });
      await assert.rejects(file.rename(destination), { code: 'EISDIR' });
      assert.deepEqual(await temporaries(dir), [], 'no temporary file left');
    });
  }

  for (const fsync of [true, false]) {
    it(`makes its directory again when it was removed before the object arrived (fsync ${fsync})`, async () => {
      const dir = path.join(await mkdtemp(path.join(root, 'gone-')), 'temp');
      const file = new ReceivedFile(dir, INFO, { fsync });
      await file.write(Buffer.from('xyz'));
      await file.seal();
      await file.rename(path.join(dir, 'out.dcm'));
      assert.equal((await readFile(path.join(dir, 'out.dcm'))).length, file.size);
    });
  }

  it('without fsync, reports an open that failed at the first write or seal, and leaves nothing', async () => {
    const parent = await mkdtemp(path.join(root, 'unopenable-'));
    // A file where the directory should be: open(2) and mkdir both fail.
    const blocker = path.join(parent, 'blocker');
    closeSync(openSync(blocker, 'w'));
    const file = new ReceivedFile(path.join(blocker, 'temp'), INFO, { fsync: false, flushAt: 4 });
    await assert.rejects(file.write(Buffer.from('abcdef')), { code: 'ENOTDIR' });
    await assert.rejects(file.seal(), { code: 'ENOTDIR' }, 'the failure is kept');
    await file.abort();
    assert.deepEqual(await readdir(parent), ['blocker']);
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
