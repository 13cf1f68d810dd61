// Part10Writer's eager mode (store-scp): background writes while the data arrive, in order.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { TEMP_PREFIX } from '../../src/io/durable-file.js';
import { Part10Writer } from '../../src/io/part10-writer.js';

const root = await mkdtemp(path.join(tmpdir(), 'niffler-part10-writer-'));
after(() => rm(root, { recursive: true, force: true }));

const INFO = {
  sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
  sopInstanceUid: '2.25.1234',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
};

/** Chunks of pseudo-random bytes (not DICOM: the writer stores them verbatim all the same). */
function chunks(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, c) =>
    Buffer.from(Array.from({ length: size }, (_, i) => (c * 31 + i * 7) & 0xff)),
  );
}

describe('Part10Writer eager mode', () => {
  for (const [eagerBatch, writeBatch] of [
    [1, 4],
    [100, 1000],
    [1000, 1000],
  ] as const) {
    it(`writes every byte in order (eagerBatch ${eagerBatch}, writeBatch ${writeBatch})`, async () => {
      const dir = await mkdtemp(path.join(root, 'eager-'));
      const writer = await Part10Writer.create(dir, INFO, {
        directoryExists: true,
        eagerBatch,
        writeBatch,
      });
      const data = chunks(50, 97);
      // Not awaited one by one: the caller may queue writes (the SCP does, up to 512 KiB).
      for (const chunk of data) await writer.write(chunk);
      const destination = path.join(dir, 'out.dcm');
      await writer.commit(destination, { fsync: false });
      const file = await readFile(destination);
      assert.deepEqual(
        file.subarray(writer.datasetOffset),
        Buffer.concat(data),
        'the data set follows the meta header verbatim',
      );
      assert.equal(writer.size, file.length, 'size counts every byte');
      const left = (await readdir(dir)).filter((n) => n.startsWith(TEMP_PREFIX));
      assert.deepEqual(left, [], 'no temporary file left');
    });
  }

  it('aborts while a background write runs and leaves nothing', async () => {
    const dir = await mkdtemp(path.join(root, 'abort-'));
    const writer = await Part10Writer.create(dir, INFO, {
      directoryExists: true,
      eagerBatch: 1,
      writeBatch: 1 << 20,
    });
    await writer.write(Buffer.alloc(300_000, 1));
    await writer.abort();
    assert.deepEqual(await readdir(dir), [], 'the temporary file is removed');
  });
});
