/**
 * Native (uncompressed) pixel data (PS3.5 8.1): frames stored one after the other, 1-bit cells
 * packed eight to a byte with the first pixel in the least significant bit (8.1.1), frames of
 * 1-bit data not necessarily starting on a byte boundary.
 */
import { frameBits, type PixelDescription } from './description.js';
import { PixelError } from './errors.js';

/** Reverses each `width`-byte word of `bytes` into a new array (a trailing partial word is kept). */
export function swapWords(bytes: Uint8Array, width: number): Uint8Array {
  // A copy, never a view: Buffer.prototype.slice would alias the input.
  const out = new Uint8Array(bytes);
  if (width <= 1) return out;
  const end = bytes.length - (bytes.length % width);
  for (let start = 0; start < end; start += width) {
    for (let k = 0; k < width; k++) out[start + k] = bytes[start + width - 1 - k]!;
  }
  return out;
}

/**
 * The width of the words to swap to read big-endian pixel data as little endian. OW holds
 * 16-bit words, and 1- and 8-bit cells packed in them (PS3.5 8.1.1 and 8.2); wider cells in OW
 * (32-bit dose in OW) are swapped by cell, as pydicom reads them (DCMTK swaps 16-bit words).
 * OB is a byte stream and is never swapped; OF, OD, OL and OV by their value size.
 */
export function swapWidth(vr: string, bitsAllocated: number): number {
  switch (vr) {
    case 'OB':
    case 'UN':
      return 1;
    case 'OF':
    case 'OL':
      return 4;
    case 'OD':
    case 'OV':
      return 8;
    default:
      return Math.max(2, bitsAllocated / 8);
  }
}

/**
 * Copies `bitCount` bits of `source` starting at bit `bitOffset` (LSB-first order) into
 * `target` starting at bit `targetBit`. The bytes of target beyond what is written stay as they are.
 */
export function copyBits(
  source: Uint8Array,
  bitOffset: number,
  bitCount: number,
  target: Uint8Array,
  targetBit: number,
): void {
  if (bitOffset % 8 === 0 && targetBit % 8 === 0 && bitCount % 8 === 0) {
    target.set(source.subarray(bitOffset / 8, (bitOffset + bitCount) / 8), targetBit / 8);
    return;
  }
  for (let i = 0; i < bitCount; i++) {
    const from = bitOffset + i;
    const to = targetBit + i;
    const bit = (source[from >>> 3]! >>> (from & 7)) & 1;
    const index = to >>> 3;
    if (bit === 1) target[index] = target[index]! | (1 << (to & 7));
    else target[index] = target[index]! & ~(1 << (to & 7));
  }
}

/**
 * One frame of native pixel data (little endian), as bytes of its own: a view when the frame
 * starts on a byte boundary, a realigned copy for a 1-bit frame that does not. Throws PixelError
 * BAD_PIXEL_DATA when the data is too short for the frame.
 */
export function nativeFrame(pixels: Uint8Array, desc: PixelDescription, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= desc.frames) {
    throw new RangeError(`frame ${index + 1} of ${desc.frames} does not exist`);
  }
  const bits = frameBits(desc);
  const first = bits * index;
  const length = Math.ceil(bits / 8);
  if (Math.ceil((first + bits) / 8) > pixels.length) {
    throw new PixelError(
      'BAD_PIXEL_DATA',
      `Pixel Data has ${pixels.length} bytes, too few for ${desc.frames} frame(s)`,
      { frame: index },
    );
  }
  if (first % 8 === 0) return pixels.subarray(first / 8, first / 8 + length);
  const out = new Uint8Array(length);
  copyBits(pixels, first, bits, out, 0);
  return out;
}

/**
 * Frames decoded one by one, as native pixel data: concatenated, 1-bit frames packed one after
 * the other without padding between them (so the result reads like a native multi-frame
 * object), and the whole padded to an even length as a DICOM value is (PS3.5 7.1.1).
 */
export function assembleFrames(frames: readonly Uint8Array[], desc: PixelDescription): Uint8Array {
  const bits = frameBits(desc);
  const total = Math.ceil((bits * frames.length) / 8);
  const out = new Uint8Array(total + (total % 2));
  if (bits % 8 === 0) {
    let offset = 0;
    for (const frame of frames) {
      out.set(frame.subarray(0, bits / 8), offset);
      offset += bits / 8;
    }
  } else {
    frames.forEach((frame, i) => copyBits(frame, 0, bits, out, i * bits));
  }
  return out;
}

/** Unpacks 1-bit cells (LSB first) to one byte per cell, 0 or 1. */
export function unpackBits(packed: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (packed[i >>> 3]! >>> (i & 7)) & 1;
  return out;
}
