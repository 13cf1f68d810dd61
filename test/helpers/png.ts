// Reading PNGs back as sample values, for comparing ours with DCMTK's. sharp's cache is off (a
// file rewritten under the same name would come back stale), and 16-bit grey must be asked for as
// grey16, or sharp hands back 8-bit values.
import sharp from 'sharp';

sharp.cache(false);

export interface PngSamples {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly bits: 8 | 16;
  readonly data: Uint8Array | Uint16Array;
}

/** The samples of a PNG file or buffer: grey as one channel, colour as RGB. */
export async function readPng(input: string | Buffer): Promise<PngSamples> {
  const meta = await sharp(input).metadata();
  const bits = meta.depth === 'ushort' ? 16 : 8;
  const grey = meta.channels === 1 || meta.space === 'b-w' || meta.space === 'grey16';
  let image = sharp(input);
  if (grey) image = bits === 16 ? image.toColourspace('grey16') : image.extractChannel(0);
  else image = image.removeAlpha().toColourspace(bits === 16 ? 'rgb16' : 'srgb');
  const { data, info } = await image
    .raw({ depth: bits === 16 ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const samples =
    bits === 16
      ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length))
      : new Uint8Array(data);
  return { width: info.width, height: info.height, channels: info.channels, bits, data: samples };
}

/** The largest absolute difference between two sample arrays, and how many differ. */
export function maxDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): { max: number; differing: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) differing++;
    if (d > max) max = d;
  }
  return { max, differing };
}
