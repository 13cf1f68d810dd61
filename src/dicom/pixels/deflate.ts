/**
 * Deflated Image Frame Compression (PS3.5 A.4.11, transfer syntax 1.2.840.10008.1.2.8.1): each
 * frame is its native pixel data compressed with Deflate (RFC 1951, no zlib header), one frame
 * per fragment. A 1-bit frame is packed on its own, starting on a byte boundary.
 */
import { inflateSync } from 'fflate';
import type { Codec } from './codec.js';
import { frameLength, type PixelDescription } from './description.js';

export const DEFLATED_IMAGE_FRAME_COMPRESSION = '1.2.840.10008.1.2.8.1';

/** Inflates one frame; throws when the stream is corrupt or inflates to too few bytes. */
export function inflateFrame(frame: Uint8Array, desc: PixelDescription): Uint8Array {
  const expected = frameLength(desc);
  const out = inflateSync(frame, { out: new Uint8Array(expected + (expected % 2)) });
  if (out.length < expected) {
    throw new Error(`deflated frame inflates to ${out.length} bytes, expected ${expected}`);
  }
  return out.subarray(0, expected);
}

export const deflatedFrameCodec: Codec = {
  name: 'Deflated Image Frame Compression',
  transferSyntaxes: [DEFLATED_IMAGE_FRAME_COMPRESSION],
  decode: inflateFrame,
};
