/**
 * A rendered frame to PNG bytes with sharp (libvips + libpng), which encodes off the JavaScript
 * thread. Two gotchas measured in shared/reference/dependencies-and-peers.md 4.5: sharp takes
 * the sample depth from the typed array (a Buffer is 8-bit; 16-bit needs a Uint16Array), and it
 * writes 3-channel RGB unless told the colour space ('b-w', 'grey16', 'rgb16').
 */
import sharp from 'sharp';
import type { RenderedImage } from './render.js';

export interface PngOptions {
  /** Fit the image inside a square of this many pixels (aspect kept, never enlarged). */
  readonly resize?: number | undefined;
  /** zlib level 0-9; default 6, as libpng's. */
  readonly compressionLevel?: number | undefined;
}

/** Encodes one rendered frame as PNG: grey or RGB, 8 or 16 bits per sample. */
export async function encodePng(image: RenderedImage, options: PngOptions = {}): Promise<Buffer> {
  const { width, height, channels, bits, data } = image;
  const input = bits === 16 ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let pipeline = sharp(input, { raw: { width, height, channels } });
  if (options.resize !== undefined && (width > options.resize || height > options.resize)) {
    pipeline = pipeline.resize({
      width: options.resize,
      height: options.resize,
      fit: 'inside',
      withoutEnlargement: true,
    });
  }
  const space = channels === 1 ? (bits === 16 ? 'grey16' : 'b-w') : bits === 16 ? 'rgb16' : 'srgb';
  return pipeline
    .toColourspace(space)
    .png({ compressionLevel: options.compressionLevel ?? 6 })
    .toBuffer();
}
