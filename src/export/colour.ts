/**
 * Colour frames to interleaved RGB (PS3.3 C.7.6.3.1.2): RGB as stored (either planar
 * configuration), YBR_FULL and YBR_FULL_422 / YBR_PARTIAL_422 native data converted with the
 * equations of C.7.6.3.1.2, PALETTE COLOR through its three tables (C.7.6.3.1.5). Samples wider
 * than the output are shifted down, narrower ones scaled up (as DCMTK's colour output does). Pure.
 */
import type { PixelDescription } from '../dicom/pixels/index.js';
import type { RenderAttributes } from './attributes.js';
import { lookup } from './lut.js';
import type { OutputBits, RenderedImage } from './render.js';
import { storedValues } from './stored.js';

/** Renders a colour frame (3 samples, or one palette index) as interleaved RGB. */
export function renderColour(
  frame: Uint8Array,
  desc: PixelDescription,
  attrs: RenderAttributes,
  bits: OutputBits,
): RenderedImage {
  const width = desc.columns;
  const height = desc.rows;
  const count = width * height;
  const out = bits === 8 ? new Uint8Array(count * 3) : new Uint16Array(count * 3);
  const photometric = desc.photometricInterpretation;
  if (photometric === 'PALETTE COLOR') {
    if (attrs.palette === undefined) {
      throw new RangeError('PALETTE COLOR without readable Palette Color Lookup Tables');
    }
    const { red, green, blue } = attrs.palette;
    const indexes = storedValues(frame, { ...desc, samplesPerPixel: 1 });
    const scales = [red, green, blue].map((lut) => scaler(lut.bits, bits));
    const [sr, sg, sb] = scales as [Scale, Scale, Scale];
    for (let i = 0; i < count; i++) {
      const index = indexes[i]!;
      out[3 * i] = sr(lookup(red, index));
      out[3 * i + 1] = sg(lookup(green, index));
      out[3 * i + 2] = sb(lookup(blue, index));
    }
    return { width, height, channels: 3, bits, data: out };
  }
  if (desc.samplesPerPixel !== 3) {
    throw new RangeError(`${photometric} with ${desc.samplesPerPixel} samples cannot be rendered`);
  }
  const sampleBits = Math.min(desc.bitsStored, desc.bitsAllocated);
  const scale = scaler(sampleBits, bits);
  let samples = readSamples(frame, desc);
  if (photometric === 'YBR_FULL_422' || photometric === 'YBR_PARTIAL_422') {
    samples = upsample422(samples, desc);
  } else if (photometric === 'YBR_PARTIAL_420') {
    throw new RangeError('native YBR_PARTIAL_420 pixel data cannot be rendered');
  }
  const plane = desc.planarConfiguration === 1 && !photometric.endsWith('_422');
  const at = plane
    ? (i: number, s: number) => samples[s * count + i]!
    : (i: number, s: number) => samples[3 * i + s]!;
  const convert = converter(photometric, sampleBits);
  const rgb = [0, 0, 0];
  for (let i = 0; i < count; i++) {
    convert(at(i, 0), at(i, 1), at(i, 2), rgb);
    out[3 * i] = scale(rgb[0]!);
    out[3 * i + 1] = scale(rgb[1]!);
    out[3 * i + 2] = scale(rgb[2]!);
  }
  return { width, height, channels: 3, bits, data: out };
}

type Scale = (v: number) => number;

/** Sample of `from` bits to `to` bits: shift down, or scale up by (2^to - 1) / (2^from - 1). */
function scaler(from: number, to: number): Scale {
  if (from === to) return (v) => v;
  if (from > to) {
    const shift = from - to;
    return (v) => Math.max(0, v) >>> shift;
  }
  const gradient = (2 ** to - 1) / (2 ** from - 1);
  return (v) => Math.trunc(Math.max(0, v) * gradient);
}

/** The samples of a colour frame as unsigned numbers (Bits Stored of each cell). */
function readSamples(frame: Uint8Array, desc: PixelDescription): Uint32Array {
  const bits = desc.bitsAllocated;
  const stored = Math.min(desc.bitsStored, bits);
  const mask = stored >= 32 ? 0xffffffff : 2 ** stored - 1;
  const cells = Math.floor((frame.length * 8) / bits);
  const out = new Uint32Array(cells);
  if (bits === 8) {
    for (let i = 0; i < cells; i++) out[i] = frame[i]! & mask;
  } else if (bits === 16) {
    for (let i = 0; i < cells; i++) out[i] = (frame[2 * i]! | (frame[2 * i + 1]! << 8)) & mask;
  } else if (bits === 32) {
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    for (let i = 0; i < cells; i++) out[i] = (view.getUint32(4 * i, true) & mask) >>> 0;
  } else {
    throw new RangeError(`${bits}-bit colour samples cannot be rendered`);
  }
  return out;
}

/**
 * YBR 4:2:2 native data (Y1 Y2 Cb Cr per pair of pixels, PS3.3 C.7.6.3.1.2) to three samples per
 * pixel, colour-by-pixel. An odd last column keeps its own Y and the pair's chroma.
 */
function upsample422(samples: Uint32Array, desc: PixelDescription): Uint32Array {
  const { rows, columns } = desc;
  const perRow = 2 * columns + (columns % 2);
  if (samples.length < rows * perRow - (columns % 2)) {
    throw new RangeError('YBR 4:2:2 frame too short');
  }
  const full = new Uint32Array(rows * columns * 3);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c += 2) {
      const at = r * perRow + 2 * c;
      const cb = samples[at + 2] ?? 0;
      const cr = samples[at + 3] ?? 0;
      const o = 3 * (r * columns + c);
      full[o] = samples[at]!;
      full[o + 1] = cb;
      full[o + 2] = cr;
      if (c + 1 < columns) {
        full[o + 3] = samples[at + 1]!;
        full[o + 4] = cb;
        full[o + 5] = cr;
      }
    }
  }
  return full;
}

type Converter = (a: number, b: number, c: number, rgb: number[]) => void;

function converter(photometric: string, bits: number): Converter {
  const max = 2 ** bits - 1;
  const clamp = (v: number) => (v < 0 ? 0 : v > max ? max : Math.trunc(v));
  if (photometric === 'YBR_FULL_422') {
    // DCMTK (diyf2pxt.h): in doubles, truncated once at the end, with max (not max + 1) / 2 as
    // the chroma offset.
    return (y, cb, cr, rgb) => {
      rgb[0] = clamp(y + 1.402 * cr - 0.701 * max);
      rgb[1] = clamp(y - 0.3441 * cb - 0.7141 * cr + 0.5291 * max);
      rgb[2] = clamp(y + 1.772 * cb - 0.8859 * max);
    };
  }
  if (photometric === 'YBR_FULL') {
    if (bits === 8) {
      // DCMTK's 8-bit tables: each product truncated on its own, then summed and clipped.
      const rcr = new Int16Array(256);
      const gcb = new Int16Array(256);
      const gcr = new Int16Array(256);
      const bcb = new Int16Array(256);
      for (let l = 0; l < 256; l++) {
        rcr[l] = Math.trunc(1.402 * l - 0.701 * max);
        gcb[l] = Math.trunc(0.3441 * l);
        gcr[l] = Math.trunc(0.7141 * l - 0.5291 * max);
        bcb[l] = Math.trunc(1.772 * l - 0.8859 * max);
      }
      return (y, cb, cr, rgb) => {
        rgb[0] = clamp(y + rcr[cr]!);
        rgb[1] = clamp(y - gcb[cb]! - gcr[cr]!);
        rgb[2] = clamp(y + bcb[cb]!);
      };
    }
    const half = (max + 1) / 2;
    return (y, cb, cr, rgb) => {
      rgb[0] = clamp(y + 1.402 * (cr - half));
      rgb[1] = clamp(y - 0.3441 * (cb - half) - 0.7141 * (cr - half));
      rgb[2] = clamp(y + 1.772 * (cb - half));
    };
  }
  if (photometric === 'YBR_PARTIAL_422') {
    // ITU-R BT.601 studio range: Y 16..235, Cb/Cr 16..240 (for 8 bits; scaled for more).
    const k = (max + 1) / 256;
    return (y, cb, cr, rgb) => {
      const yy = 1.1644 * (y - 16 * k);
      rgb[0] = clamp(Math.round(yy + 1.596 * (cr - 128 * k)));
      rgb[1] = clamp(Math.round(yy - 0.3917 * (cb - 128 * k) - 0.813 * (cr - 128 * k)));
      rgb[2] = clamp(Math.round(yy + 2.0172 * (cb - 128 * k)));
    };
  }
  // RGB, and YBR_ICT / YBR_RCT already converted by the JPEG 2000 decoder.
  return (r, g, b, rgb) => {
    rgb[0] = r;
    rgb[1] = g;
    rgb[2] = b;
  };
}
