/**
 * One decoded frame to display values (PS3.3 C.11, the grayscale pipeline of PS3.4 N.2): stored
 * values -> Modality LUT (rescale or table) -> VOI (window, table, or the frame's min-max) ->
 * 8- or 16-bit grey, MONOCHROME1 inverted; colour images (RGB, YBR, palette) to RGB. Pure: the
 * input is the decoded pixel cells of one frame and the attributes read by attributes.ts.
 *
 * The linear window follows PS3.3 C.11.2.1.2.1 with DCMTK's arithmetic (offset + x * gradient,
 * truncated), so an 8-bit min-max rendering matches `dcm2pnm +Wm` value for value.
 */
import type { PixelDescription } from '../dicom/pixels/index.js';
import type { Lut } from './lut.js';
import { lookup } from './lut.js';
import type { ModalityTransform, RenderAttributes, VoiWindow } from './attributes.js';
import { renderColour } from './colour.js';
import { storedValues, type StoredValues } from './stored.js';

export type OutputBits = 8 | 16;

/** Which VOI to apply to grey images: the object's own (window or VOI LUT), or the min-max. */
export type WindowChoice = 'file' | 'minmax';

export interface RenderOptions {
  readonly bits: OutputBits;
  /** 'file' falls back to min-max for an object that gives no window and no VOI LUT. */
  readonly window: WindowChoice;
}

/** A rendered frame: rows of `width` pixels, `channels` samples each, 8 or 16 bits. */
export interface RenderedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly bits: OutputBits;
  readonly data: Uint8Array | Uint16Array;
}

/** What the VOI stage did, for metadata and tests. */
export type AppliedVoi =
  | {
      readonly kind: 'window';
      readonly center: number;
      readonly width: number;
      readonly fn: string;
    }
  | { readonly kind: 'lut' }
  | { readonly kind: 'minmax'; readonly min: number; readonly max: number }
  | { readonly kind: 'none' };

export interface RenderResult {
  readonly image: RenderedImage;
  readonly voi: AppliedVoi;
}

const GREY = new Set(['MONOCHROME1', 'MONOCHROME2']);

/**
 * Renders one frame. `desc` describes the decoded frame (openPixelData(...).decoded): a JPEG
 * decoder returns YBR as RGB, so its photometric interpretation wins over the attribute's.
 */
export function renderFrame(
  frame: Uint8Array,
  desc: PixelDescription,
  attrs: RenderAttributes,
  options: RenderOptions,
): RenderResult {
  const photometric = desc.photometricInterpretation;
  if (desc.samplesPerPixel === 3 || photometric === 'PALETTE COLOR') {
    return { image: renderColour(frame, desc, attrs, options.bits), voi: { kind: 'none' } };
  }
  if (desc.samplesPerPixel !== 1) {
    throw new RangeError(`${desc.samplesPerPixel} samples per pixel cannot be rendered`);
  }
  const values = storedValues(frame, desc);
  // Anything not grey with one sample (a mislabelled RGB) is shown as MONOCHROME2.
  const inverted = GREY.has(photometric) && photometric === 'MONOCHROME1';
  return renderGrey(values, desc, attrs, options, inverted);
}

// ---------------------------------------------------------------------------------------------
// Grey pipeline

/** The modality transform as a function of a stored value. */
export function modalityFunction(transform: ModalityTransform | undefined): (v: number) => number {
  if (transform === undefined) return (v) => v;
  if (transform.kind === 'rescale') {
    const { slope, intercept } = transform;
    return (v) => v * slope + intercept;
  }
  const { lut } = transform;
  return (v) => lookup(lut, v);
}

/**
 * The VOI stage as a function of a modality value, producing an output value between low and
 * high (already truncated to an integer).
 */
function voiFunction(
  voi: VoiWindow | { lut: Lut },
  low: number,
  high: number,
): (x: number) => number {
  const outrange = high - low;
  if ('lut' in voi) {
    // C.11.2.1.1: the table's output range (0 .. 2^bits - 1) scaled to the display range.
    const { lut } = voi;
    const gradient = outrange / (2 ** lut.bits - 1);
    return (x) => Math.trunc(low + lookup(lut, x) * gradient);
  }
  const { center: c, width: w, fn } = voi;
  if (fn === 'SIGMOID') {
    // C.11.2.1.3.1
    return (x) => Math.trunc(low + outrange / (1 + Math.exp((-4 * (x - c)) / w)));
  }
  if (fn === 'LINEAR_EXACT') {
    // C.11.2.1.3.2
    const left = c - w / 2;
    const right = c + w / 2;
    return (x) =>
      x <= left ? low : x > right ? high : Math.trunc(low + ((x - c) / w + 0.5) * outrange);
  }
  // C.11.2.1.2.1, in DCMTK's form: borders from supplement 33, then offset + x * gradient.
  const w1 = w - 1;
  const left = c - 0.5 - w1 / 2;
  const right = c - 0.5 + w1 / 2;
  const offset = w1 === 0 ? 0 : high - ((c - 0.5) / w1 + 0.5) * outrange;
  const gradient = w1 === 0 ? 0 : outrange / w1;
  return (x) => (x <= left ? low : x > right ? high : Math.trunc(offset + x * gradient));
}

/** The min-max window of DCMTK (`+Wm`): the whole range of modality values, C = (min+max+1)/2. */
export function minMaxWindow(min: number, max: number): VoiWindow {
  return { center: (min + max + 1) / 2, width: max - min + 1, fn: 'LINEAR' };
}

/** Largest stored-value range mapped through a table rather than value by value. */
const TABLE_LIMIT = 1 << 20;

function renderGrey(
  values: StoredValues,
  desc: PixelDescription,
  attrs: RenderAttributes,
  options: RenderOptions,
  inverted: boolean,
): RenderResult {
  // MONOCHROME1 runs from white to black (C.7.6.3.1.2): the output range is walked backwards,
  // as DCMTK does, so 8-bit output matches dcm2pnm value for value.
  const max = options.bits === 8 ? 0xff : 0xffff;
  const low = inverted ? max : 0;
  const high = inverted ? 0 : max;
  const modality = modalityFunction(attrs.modality);
  const count = values.length;
  let smin = Infinity;
  let smax = -Infinity;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (v < smin) smin = v;
    if (v > smax) smax = v;
  }
  if (count === 0) smin = smax = 0;
  const integer = !(values instanceof Float64Array) && smax - smin < TABLE_LIMIT;

  // The modality values: a table over the stored range (with the values present marked, for
  // the min-max of a non-monotonic Modality LUT), or one per pixel.
  let table: Float64Array | undefined;
  let present: Uint8Array | undefined;
  let perPixel: Float64Array | undefined;
  let mmin = Infinity;
  let mmax = -Infinity;
  if (integer) {
    const size = smax - smin + 1;
    table = new Float64Array(size);
    for (let k = 0; k < size; k++) table[k] = modality(smin + k);
    if (attrs.modality?.kind === 'lut') {
      present = new Uint8Array(size);
      for (let i = 0; i < count; i++) present[values[i]! - smin] = 1;
      for (let k = 0; k < size; k++) {
        if (present[k] === 0) continue;
        const m = table[k]!;
        if (m < mmin) mmin = m;
        if (m > mmax) mmax = m;
      }
    } else {
      const a = table[0]!;
      const b = table[size - 1]!;
      mmin = Math.min(a, b);
      mmax = Math.max(a, b);
    }
  } else {
    perPixel = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const m = modality(values[i]!);
      perPixel[i] = m;
      if (Number.isNaN(m)) continue;
      if (m < mmin) mmin = m;
      if (m > mmax) mmax = m;
    }
    if (mmin > mmax) mmin = mmax = 0;
  }

  let voi: AppliedVoi;
  let map: (x: number) => number;
  if (options.window === 'file' && attrs.window !== undefined) {
    voi = { kind: 'window', ...attrs.window };
    map = voiFunction(attrs.window, low, high);
  } else if (options.window === 'file' && attrs.voiLut !== undefined) {
    voi = { kind: 'lut' };
    map = voiFunction({ lut: attrs.voiLut }, low, high);
  } else {
    voi = { kind: 'minmax', min: mmin, max: mmax };
    map = voiFunction(minMaxWindow(mmin, mmax), low, high);
  }

  const out = options.bits === 8 ? new Uint8Array(count) : new Uint16Array(count);
  if (table !== undefined) {
    const size = table.length;
    const outTable = options.bits === 8 ? new Uint8Array(size) : new Uint16Array(size);
    for (let k = 0; k < size; k++) outTable[k] = map(table[k]!);
    for (let i = 0; i < count; i++) out[i] = outTable[values[i]! - smin]!;
  } else {
    for (let i = 0; i < count; i++) {
      const m = perPixel![i]!;
      out[i] = Number.isNaN(m) ? low : map(m);
    }
  }
  return {
    image: { width: desc.columns, height: desc.rows, channels: 1, bits: options.bits, data: out },
    voi,
  };
}
