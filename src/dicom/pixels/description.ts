import type { Dataset, Element } from '../dataset.js';
import { DicomError } from '../errors.js';
import {
  DOUBLE_FLOAT_PIXEL_DATA,
  FLOAT_PIXEL_DATA,
  makeTag,
  PIXEL_DATA,
  type Tag,
} from '../tag.js';
import { readNumbers, readStrings } from '../values/index.js';
import { PixelError } from './errors.js';

// The Image Pixel module (PS3.3 C.7.6.3) and the multi-frame module (C.7.6.6).
const SAMPLES_PER_PIXEL = makeTag(0x0028, 0x0002);
const PHOTOMETRIC_INTERPRETATION = makeTag(0x0028, 0x0004);
const PLANAR_CONFIGURATION = makeTag(0x0028, 0x0006);
const NUMBER_OF_FRAMES = makeTag(0x0028, 0x0008);
const ROWS = makeTag(0x0028, 0x0010);
const COLUMNS = makeTag(0x0028, 0x0011);
const BITS_ALLOCATED = makeTag(0x0028, 0x0100);
const BITS_STORED = makeTag(0x0028, 0x0101);
const HIGH_BIT = makeTag(0x0028, 0x0102);
const PIXEL_REPRESENTATION = makeTag(0x0028, 0x0103);

/**
 * Which element holds the pixels: Pixel Data (7FE0,0010) holds integers, Float Pixel Data
 * (7FE0,0008) 32-bit and Double Float Pixel Data (7FE0,0009) 64-bit IEEE floats (PS3.3 C.7.6.3).
 */
export type PixelDataKind = 'integer' | 'float' | 'double';

/** How the pixel cells of an image are laid out: the Image Pixel module as numbers. */
export interface PixelDescription {
  readonly rows: number;
  readonly columns: number;
  /** Number of Frames (0028,0008); 1 when absent. */
  readonly frames: number;
  readonly samplesPerPixel: number;
  /** 1, or a multiple of 8 up to 64. */
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: 0 | 1;
  /** 0 colour-by-pixel (R1G1B1R2...), 1 colour-by-plane (R1R2...G1G2...B1B2...). */
  readonly planarConfiguration: 0 | 1;
  /** As encoded, without padding (MONOCHROME2, RGB, YBR_FULL_422...). */
  readonly photometricInterpretation: string;
  readonly kind: PixelDataKind;
}

/** The pixel data element of a dataset (integer, float or double), or undefined. */
export function pixelDataElement(dataset: Dataset): Element | undefined {
  return (
    dataset.get(PIXEL_DATA) ?? dataset.get(FLOAT_PIXEL_DATA) ?? dataset.get(DOUBLE_FLOAT_PIXEL_DATA)
  );
}

function kindOf(tag: Tag): PixelDataKind {
  if (tag === FLOAT_PIXEL_DATA) return 'float';
  if (tag === DOUBLE_FLOAT_PIXEL_DATA) return 'double';
  return 'integer';
}

/**
 * The pixel layout of a dataset with pixel data. Throws PixelError NO_PIXEL_DATA when there is
 * none and BAD_PIXEL_ATTRIBUTES when Rows, Columns or Bits Allocated are missing, or a value is
 * out of the range this decoder handles. Optional attributes take their defaults: one sample,
 * one frame, Bits Stored = Bits Allocated, High Bit = Bits Stored - 1, unsigned, colour-by-pixel.
 */
export function describePixels(dataset: Dataset): PixelDescription {
  const element = pixelDataElement(dataset);
  if (element === undefined) {
    throw new PixelError('NO_PIXEL_DATA', 'the dataset has no Pixel Data');
  }
  const kind = kindOf(element.tag);
  const rows = readInteger(dataset, ROWS, 'Rows');
  const columns = readInteger(dataset, COLUMNS, 'Columns');
  const defaultBits = kind === 'float' ? 32 : kind === 'double' ? 64 : undefined;
  const bitsAllocated = readInteger(dataset, BITS_ALLOCATED, 'Bits Allocated') ?? defaultBits;
  if (rows === undefined || columns === undefined || bitsAllocated === undefined) {
    const missing = [
      rows === undefined ? 'Rows' : '',
      columns === undefined ? 'Columns' : '',
      bitsAllocated === undefined ? 'Bits Allocated' : '',
    ].filter((name) => name !== '');
    throw new PixelError(
      'BAD_PIXEL_ATTRIBUTES',
      `Pixel Data without the image attributes that describe it (missing ${missing.join(', ')})`,
    );
  }
  const samplesPerPixel = readInteger(dataset, SAMPLES_PER_PIXEL, 'Samples per Pixel') ?? 1;
  const frames = readInteger(dataset, NUMBER_OF_FRAMES, 'Number of Frames') ?? 1;
  const bitsStored = readInteger(dataset, BITS_STORED, 'Bits Stored') ?? bitsAllocated;
  const highBit = readInteger(dataset, HIGH_BIT, 'High Bit') ?? bitsStored - 1;
  const pixelRepresentation = readInteger(dataset, PIXEL_REPRESENTATION, 'Pixel Representation');
  const planar = readInteger(dataset, PLANAR_CONFIGURATION, 'Planar Configuration');
  const photometric = readText(dataset, PHOTOMETRIC_INTERPRETATION);

  check(rows >= 1 && rows <= 0xffff, `Rows ${rows} is out of range`);
  check(columns >= 1 && columns <= 0xffff, `Columns ${columns} is out of range`);
  check(frames >= 1, `Number of Frames ${frames} is out of range`);
  check(
    samplesPerPixel >= 1 && samplesPerPixel <= 4,
    `Samples per Pixel ${samplesPerPixel} is not supported`,
  );
  check(
    bitsAllocated === 1 || (bitsAllocated % 8 === 0 && bitsAllocated <= 64),
    `Bits Allocated ${bitsAllocated} is not supported (1 or a multiple of 8 up to 64)`,
  );
  check(
    bitsStored >= 1 && bitsStored <= bitsAllocated,
    `Bits Stored ${bitsStored} does not fit Bits Allocated ${bitsAllocated}`,
  );
  return {
    rows,
    columns,
    frames,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: pixelRepresentation === 1 ? 1 : 0,
    // Planar Configuration is meaningful only with more than one sample (PS3.3 C.7.6.3.1.3).
    planarConfiguration: planar === 1 && samplesPerPixel > 1 ? 1 : 0,
    photometricInterpretation: photometric ?? (samplesPerPixel === 1 ? 'MONOCHROME2' : 'RGB'),
    kind,
  };
}

/**
 * Bits in one frame as stored natively. YBR_FULL_422 and YBR_PARTIAL_422 keep two luminance and
 * one pair of chrominance samples per two pixels, YBR_PARTIAL_420 one pair per four pixels
 * (PS3.3 C.7.6.3.1.2).
 */
export function frameBits(desc: PixelDescription): number {
  const pixels = desc.rows * desc.columns;
  const cell = desc.bitsAllocated;
  if (desc.samplesPerPixel === 3) {
    const photometric = desc.photometricInterpretation;
    if (photometric === 'YBR_FULL_422' || photometric === 'YBR_PARTIAL_422') {
      return pixels * 2 * cell;
    }
    if (photometric === 'YBR_PARTIAL_420') return (pixels * 3 * cell) / 2;
  }
  return pixels * desc.samplesPerPixel * cell;
}

/** Bytes of one frame stored on its own (a 1-bit frame rounded up to whole bytes). */
export function frameLength(desc: PixelDescription): number {
  return Math.ceil(frameBits(desc) / 8);
}

/** Bytes of all frames stored natively one after the other (1-bit frames share bytes). */
export function nativeLength(desc: PixelDescription): number {
  return Math.ceil((frameBits(desc) * desc.frames) / 8);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new PixelError('BAD_PIXEL_ATTRIBUTES', message);
}

/** The first value of a US or IS attribute; undefined when absent or empty. */
function readInteger(dataset: Dataset, tag: Tag, name: string): number | undefined {
  const element = dataset.get(tag);
  if (element === undefined || element.kind !== 'value') return undefined;
  let values: number[];
  try {
    values = readNumbers(dataset, element);
  } catch (error) {
    const reason = error instanceof DicomError ? error.message : String(error);
    throw new PixelError('BAD_PIXEL_ATTRIBUTES', `${name} is unreadable: ${reason}`, {
      cause: error,
    });
  }
  const value = values[0];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value)) {
    throw new PixelError('BAD_PIXEL_ATTRIBUTES', `${name} ${value} is not an integer`);
  }
  return value;
}

function readText(dataset: Dataset, tag: Tag): string | undefined {
  const element = dataset.get(tag);
  if (element === undefined || element.kind !== 'value') return undefined;
  try {
    const value = readStrings(dataset, element)[0]?.trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}
