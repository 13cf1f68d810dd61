/**
 * Binary values (PS3.5 6.2, 7.3): fixed-width numbers, the O* VRs, UN and AT.
 */
import type { Dataset, ValueElement } from '../dataset.js';
import { DicomError } from '../errors.js';
import { makeTag, type Tag } from '../tag.js';
import { BINARY_VR_WIDTH, type VR } from '../vr.js';
import { valueBytes } from './strings.js';

/** The typed array readBinary returns for each VR family. */
export type BinaryArray =
  | Uint8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

type BinaryArrayConstructor = {
  new (length: number): BinaryArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): BinaryArray;
  readonly BYTES_PER_ELEMENT: number;
};

const ARRAY_FOR_VR: Readonly<Partial<Record<VR, BinaryArrayConstructor>>> = {
  OB: Uint8Array,
  UN: Uint8Array,
  US: Uint16Array,
  OW: Uint16Array,
  SS: Int16Array,
  UL: Uint32Array,
  OL: Uint32Array,
  SL: Int32Array,
  FL: Float32Array,
  OF: Float32Array,
  FD: Float64Array,
  OD: Float64Array,
  SV: BigInt64Array,
  UV: BigUint64Array,
  OV: BigUint64Array,
};

/** VRs readBinary reads (AT has its own reader, readTags). */
export const BINARY_VRS: ReadonlySet<VR> = new Set(Object.keys(ARRAY_FOR_VR) as VR[]);

/** Whether this platform stores typed arrays little endian (every current one does). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The byte order of an element's value: the dataset's, except for an element encoded with VR UN
 * whose VR is now known, which stays little endian whatever the transfer syntax (PS3.5 6.2.2
 * note 2).
 */
export function valueIsLittleEndian(dataset: Dataset, element: ValueElement): boolean {
  if (element.wireVR === 'UN' && element.vr !== 'UN') return true;
  return dataset.encoding.littleEndian;
}

/** Reverses each `width`-byte word of `bytes` in place. */
export function swapBytes(bytes: Uint8Array, width: number): void {
  if (width <= 1) return;
  for (let start = 0; start + width <= bytes.length; start += width) {
    for (let i = start, j = start + width - 1; i < j; i++, j--) {
      const tmp = bytes[i]!;
      bytes[i] = bytes[j]!;
      bytes[j] = tmp;
    }
  }
}

/**
 * The value of a US SS UL SL FL FD SV UV OB OW OL OD OF OV or UN element as a typed array in
 * host byte order: Uint16Array for US/OW, Int16Array for SS, Uint32Array for UL/OL, Int32Array
 * for SL, Float32Array for FL/OF, Float64Array for FD/OD, BigInt64Array for SV, BigUint64Array
 * for UV/OV, Uint8Array for OB/UN.
 *
 * When the stored bytes are already in host order and aligned the array is a view of them (no
 * copy: do not modify it); otherwise it is a swapped or realigned copy. Throws DicomError
 * BAD_VALUE when the length is not a multiple of the value size, for a value that was not
 * loaded and for other VRs.
 */
export function readBinary(dataset: Dataset, element: ValueElement): BinaryArray {
  const Ctor = ARRAY_FOR_VR[element.vr];
  if (Ctor === undefined) {
    throw new DicomError('BAD_VALUE', `VR ${element.vr} is not a binary VR`, {
      tag: element.tag,
      offset: element.offset,
    });
  }
  const bytes = valueBytes(element);
  const width = Ctor.BYTES_PER_ELEMENT;
  if (bytes.length % width !== 0) {
    throw new DicomError(
      'BAD_VALUE',
      `${element.vr} value length ${bytes.length} is not a multiple of ${width}`,
      { tag: element.tag, offset: element.offset },
    );
  }
  const count = bytes.length / width;
  if (width === 1) return new Uint8Array(bytes.buffer, bytes.byteOffset, count);
  const swap = valueIsLittleEndian(dataset, element) !== HOST_LITTLE_ENDIAN;
  if (!swap && bytes.byteOffset % width === 0) {
    return new Ctor(bytes.buffer, bytes.byteOffset, count);
  }
  const array = new Ctor(count);
  const copy = new Uint8Array(array.buffer, array.byteOffset, bytes.length);
  copy.set(bytes);
  if (swap) swapBytes(copy, width);
  return array;
}

/**
 * The value bytes in little endian order, as PS3.18 InlineBinary and bulk data carry them: the
 * stored bytes when they already are (no copy), a swapped copy for big endian datasets.
 */
export function littleEndianBytes(dataset: Dataset, element: ValueElement): Uint8Array {
  const bytes = valueBytes(element);
  const width = element.vr === 'AT' ? 2 : (BINARY_VR_WIDTH[element.vr] ?? 1);
  if (width === 1 || valueIsLittleEndian(dataset, element)) return bytes;
  // A copy, never a view: on a Node Buffer, slice() is a view, and swapping it would change the
  // dataset's own bytes (a second reader would see them swapped).
  const copy = new Uint8Array(bytes);
  swapBytes(copy, width);
  return copy;
}

/**
 * The shortest decimal that reads back as the same 32-bit float (FL, OF): 9.7 rather than the
 * 9.699999809265137 a float32 widens to. NaN and infinities are returned as they are.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  // A binary search over 1..8 digits: if d digits read back as the value, so do d + 1 (the
  // nearest (d + 1)-digit decimal is at least as near as the d-digit one). Most header values
  // need few digits or many, so this halves the toPrecision calls of a linear search.
  let low = 1;
  let high = 9; // 9 stands for "none up to 8": the value as it is
  let best = value;
  while (low < high) {
    const digits = (low + high) >> 1;
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) {
      best = candidate;
      high = digits;
    } else {
      low = digits + 1;
    }
  }
  return best;
}

/**
 * The values of an AT element: each is a group number then an element number, each 16 bits in
 * the value's byte order (PS3.5 table 6.2-1). Throws DicomError BAD_VALUE when the length is
 * not a multiple of 4.
 */
export function readTags(dataset: Dataset, element: ValueElement): Tag[] {
  const bytes = valueBytes(element);
  if (bytes.length % 4 !== 0) {
    throw new DicomError('BAD_VALUE', `AT value length ${bytes.length} is not a multiple of 4`, {
      tag: element.tag,
      offset: element.offset,
    });
  }
  const little = valueIsLittleEndian(dataset, element);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tags: Tag[] = [];
  for (let at = 0; at < bytes.length; at += 4) {
    tags.push(makeTag(view.getUint16(at, little), view.getUint16(at + 2, little)));
  }
  return tags;
}
