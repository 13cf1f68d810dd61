// Our RLE decoder (PS3.5 Annex G) on hand-made frames and seeded random round trips.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeRleFrame,
  decodeRleSegment,
  rleCodec,
  rleSegmentOffsets,
  type PixelDescription,
} from '../../src/dicom/pixels/index.js';
import { Prng } from '../helpers/prng.js';

function describeImage(overrides: Partial<PixelDescription>): PixelDescription {
  return {
    rows: 1,
    columns: 4,
    frames: 1,
    samplesPerPixel: 1,
    bitsAllocated: 8,
    bitsStored: 8,
    highBit: 7,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
    kind: 'integer',
    ...overrides,
  };
}

/** PackBits (G.3.1): replicate runs of 3+ bytes, literals of up to 128 bytes otherwise. */
function packBits(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    let run = 1;
    while (i + run < data.length && data[i + run] === data[i] && run < 128) run++;
    if (run >= 3) {
      out.push(257 - run, data[i]!);
      i += run;
      continue;
    }
    const start = i;
    while (i < data.length && i - start < 128) {
      if (i + 2 < data.length && data[i] === data[i + 1] && data[i] === data[i + 2]) break;
      i++;
    }
    out.push(i - start - 1, ...data.subarray(start, i));
  }
  return Uint8Array.from(out);
}

/** An RLE frame (G.5): header, then the segments in order. */
function rleFrame(segments: Uint8Array[]): Uint8Array {
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((segment, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += segment.length + (segment.length % 2);
  });
  const out = new Uint8Array(offset);
  out.set(header);
  offset = 64;
  for (const segment of segments) {
    out.set(segment, offset);
    offset += segment.length + (segment.length % 2);
  }
  return out;
}

describe('RLE PackBits segments (PS3.5 G.3.1)', () => {
  test('literal runs, replicate runs and the -128 no-op', () => {
    // 2 literals [1,2]; -128 no-op; replicate 9 four times; 0 literal [7]
    const segment = Uint8Array.from([0x01, 1, 2, 0x80, 0xfd, 9, 0x00, 7]);
    const out = new Uint8Array(7);
    assert.equal(decodeRleSegment(segment, out, 0, 1, 7), 7);
    assert.deepEqual([...out], [1, 2, 9, 9, 9, 9, 7]);
  });

  test('writes every `step` bytes from `start`, and stops at `count`', () => {
    const out = new Uint8Array(8);
    assert.equal(decodeRleSegment(Uint8Array.from([0xf9, 5]), out, 1, 2, 4), 4);
    assert.deepEqual([...out], [0, 5, 0, 5, 0, 5, 0, 5]);
  });

  test('a segment that ends early reports how much it wrote', () => {
    const out = new Uint8Array(10);
    assert.equal(decodeRleSegment(Uint8Array.from([0x04, 1, 2]), out, 0, 1, 10), 2);
    assert.equal(decodeRleSegment(Uint8Array.from([0xfe]), out, 0, 1, 10), 0);
  });
});

describe('RLE frames (PS3.5 G.2, G.5)', () => {
  test('16-bit: the first segment holds the most significant bytes; output is little endian', () => {
    const desc = describeImage({ bitsAllocated: 16, bitsStored: 16, highBit: 15, columns: 2 });
    const frame = rleFrame([
      packBits(Uint8Array.from([0x12, 0xab])),
      packBits(Uint8Array.from([0x34, 0xcd])),
    ]);
    assert.deepEqual([...decodeRleFrame(frame, desc)], [0x34, 0x12, 0xcd, 0xab]);
  });

  test('RGB: one segment per sample, interleaved or planar as Planar Configuration says', () => {
    const r = Uint8Array.from([1, 2]);
    const g = Uint8Array.from([3, 4]);
    const b = Uint8Array.from([5, 6]);
    const frame = rleFrame([packBits(r), packBits(g), packBits(b)]);
    const rgb = describeImage({ columns: 2, samplesPerPixel: 3, photometricInterpretation: 'RGB' });
    assert.deepEqual([...decodeRleFrame(frame, rgb)], [1, 3, 5, 2, 4, 6]);
    const planar = { ...rgb, planarConfiguration: 1 as const };
    assert.deepEqual([...decodeRleFrame(frame, planar)], [1, 2, 3, 4, 5, 6]);
  });

  test('1-bit: one segment of packed bits per frame', () => {
    const desc = describeImage({
      rows: 3,
      columns: 5,
      bitsAllocated: 1,
      bitsStored: 1,
      highBit: 0,
    });
    const packed = Uint8Array.from([0b10110011, 0b01011101]);
    assert.deepEqual([...decodeRleFrame(rleFrame([packBits(packed)]), desc)], [...packed]);
  });

  test('seeded round trips: 8/16/32-bit, 1 and 3 samples, both planar configurations', () => {
    const prng = new Prng(20261125);
    for (let round = 0; round < 60; round++) {
      const bits = [8, 16, 32][prng.int(3)]!;
      const samples = prng.chance(0.5) ? 1 : 3;
      const desc = describeImage({
        rows: prng.range(1, 20),
        columns: prng.range(1, 40),
        samplesPerPixel: samples,
        bitsAllocated: bits,
        bitsStored: bits,
        highBit: bits - 1,
        planarConfiguration: samples === 3 && prng.chance(0.5) ? 1 : 0,
        photometricInterpretation: samples === 3 ? 'RGB' : 'MONOCHROME2',
      });
      const pixels = desc.rows * desc.columns;
      const bytes = bits / 8;
      // Runs and noise, so both kinds of PackBits packets occur.
      const expected = new Uint8Array(pixels * samples * bytes);
      for (let i = 0; i < expected.length; i++) {
        expected[i] = prng.chance(0.6) && i > 0 ? expected[i - 1]! : prng.int(256);
      }
      const segments: Uint8Array[] = [];
      for (let s = 0; s < samples; s++) {
        for (let b = bytes - 1; b >= 0; b--) {
          const plane = new Uint8Array(pixels);
          for (let p = 0; p < pixels; p++) {
            const at =
              desc.planarConfiguration === 1
                ? (s * pixels + p) * bytes + b
                : (p * samples + s) * bytes + b;
            plane[p] = expected[at]!;
          }
          segments.push(packBits(plane));
        }
      }
      assert.deepEqual(decodeRleFrame(rleFrame(segments), desc), expected, `seed round ${round}`);
    }
  });

  test('a header that does not fit the image is refused', () => {
    const desc = describeImage({ bitsAllocated: 16, bitsStored: 16, highBit: 15 });
    assert.throws(
      () => decodeRleFrame(rleFrame([packBits(new Uint8Array(4))]), desc),
      /1 segments; 1 sample\(s\) of 16 bits need 2/,
    );
    assert.throws(() => rleSegmentOffsets(new Uint8Array(10)), /shorter than its 64-byte header/);
    const none = new Uint8Array(64);
    assert.throws(() => rleSegmentOffsets(none), /announces 0 segments/);
    const sixteen = new Uint8Array(64);
    new DataView(sixteen.buffer).setUint32(0, 16, true);
    assert.throws(() => rleSegmentOffsets(sixteen), /announces 16 segments/);
    const past = rleFrame([new Uint8Array(2)]);
    new DataView(past.buffer).setUint32(4, 1000, true);
    assert.throws(() => rleSegmentOffsets(past), /out of order or past the frame/);
  });

  test('a short segment is an error, not a silently truncated image', () => {
    const desc = describeImage({ columns: 10 });
    assert.throws(
      () => decodeRleFrame(rleFrame([packBits(new Uint8Array(6))]), desc),
      /decodes to 6 bytes, expected 10/,
    );
  });

  test('the codec recognises a frame start by its header', () => {
    assert.equal(rleCodec.isFrameStart?.(rleFrame([new Uint8Array(2)])), true);
    assert.equal(rleCodec.isFrameStart?.(new Uint8Array(64)), false);
    assert.equal(rleCodec.isFrameStart?.(Uint8Array.from([0xff, 0xd8])), false);
  });
});
