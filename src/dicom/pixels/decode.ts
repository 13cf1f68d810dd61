/**
 * Pixel data to decoded pixel cells: native data read (and byte-swapped when big endian),
 * encapsulated data split into frames and each frame handed to the codec registered for the
 * transfer syntax. The output is the Pixel Data value an explicit VR little endian copy of the
 * object would hold: all frames, little endian, padded to an even length.
 */
import type { Dataset, EncapsulatedElement, ValueElement } from '../dataset.js';
import { lookupUid } from '../dictionary/index.js';
import type { ParseResult } from '../parse/index.js';
import {
  EXTENDED_OFFSET_TABLE,
  EXTENDED_OFFSET_TABLE_LENGTHS,
  TRANSFER_SYNTAX_UID,
  type Tag,
} from '../tag.js';
import { readBinary, readStrings, valueIsLittleEndian } from '../values/index.js';
import { CodecRegistry, type Codec } from './codec.js';
import { deflatedFrameCodec } from './deflate.js';
import {
  describePixels,
  frameLength,
  nativeLength,
  pixelDataElement,
  type PixelDescription,
} from './description.js';
import { PixelError } from './errors.js';
import { splitFrames, type FrameSplitMethod } from './frames.js';
import { assembleFrames, nativeFrame, swapWidth, swapWords } from './native.js';
import { rleCodec } from './rle.js';

/** Encapsulated Uncompressed Explicit VR Little Endian (PS3.5 A.4.11): frames stored as is. */
export const ENCAPSULATED_UNCOMPRESSED = '1.2.840.10008.1.2.1.98';

const encapsulatedUncompressedCodec: Codec = {
  name: 'Encapsulated Uncompressed',
  transferSyntaxes: [ENCAPSULATED_UNCOMPRESSED],
  decode: (frame) => frame,
};

/** The codecs that need nothing loaded: RLE, deflated frames, encapsulated uncompressed. */
export function builtinCodecs(): CodecRegistry {
  return new CodecRegistry([rleCodec, deflatedFrameCodec, encapsulatedUncompressedCodec]);
}

export interface DecodeOptions {
  /** Codecs for encapsulated transfer syntaxes. Default: builtinCodecs(). */
  readonly codecs?: CodecRegistry | undefined;
}

/** The parts of a parse result decoding needs. */
export type PixelSourceInput = Pick<ParseResult, 'dataset' | 'transferSyntaxUid'> &
  Partial<Pick<ParseResult, 'meta'>>;

/** Pixel data opened for decoding, a frame at a time. */
export interface PixelSource {
  /** The image as encoded (the dataset's attributes). */
  readonly encoded: PixelDescription;
  /** The layout of decoded frames (RGB instead of YBR after a JPEG decoder, for example). */
  readonly decoded: PixelDescription;
  /** Undefined for native pixel data. */
  readonly codec: Codec | undefined;
  /** How encapsulated data was split into frames; undefined for native data. */
  readonly splitMethod: FrameSplitMethod | undefined;
  /**
   * One frame's decoded pixel cells, little endian, as its own bytes. For little-endian native
   * data this is a view of the parsed value: do not modify it.
   */
  frame(index: number): Uint8Array;
  /** All frames as one native little-endian Pixel Data value (see decodePixelData); may be a view. */
  all(): Uint8Array;
}

/**
 * Opens the pixel data of a parsed object. Throws PixelError: NO_PIXEL_DATA,
 * BAD_PIXEL_ATTRIBUTES, BAD_PIXEL_DATA (a value not loaded or too short), BAD_FRAMES (fragments
 * that do not split into the frames announced) or UNSUPPORTED_TRANSFER_SYNTAX. Decoding errors
 * (DECODE_FAILED) come from frame() and all().
 */
export function openPixelData(input: PixelSourceInput, options: DecodeOptions = {}): PixelSource {
  const { dataset } = input;
  const encoded = describePixels(dataset);
  const element = pixelDataElement(dataset)!;
  if (element.kind === 'sequence') {
    throw new PixelError('BAD_PIXEL_DATA', 'Pixel Data is encoded as a sequence');
  }
  if (element.kind === 'value') return openNative(dataset, element, encoded);
  return openEncapsulated(input, element, encoded, options.codecs ?? builtinCodecs());
}

/**
 * All frames decoded, as the Pixel Data value of an explicit VR little endian copy: native data
 * as stored (trailing padding included) in little endian; decoded frames concatenated (1-bit
 * frames packed one after the other), padded to an even length. The layout is
 * `openPixelData(...).decoded`: colour-by-pixel RGB for colour JPEG, JPEG-LS and JPEG 2000.
 */
export function decodePixelData(input: PixelSourceInput, options: DecodeOptions = {}): Uint8Array {
  return openPixelData(input, options).all();
}

function openNative(dataset: Dataset, element: ValueElement, desc: PixelDescription): PixelSource {
  if (element.bytes === undefined) {
    throw new PixelError('BAD_PIXEL_DATA', 'Pixel Data was not loaded (read without bulk data)');
  }
  const needed = nativeLength(desc);
  if (element.bytes.length < needed) {
    throw new PixelError(
      'BAD_PIXEL_DATA',
      `Pixel Data has ${element.bytes.length} bytes; ${desc.frames} frame(s) of ` +
        `${desc.rows}x${desc.columns}x${desc.samplesPerPixel} at ${desc.bitsAllocated} bits need ${needed}`,
    );
  }
  let littleEndian: Uint8Array | undefined;
  const bytes = (): Uint8Array => {
    littleEndian ??= valueIsLittleEndian(dataset, element)
      ? element.bytes!
      : swapWords(element.bytes!, swapWidth(element.vr, desc.bitsAllocated));
    return littleEndian;
  };
  return {
    encoded: desc,
    decoded: desc,
    codec: undefined,
    splitMethod: undefined,
    frame: (index) => nativeFrame(bytes(), desc, index),
    all: () => padEven(bytes()),
  };
}

function openEncapsulated(
  input: PixelSourceInput,
  element: EncapsulatedElement,
  encoded: PixelDescription,
  codecs: CodecRegistry,
): PixelSource {
  const uid = encapsulatedSyntax(input, codecs);
  const codec = codecs.get(uid);
  if (codec === undefined) {
    const name = lookupUid(uid)?.name;
    throw new PixelError(
      'UNSUPPORTED_TRANSFER_SYNTAX',
      `no decoder for transfer syntax ${uid}${name === undefined ? '' : ` (${name})`}`,
    );
  }
  const split = splitFrames(element.fragments, {
    frames: encoded.frames,
    extendedOffsets: readOffsets(input.dataset, EXTENDED_OFFSET_TABLE),
    extendedLengths: readOffsets(input.dataset, EXTENDED_OFFSET_TABLE_LENGTHS),
    isFrameStart: codec.isFrameStart?.bind(codec),
  });
  const decoded = codec.decodedDescription?.(encoded) ?? encoded;
  const expected = frameLength(decoded);
  const frame = (index: number): Uint8Array => {
    const data = split.frames[index];
    if (data === undefined)
      throw new RangeError(`frame ${index + 1} of ${encoded.frames} does not exist`);
    let out: Uint8Array;
    try {
      out = codec.decode(data, encoded);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new PixelError('DECODE_FAILED', `${codec.name} decoder failed: ${reason}`, {
        frame: index,
        cause: error,
      });
    }
    // An odd-length frame may come back with its pad byte; anything else is a wrong image.
    if (out.length !== expected && !(expected % 2 === 1 && out.length === expected + 1)) {
      throw new PixelError(
        'DECODE_FAILED',
        `${codec.name} decoder returned ${out.length} bytes, ${describe(decoded)} needs ${expected}`,
        { frame: index },
      );
    }
    return out.length === expected ? out : out.subarray(0, expected);
  };
  return {
    encoded,
    decoded,
    codec,
    splitMethod: split.method,
    frame,
    all: () =>
      assembleFrames(
        split.frames.map((_, i) => frame(i)),
        decoded,
      ),
  };
}

/**
 * The transfer syntax to decode encapsulated fragments with: the one the dataset was read with,
 * or, when the parser corrected a wrong file meta (a JPEG file whose dataset is implicit VR),
 * the one the meta names, which still describes the fragments.
 */
function encapsulatedSyntax(input: PixelSourceInput, codecs: CodecRegistry): string {
  const read = input.transferSyntaxUid;
  if (codecs.get(read) !== undefined || input.meta === undefined) return read;
  const element = input.meta.get(TRANSFER_SYNTAX_UID);
  if (element?.kind !== 'value') return read;
  try {
    const declared = readStrings(input.meta, element)[0];
    return declared !== undefined && codecs.get(declared) !== undefined ? declared : read;
  } catch {
    return read;
  }
}

function describe(desc: PixelDescription): string {
  return `${desc.rows}x${desc.columns}x${desc.samplesPerPixel} at ${desc.bitsAllocated} bits`;
}

function padEven(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 2 === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** An Extended Offset Table (OV) as numbers; undefined when absent or unreadable. */
function readOffsets(dataset: Dataset, tag: Tag): number[] | undefined {
  const element = dataset.get(tag);
  if (element?.kind !== 'value' || element.bytes === undefined) return undefined;
  try {
    const values = readBinary(dataset, { ...element, vr: 'OV' });
    return Array.from(values as ArrayLike<bigint | number>, (value) => Number(value));
  } catch (error) {
    throw new PixelError('BAD_FRAMES', 'the Extended Offset Table is unreadable', { cause: error });
  }
}
