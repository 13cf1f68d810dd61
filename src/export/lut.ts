/**
 * Lookup tables as the Image Pixel, Modality LUT and VOI LUT modules store them (PS3.3 C.7.6.3,
 * C.11.1, C.11.2): a descriptor (entries, first value mapped, bits per entry) and the data, or a
 * segmented palette (C.7.9.2). Pure.
 */
import {
  readBinary,
  readNumbers,
  type Dataset,
  type Element,
  type ValueElement,
} from '../dicom/index.js';

/** A decoded lookup table: `data[i]` is the output for input `firstMapped + i`. */
export interface Lut {
  /** The input value mapped to the first entry (signed when the input is, PS3.3 C.11.1.1.1). */
  readonly firstMapped: number;
  /** Bits per entry: the range of the output is 0 .. 2^bits - 1. */
  readonly bits: number;
  readonly data: Uint16Array;
}

/** The output of a LUT for an input value: values outside the table take the first or last entry. */
export function lookup(lut: Lut, value: number): number {
  const index = Math.round(value) - lut.firstMapped;
  const data = lut.data;
  if (index <= 0) return data[0]!;
  if (index >= data.length) return data[data.length - 1]!;
  return data[index]!;
}

function valueElement(element: Element | undefined): ValueElement | undefined {
  return element?.kind === 'value' && element.bytes !== undefined ? element : undefined;
}

/**
 * A LUT Descriptor (3 values): entries (0 means 65536), first value mapped, bits. The second
 * value is read as signed when the pixel data is signed, whatever VR the file used (US or SS).
 */
export function readDescriptor(
  dataset: Dataset,
  element: Element | undefined,
  signedInput: boolean,
): { entries: number; firstMapped: number; bits: number } | undefined {
  const value = valueElement(element);
  if (value === undefined) return undefined;
  let numbers: number[];
  try {
    numbers = readNumbers(dataset, value);
  } catch {
    return undefined;
  }
  const [entries, first, bits] = numbers;
  if (entries === undefined || first === undefined || bits === undefined) return undefined;
  let firstMapped = first;
  if (signedInput && first > 0x7fff) firstMapped = first - 0x10000;
  if (!signedInput && first < 0) firstMapped = first + 0x10000;
  return { entries: entries === 0 ? 0x10000 : entries, firstMapped, bits };
}

/** The bytes of a value in little endian 16-bit words (host order) or as bytes. */
function words(dataset: Dataset, element: ValueElement): Uint16Array {
  const values = readBinary(dataset, { ...element, vr: 'OW' });
  return values as Uint16Array;
}

/**
 * LUT Data for a descriptor. 16-bit entries are one word each; 8-bit entries are one word each
 * too in conformant files (C.11.1.1.1), but some writers pack two per word: the length decides.
 */
export function readLut(
  dataset: Dataset,
  descriptor: { entries: number; firstMapped: number; bits: number },
  element: Element | undefined,
): Lut | undefined {
  const value = valueElement(element);
  if (value === undefined) return undefined;
  const { entries, firstMapped } = descriptor;
  let data: Uint16Array;
  if (value.bytes!.length >= entries * 2) {
    data = words(dataset, value).slice(0, entries);
  } else if (value.bytes!.length >= entries) {
    data = Uint16Array.from(value.bytes!.subarray(0, entries));
  } else {
    return undefined;
  }
  return { firstMapped, bits: effectiveBits(descriptor.bits, data), data };
}

/**
 * Bits per entry, corrected the way viewers do for descriptors that lie: a table whose entries
 * exceed 8 bits is 16-bit whatever it says.
 */
function effectiveBits(declared: number, data: Uint16Array): number {
  let max = 0;
  for (const v of data) if (v > max) max = v;
  if (declared <= 8 && max > 0xff) return 16;
  if (declared < 1 || declared > 16) return 16;
  return declared;
}

/**
 * Expands Segmented Palette Color LUT Data (PS3.3 C.7.9.2): discrete (opcode 0), linear (1) and
 * indirect (2) segments, into `entries` 16-bit values. Returns undefined on a malformed table.
 */
export function expandSegmented(segments: Uint16Array, entries: number): Uint16Array | undefined {
  const out: number[] = [];
  let i = 0;
  // Offsets of each segment in `segments`, for indirect segments.
  const starts: number[] = [];
  const run = (from: number, to: number, depth: number): boolean => {
    let k = from;
    while (k < to) {
      if (depth === 0) starts.push(k);
      const opcode = segments[k];
      const length = segments[k + 1];
      if (opcode === undefined || length === undefined) return false;
      if (opcode === 0) {
        if (k + 2 + length > segments.length) return false;
        for (let n = 0; n < length; n++) out.push(segments[k + 2 + n]!);
        k += 2 + length;
      } else if (opcode === 1) {
        const end = segments[k + 2];
        const start = out[out.length - 1];
        if (end === undefined || start === undefined) return false;
        for (let n = 1; n <= length; n++)
          out.push(Math.round(start + ((end - start) * n) / length));
        k += 3;
      } else if (opcode === 2) {
        if (depth > 0) return false;
        const low = segments[k + 2];
        const high = segments[k + 3];
        if (low === undefined || high === undefined) return false;
        const offset = low + high * 0x10000;
        const first = starts.indexOf(offset);
        if (first < 0 || first + length > starts.length) return false;
        const begin = starts[first]!;
        const end = first + length < starts.length ? starts[first + length]! : k;
        if (!run(begin, end, depth + 1)) return false;
        k += 4;
      } else {
        return false;
      }
      if (out.length > entries) break;
    }
    return true;
  };
  if (!run(i, segments.length, 0)) return undefined;
  i = out.length;
  if (i < entries) return undefined;
  return Uint16Array.from(out.slice(0, entries));
}

/** Segmented LUT data as a Lut for its descriptor. */
export function readSegmentedLut(
  dataset: Dataset,
  descriptor: { entries: number; firstMapped: number; bits: number },
  element: Element | undefined,
): Lut | undefined {
  const value = valueElement(element);
  if (value === undefined) return undefined;
  const data = expandSegmented(words(dataset, value), descriptor.entries);
  if (data === undefined) return undefined;
  return { firstMapped: descriptor.firstMapped, bits: effectiveBits(descriptor.bits, data), data };
}
