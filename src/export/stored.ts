/** Stored pixel values of one frame as numbers (PS3.5 8.1.1, PS3.3 C.7.6.3.1.1). Pure. */
import { unpackBits, type PixelDescription } from '../dicom/pixels/index.js';

/** Stored values: integers in an integer array, floats (and integers over 32 bits) as doubles. */
export type StoredValues = Int32Array | Float64Array | Uint16Array | Int16Array | Uint8Array;

/**
 * The stored values of one grey frame (PS3.5 8.1.1, PS3.3 C.7.6.3.1.1): Bits Stored bits ending
 * at High Bit, two's complement when Pixel Representation is 1. Float64Array for float pixel
 * data and above 16 bits stored; otherwise integers, as a view of the frame itself when the cells
 * already hold the values (8 or 16-bit cells with nothing above Bits Stored, or full 16-bit
 * signed cells), so the common case allocates nothing: a 3328 x 4096 frame copied into an
 * Int32Array cost more than rendering it. A view must not be modified.
 */
export function storedValues(frame: Uint8Array, desc: PixelDescription): StoredValues {
  const count = desc.rows * desc.columns;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (desc.kind === 'float' || desc.kind === 'double') {
    const out = new Float64Array(count);
    const width = desc.kind === 'float' ? 4 : 8;
    for (let i = 0; i < count; i++) {
      out[i] = width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
    }
    return out;
  }
  const allocated = desc.bitsAllocated;
  const stored = Math.min(desc.bitsStored, allocated);
  const highBit = desc.highBit;
  const shift = highBit >= stored - 1 && highBit < allocated ? highBit + 1 - stored : 0;
  const signed = desc.pixelRepresentation === 1;
  if (allocated === 1) {
    return Int32Array.from(unpackBits(frame, count));
  }
  if (stored > 16 || allocated > 32) {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const cell =
        allocated === 64 ? view.getBigUint64(i * 8, true) : BigInt(cellAt(view, i, allocated));
      let value = (cell >> BigInt(shift)) & ((1n << BigInt(stored)) - 1n);
      if (signed && value >> BigInt(stored - 1) === 1n) value -= 1n << BigInt(stored);
      out[i] = Number(value);
    }
    return out;
  }
  const mask = stored >= 32 ? 0xffffffff : (1 << stored) - 1;
  const sign = 1 << (stored - 1);
  const direct = directView(frame, desc, count, allocated, stored, shift, signed, mask);
  if (direct !== undefined) return direct;
  const out = new Int32Array(count);
  if (allocated === 8 && shift === 0) {
    for (let i = 0; i < count; i++) {
      const v = frame[i]! & mask;
      out[i] = signed && v & sign ? v - (sign << 1) : v;
    }
    return out;
  }
  if (allocated === 16 && shift === 0) {
    for (let i = 0; i < count; i++) {
      const v = (frame[2 * i]! | (frame[2 * i + 1]! << 8)) & mask;
      out[i] = signed && v & sign ? v - (sign << 1) : v;
    }
    return out;
  }
  for (let i = 0; i < count; i++) {
    const v = (cellAt(view, i, allocated) >>> shift) & mask;
    out[i] = signed && v & sign ? v - (sign << 1) : v;
  }
  return out;
}

/**
 * The frame itself as values, when no cell needs masking or sign extension: unsigned 8 or 16-bit
 * cells with no bit set above Bits Stored (checked), or 16-bit signed cells with 16 bits stored.
 * Decoded frames are little endian, as typed arrays are on every platform Node supports.
 */
function directView(
  frame: Uint8Array,
  desc: PixelDescription,
  count: number,
  allocated: number,
  stored: number,
  shift: number,
  signed: boolean,
  mask: number,
): StoredValues | undefined {
  if (shift !== 0 || desc.samplesPerPixel !== 1) return undefined;
  if (allocated === 8 && !signed) {
    const bytes = frame.subarray(0, count);
    if (stored === 8) return bytes;
    for (let i = 0; i < count; i++) if (bytes[i]! > mask) return undefined;
    return bytes;
  }
  if (allocated !== 16 || frame.byteOffset % 2 !== 0) return undefined;
  if (signed) {
    return stored === 16 ? new Int16Array(frame.buffer, frame.byteOffset, count) : undefined;
  }
  const words = new Uint16Array(frame.buffer, frame.byteOffset, count);
  if (stored === 16) return words;
  for (let i = 0; i < count; i++) if (words[i]! > mask) return undefined;
  return words;
}

function cellAt(view: DataView, index: number, bits: number): number {
  switch (bits) {
    case 8:
      return view.getUint8(index);
    case 16:
      return view.getUint16(index * 2, true);
    case 24:
      return view.getUint16(index * 3, true) | (view.getUint8(index * 3 + 2) << 16);
    case 32:
      return view.getUint32(index * 4, true);
    default:
      throw new RangeError(`${bits}-bit cells cannot be rendered`);
  }
}
