/** Stored pixel values of one frame as numbers (PS3.5 8.1.1, PS3.3 C.7.6.3.1.1). Pure. */
import { unpackBits, type PixelDescription } from '../dicom/pixels/index.js';

/**
 * The stored values of one grey frame (PS3.5 8.1.1, PS3.3 C.7.6.3.1.1): Bits Stored bits ending
 * at High Bit, two's complement when Pixel Representation is 1. Int32Array up to 16 bits stored,
 * Float64Array above and for float pixel data.
 */
export function storedValues(frame: Uint8Array, desc: PixelDescription): Int32Array | Float64Array {
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
  const out = new Int32Array(count);
  const mask = stored >= 32 ? 0xffffffff : (1 << stored) - 1;
  const sign = 1 << (stored - 1);
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
