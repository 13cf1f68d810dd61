/**
 * RLE Lossless (PS3.5 Annex G): each frame is a 64-byte header (the segment count and up to 15
 * segment offsets, UL little endian) followed by PackBits-coded segments, one per byte plane:
 * for every sample, its most significant byte first (G.2). The decoded frame is little endian.
 */
import type { Codec } from './codec.js';
import type { PixelDescription } from './description.js';

export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';

const HEADER_LENGTH = 64;
const MAX_SEGMENTS = 15;

/** Reads the header of an RLE frame: the offset of each segment (G.5). */
export function rleSegmentOffsets(frame: Uint8Array): number[] {
  if (frame.length < HEADER_LENGTH) {
    throw new Error(`RLE frame of ${frame.length} bytes is shorter than its 64-byte header`);
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const count = view.getUint32(0, true);
  if (count < 1 || count > MAX_SEGMENTS) {
    throw new Error(`RLE header announces ${count} segments (1 to 15 allowed)`);
  }
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) {
    const offset = view.getUint32(4 + 4 * i, true);
    const previous = offsets[i - 1] ?? HEADER_LENGTH - 1;
    if (offset < HEADER_LENGTH || offset <= previous || offset > frame.length) {
      throw new Error(`RLE segment ${i + 1} offset ${offset} is out of order or past the frame`);
    }
    offsets.push(offset);
  }
  return offsets;
}

/**
 * Decodes one PackBits segment (G.3.1) into `out` at `start`, `step` bytes apart, until
 * `count` bytes are written or the segment ends. Returns the number of bytes written. A run
 * that would write past `count` is cut (some encoders pad the last run).
 */
export function decodeRleSegment(
  segment: Uint8Array,
  out: Uint8Array,
  start: number,
  step: number,
  count: number,
): number {
  let written = 0;
  let i = 0;
  let pos = start;
  while (i < segment.length && written < count) {
    const header = segment[i++]!;
    if (header < 0x80) {
      // n + 1 literal bytes.
      const end = Math.min(i + header + 1, segment.length);
      while (i < end && written < count) {
        out[pos] = segment[i++]!;
        pos += step;
        written++;
      }
      i = end;
    } else if (header > 0x80) {
      // -n + 1 copies of the next byte (n as a signed byte).
      if (i >= segment.length) break;
      const value = segment[i++]!;
      const run = 257 - header;
      for (let k = 0; k < run && written < count; k++) {
        out[pos] = value;
        pos += step;
        written++;
      }
    }
    // 0x80 (-128) is a no-op.
  }
  return written;
}

/**
 * The decoded length of one segment: a byte per pixel for 8 bits and more; for 1-bit data
 * the frame's bits packed in bytes (how pydicom and highdicom write 1-bit RLE).
 */
function segmentLength(desc: PixelDescription): number {
  const pixels = desc.rows * desc.columns;
  return desc.bitsAllocated === 1 ? Math.ceil(pixels / 8) : pixels;
}

/**
 * Decodes one RLE frame to little-endian pixel cells, colour-by-pixel or colour-by-plane as the
 * description's Planar Configuration says. Throws when the header does not match the image
 * (segments != samples x bytes per sample) or a segment is short.
 */
export function decodeRleFrame(frame: Uint8Array, desc: PixelDescription): Uint8Array {
  const bytesPerSample = desc.bitsAllocated === 1 ? 1 : desc.bitsAllocated / 8;
  const samples = desc.samplesPerPixel;
  const offsets = rleSegmentOffsets(frame);
  const expected = samples * bytesPerSample;
  if (offsets.length !== expected) {
    throw new Error(
      `RLE frame has ${offsets.length} segments; ${samples} sample(s) of ` +
        `${desc.bitsAllocated} bits need ${expected}`,
    );
  }
  const count = segmentLength(desc);
  const out = new Uint8Array(count * expected);
  const planar = desc.planarConfiguration === 1 && samples > 1;
  for (let s = 0; s < offsets.length; s++) {
    const sample = Math.floor(s / bytesPerSample);
    // Segments go from the most significant byte; little endian puts it last.
    const byte = bytesPerSample - 1 - (s % bytesPerSample);
    const start = planar ? sample * count * bytesPerSample + byte : sample * bytesPerSample + byte;
    const step = planar ? bytesPerSample : samples * bytesPerSample;
    const segment = frame.subarray(offsets[s], offsets[s + 1] ?? frame.length);
    const written = decodeRleSegment(segment, out, start, step, count);
    if (written < count) {
      throw new Error(`RLE segment ${s + 1} decodes to ${written} bytes, expected ${count}`);
    }
  }
  return out;
}

/** A frame starts with an RLE header: 1 to 15 segments, the first right after the header. */
function isRleFrameStart(fragment: Uint8Array): boolean {
  if (fragment.length < HEADER_LENGTH) return false;
  const view = new DataView(fragment.buffer, fragment.byteOffset, fragment.byteLength);
  const count = view.getUint32(0, true);
  return count >= 1 && count <= MAX_SEGMENTS && view.getUint32(4, true) === HEADER_LENGTH;
}

/** Our RLE decoder behind the Codec interface. */
export const rleCodec: Codec = {
  name: 'RLE Lossless',
  transferSyntaxes: [RLE_LOSSLESS],
  decode: decodeRleFrame,
  isFrameStart: isRleFrameStart,
};
