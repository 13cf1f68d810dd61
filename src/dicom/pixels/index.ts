/**
 * Pixel data decoding (PS3.5 8, A.4, Annex G): the image description, frame splitting, native
 * data, our RLE decoder and the Codec interface the compressed syntaxes are decoded through.
 * Pure: codecs that need loading (the WASM ones) are registered from src/io/codecs.ts.
 */
export { CodecRegistry, type Codec } from './codec.js';
export {
  builtinCodecs,
  decodePixelData,
  ENCAPSULATED_UNCOMPRESSED,
  openPixelData,
  type DecodeOptions,
  type PixelSource,
  type PixelSourceInput,
} from './decode.js';
export { DEFLATED_IMAGE_FRAME_COMPRESSION, deflatedFrameCodec, inflateFrame } from './deflate.js';
export {
  describePixels,
  frameBits,
  frameLength,
  nativeLength,
  pixelDataElement,
  type PixelDataKind,
  type PixelDescription,
} from './description.js';
export { PixelError, type PixelErrorCode } from './errors.js';
export {
  basicOffsetTable,
  splitFrames,
  startsWithJ2kCodestream,
  startsWithJpegSoi,
  type FrameSplitMethod,
  type FrameSplitOptions,
  type SplitFrames,
} from './frames.js';
export {
  assembleFrames,
  copyBits,
  nativeFrame,
  swapWidth,
  swapWords,
  unpackBits,
} from './native.js';
export {
  decodeRleFrame,
  decodeRleSegment,
  RLE_LOSSLESS,
  rleCodec,
  rleSegmentOffsets,
} from './rle.js';
