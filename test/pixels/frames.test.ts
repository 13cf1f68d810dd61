// Splitting encapsulated pixel data into frames (PS3.5 A.4), native frame slicing, 1-bit
// packing and the image description.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Fragment } from '../../src/dicom/dataset.js';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import {
  assembleFrames,
  copyBits,
  describePixels,
  nativeFrame,
  PixelError,
  splitFrames,
  startsWithJ2kCodestream,
  startsWithJpegSoi,
  swapWords,
  unpackBits,
  type PixelDescription,
} from '../../src/dicom/pixels/index.js';
import { readFileSync } from 'node:fs';
import { corpusRoot } from '../helpers/corpus.js';

/** Items as the parser gives them: the BOT at `start`, each item 8 bytes of header + value. */
function items(table: number[] | undefined, values: Uint8Array[], start = 1000): Fragment[] {
  const bot = new Uint8Array((table ?? []).length * 4);
  const view = new DataView(bot.buffer);
  (table ?? []).forEach((offset, i) => view.setUint32(4 * i, offset, true));
  const out: Fragment[] = [{ offset: start, length: bot.length, bytes: bot }];
  let offset = start + 8 + bot.length;
  for (const value of values) {
    out.push({ offset, length: value.length, bytes: value });
    offset += 8 + value.length;
  }
  return out;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const SOI = [0xff, 0xd8];

describe('frame splitting (PS3.5 A.4)', () => {
  test('Basic Offset Table: frames spanning several fragments', () => {
    const a1 = bytes(...SOI, 1, 2);
    const a2 = bytes(3, 4);
    const b1 = bytes(...SOI, 5, 6);
    // Offsets from the first fragment's item tag: frame 2 starts at the third item.
    const fragments = items([0, 8 + 4 + 8 + 2], [a1, a2, b1]);
    const split = splitFrames(fragments, { frames: 2 });
    assert.equal(split.method, 'basic-offset-table');
    assert.deepEqual(
      split.frames.map((f) => [...f]),
      [
        [...SOI, 1, 2, 3, 4],
        [...SOI, 5, 6],
      ],
    );
  });

  test('Extended Offset Table wins, and its lengths drop the pad byte', () => {
    const f1 = bytes(...SOI, 1, 0);
    const f2 = bytes(...SOI, 2, 0);
    const split = splitFrames(items([], [f1, f2]), {
      frames: 2,
      extendedOffsets: [0, 8 + 4],
      extendedLengths: [3, 4],
    });
    assert.equal(split.method, 'extended-offset-table');
    assert.deepEqual(
      split.frames.map((f) => [...f]),
      [
        [...SOI, 1],
        [...SOI, 2, 0],
      ],
    );
  });

  test('an Extended Offset Table that does not match the fragments is an error', () => {
    const fragments = items([], [bytes(1, 2), bytes(3, 4)]);
    assert.throws(
      () => splitFrames(fragments, { frames: 2, extendedOffsets: [0, 5] }),
      (e) => e instanceof PixelError && e.code === 'BAD_FRAMES' && /offset 5/.test(e.message),
    );
    assert.throws(
      () => splitFrames(fragments, { frames: 3, extendedOffsets: [0, 10] }),
      /2 entries for 3 frames/,
    );
  });

  test('no table, one fragment per frame', () => {
    const split = splitFrames(items(undefined, [bytes(1), bytes(2), bytes(3)]), { frames: 3 });
    assert.equal(split.method, 'fragment-per-frame');
    assert.deepEqual(
      split.frames.map((f) => [...f]),
      [[1], [2], [3]],
    );
  });

  test('no table, one frame in several fragments', () => {
    const split = splitFrames(items(undefined, [bytes(1, 2), bytes(3)]), { frames: 1 });
    assert.equal(split.method, 'single-frame');
    assert.deepEqual([...split.frames[0]!], [1, 2, 3]);
  });

  test('no table, more fragments than frames: split at each JPEG SOI', () => {
    const fragments = items(undefined, [
      bytes(...SOI, 1),
      bytes(2),
      bytes(3),
      bytes(...SOI, 4),
      bytes(5),
    ]);
    const split = splitFrames(fragments, { frames: 2, isFrameStart: startsWithJpegSoi });
    assert.equal(split.method, 'start-markers');
    assert.deepEqual(
      split.frames.map((f) => [...f]),
      [
        [...SOI, 1, 2, 3],
        [...SOI, 4, 5],
      ],
    );
    assert.throws(
      () => splitFrames(fragments, { frames: 3, isFrameStart: startsWithJpegSoi }),
      /5 fragments hold 2 codestream starts, not the 3 frames announced/,
    );
    assert.throws(() => splitFrames(fragments, { frames: 2 }), /without an offset table/);
  });

  test('a Basic Offset Table that does not fit is not trusted', () => {
    // Claims two frames at offsets that are no fragment starts; one fragment per frame holds.
    const split = splitFrames(items([0, 3], [bytes(1), bytes(2)]), { frames: 2 });
    assert.equal(split.method, 'fragment-per-frame');
  });

  test('no fragments, or a fragment not loaded, is an error', () => {
    assert.throws(
      () => splitFrames(items(undefined, []), { frames: 1 }),
      (e) => e instanceof PixelError && e.code === 'BAD_FRAMES',
    );
    const bulk: Fragment[] = [
      ...items(undefined, []),
      { offset: 1008, length: 4, bytes: undefined },
    ];
    assert.throws(
      () => splitFrames(bulk, { frames: 1 }),
      (e) => e instanceof PixelError && e.code === 'BAD_PIXEL_DATA',
    );
  });

  test('codestream start markers', () => {
    assert.equal(startsWithJpegSoi(bytes(0xff, 0xd8, 0xff)), true);
    assert.equal(startsWithJpegSoi(bytes(0xff, 0x4f)), false);
    assert.equal(startsWithJ2kCodestream(bytes(0xff, 0x4f, 0xff, 0x51)), true);
    assert.equal(startsWithJ2kCodestream(bytes(0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20)), true);
    assert.equal(startsWithJ2kCodestream(bytes(0xff, 0xd8)), false);
  });

  test('real files: dicomParser fragmentation variants split as their names say', () => {
    const dir = `${corpusRoot}/dicomParser/encapsulated/multi-frame`;
    const cases = [
      ['CT0012.fragmented_no_bot_jpeg_ls.80.dcm', 'start-markers'],
      ['CT0012.not_fragmented_bot_jpeg_ls.80.dcm', 'basic-offset-table'],
      ['CT0012.not_fragmented_no_bot_rle.dcm', 'fragment-per-frame'],
      ['IM00001.fragmented_no_bot_jpeg_baseline.50.dcm', 'start-markers'],
    ] as const;
    for (const [file, method] of cases) {
      const result = parseBuffer(readFileSync(`${dir}/${file}`));
      const element = result.dataset.get(0x7fe00010);
      assert.equal(element?.kind, 'encapsulated', file);
      const frames = describePixels(result.dataset).frames;
      const split = splitFrames(element.fragments, {
        frames,
        isFrameStart: startsWithJpegSoi,
      });
      assert.equal(split.method, method, file);
      assert.equal(split.frames.length, frames, file);
    }
  });
});

const mono1: PixelDescription = {
  rows: 3,
  columns: 3,
  frames: 3,
  samplesPerPixel: 1,
  bitsAllocated: 1,
  bitsStored: 1,
  highBit: 0,
  pixelRepresentation: 0,
  planarConfiguration: 0,
  photometricInterpretation: 'MONOCHROME2',
  kind: 'integer',
};

describe('native pixel data (PS3.5 8.1)', () => {
  test('1-bit frames that do not start on a byte boundary are realigned', () => {
    // Three 9-pixel frames back to back: 27 bits. Frame k has only pixel k*4 set.
    const bits = [0, 4, 8].map((p, frame) => frame * 9 + p);
    const packed = new Uint8Array(4);
    for (const bit of bits) packed[bit >>> 3]! |= 1 << (bit & 7);
    const frames = [0, 1, 2].map((i) => nativeFrame(packed, mono1, i));
    assert.deepEqual(
      frames.map((f) => [...unpackBits(f, 9)]),
      [
        [1, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 1],
      ],
    );
    // And put back together, frames packed back to back, padded to an even length.
    const assembled = assembleFrames(frames, mono1);
    assert.equal(assembled.length, 4);
    assert.deepEqual([...assembled], [...packed]);
  });

  test('a frame past the data is an error', () => {
    assert.throws(
      () => nativeFrame(new Uint8Array(2), mono1, 2),
      (e) => e instanceof PixelError && e.code === 'BAD_PIXEL_DATA',
    );
    assert.throws(() => nativeFrame(new Uint8Array(4), mono1, 3), RangeError);
  });

  test('copyBits moves bits LSB first across byte boundaries', () => {
    const target = new Uint8Array(2);
    copyBits(Uint8Array.from([0b0000_0101]), 0, 3, target, 6);
    assert.deepEqual([...target], [0b0100_0000, 0b0000_0001]);
    // Bits written as 0 are cleared, the others kept.
    const filled = new Uint8Array(2).fill(0xff);
    copyBits(Uint8Array.from([0b0000_0101]), 0, 3, filled, 6);
    assert.deepEqual([...filled], [0b0111_1111, 0b1111_1111]);
  });

  test('swapWords copies, even from a Buffer (whose slice() would alias)', () => {
    const source = Buffer.from([1, 2, 3, 4, 5]);
    const swapped = swapWords(source, 2);
    assert.deepEqual([...swapped], [2, 1, 4, 3, 5]);
    assert.deepEqual([...source], [1, 2, 3, 4, 5]);
    assert.deepEqual([...swapWords(Uint8Array.from([1, 2, 3, 4]), 4)], [4, 3, 2, 1]);
  });
});

describe('the image description (PS3.3 C.7.6.3)', () => {
  test('a CT slice', () => {
    const result = parseBuffer(readFileSync(`${corpusRoot}/pydicom/test_files/CT_small.dcm`));
    assert.deepEqual(describePixels(result.dataset), {
      rows: 128,
      columns: 128,
      frames: 1,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 16,
      highBit: 15,
      pixelRepresentation: 1,
      planarConfiguration: 0,
      photometricInterpretation: 'MONOCHROME2',
      kind: 'integer',
    });
  });

  test('a dataset without pixel data, and one without the attributes', () => {
    const sr = parseBuffer(readFileSync(`${corpusRoot}/pydicom/test_files/test-SR.dcm`));
    assert.throws(
      () => describePixels(sr.dataset),
      (e) => e instanceof PixelError && e.code === 'NO_PIXEL_DATA',
    );
    const bare = parseBuffer(readFileSync(`${corpusRoot}/pydicom/test_files/nested_priv_SQ.dcm`));
    assert.throws(
      () => describePixels(bare.dataset),
      (e) =>
        e instanceof PixelError &&
        e.code === 'BAD_PIXEL_ATTRIBUTES' &&
        /missing Rows, Columns, Bits Allocated/.test(e.message),
    );
  });
});
