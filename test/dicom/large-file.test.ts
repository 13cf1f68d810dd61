// The header of a 2 GB file is read through the streaming file reader without reading (or
// buffering) its Pixel Data: the file is CT_small's header followed by a Pixel Data element of
// 2 GiB defined length whose body is a sparse hole (no disk used). Bytes read from disk are
// counted by wrapping FileHandle.read, the reader's only source.
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import { PIXEL_DATA } from '../../src/dicom/tag.js';
import { readDicomFile } from '../../src/io/dicom-file.js';
import { corpusPath } from '../helpers/corpus.js';
import { removeDir, tempDir } from '../helpers/peers.js';

const VALUE_LENGTH = 2 ** 31;
const MAX_BYTES_READ = 2 * 1024 * 1024;

let dir: string;
let file: string;
let pixelOffset: number;

before(async () => {
  dir = await tempDir('large-file');
  file = path.join(dir, 'big.dcm');
  const source = new Uint8Array(
    readFileSync(corpusPath({ path: 'pydicom/test_files/CT_small.dcm' })),
  );
  const header = parseBuffer(source, { untilTag: PIXEL_DATA });
  assert.equal(header.transferSyntaxUid, '1.2.840.10008.1.2.1', 'CT_small is explicit VR LE');
  assert.ok(header.stoppedAt !== undefined, 'CT_small has Pixel Data');
  pixelOffset = header.stoppedAt.offset;
  const element = new Uint8Array(12);
  const view = new DataView(element.buffer);
  view.setUint16(0, 0x7fe0, true);
  view.setUint16(2, 0x0010, true);
  element.set([0x4f, 0x57], 4); // OW, then 2 reserved bytes and a 32-bit length
  view.setUint32(8, VALUE_LENGTH, true);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, source.subarray(0, pixelOffset));
    writeSync(fd, element);
    ftruncateSync(fd, pixelOffset + 12 + VALUE_LENGTH);
  } finally {
    closeSync(fd);
  }
});

after(async () => {
  await removeDir(dir);
});

/** Runs `body` while counting the bytes every FileHandle.read returns. */
async function countingReads<T>(body: () => Promise<T>): Promise<{ result: T; bytes: number }> {
  const probe = await open(file, 'r');
  type Read = (this: FileHandle, ...args: unknown[]) => Promise<{ bytesRead: number }>;
  const prototype = Object.getPrototypeOf(probe) as { read: Read };
  await probe.close();
  const original = prototype.read;
  let bytes = 0;
  prototype.read = async function (this: FileHandle, ...args: unknown[]) {
    const out = await original.apply(this, args);
    bytes += out.bytesRead;
    return out;
  };
  try {
    return { result: await body(), bytes };
  } finally {
    prototype.read = original;
  }
}

test('a 2 GB file: Pixel Data is found as bulk data and its value is never read', async () => {
  const { result, bytes } = await countingReads(() => readDicomFile(file, { bulkThreshold: 1024 }));
  const pixel = result.dataset.get(PIXEL_DATA);
  assert.ok(pixel?.kind === 'value', 'Pixel Data is a value element');
  assert.equal(pixel.bytes, undefined, 'the value is not in memory');
  assert.deepEqual(pixel.bulk, { offset: pixelOffset + 12, length: VALUE_LENGTH });
  assert.equal(pixel.offset, pixelOffset);
  assert.ok(result.dataset.size > 50, `the header's elements are read (${result.dataset.size})`);
  assert.ok(bytes > 0 && bytes < MAX_BYTES_READ, `read ${bytes} bytes of a 2 GB file`);
});

test('a 2 GB file: untilTag Pixel Data stops at its offset after reading a few KiB', async () => {
  const { result, bytes } = await countingReads(() =>
    readDicomFile(file, { untilTag: PIXEL_DATA }),
  );
  assert.deepEqual(result.stoppedAt, { tag: PIXEL_DATA, offset: pixelOffset });
  assert.equal(result.dataset.get(PIXEL_DATA), undefined, 'Pixel Data is not read');
  assert.ok(bytes > 0 && bytes < MAX_BYTES_READ, `read ${bytes} bytes of a 2 GB file`);
});
