// Sample-level views of decoded pixel data, for comparing two encodings of one image.
import { readFileSync } from 'node:fs';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import {
  openPixelData,
  unpackBits,
  type CodecRegistry,
  type PixelDescription,
} from '../../src/dicom/pixels/index.js';
import { corpusRoot } from '../helpers/corpus.js';

export interface Decoded {
  readonly bytes: Uint8Array;
  readonly layout: PixelDescription;
}

/** Decodes a corpus file (path relative to test/corpus). */
export function decodeCorpusFile(path: string, codecs: CodecRegistry): Decoded {
  const source = openPixelData(parseBuffer(readFileSync(`${corpusRoot}/${path}`)), { codecs });
  return { bytes: source.all(), layout: source.decoded };
}

/**
 * Every sample of every frame as a number, colour-by-pixel whatever the planar configuration
 * (1-bit cells unpacked; padding left out).
 */
export function samples(decoded: Decoded): ArrayLike<number> {
  const values = storedSamples(decoded);
  const { layout } = decoded;
  const spp = layout.samplesPerPixel;
  if (layout.planarConfiguration === 0 || spp === 1) return values;
  const pixels = layout.rows * layout.columns;
  const out = new Array<number>(values.length);
  for (let f = 0; f < layout.frames; f++) {
    const base = f * pixels * spp;
    for (let s = 0; s < spp; s++) {
      for (let p = 0; p < pixels; p++) out[base + p * spp + s] = values[base + s * pixels + p]!;
    }
  }
  return out;
}

function storedSamples({ bytes, layout }: Decoded): ArrayLike<number> {
  const count = layout.rows * layout.columns * layout.samplesPerPixel * layout.frames;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const signed = layout.pixelRepresentation === 1;
  switch (layout.bitsAllocated) {
    case 1:
      return unpackBits(bytes, count);
    case 8:
      return signed
        ? new Int8Array(bytes.buffer, bytes.byteOffset, count)
        : bytes.subarray(0, count);
    case 16:
      return Array.from({ length: count }, (_, i) =>
        signed ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true),
      );
    case 32:
      return Array.from({ length: count }, (_, i) =>
        layout.kind === 'float'
          ? view.getFloat32(4 * i, true)
          : signed
            ? view.getInt32(4 * i, true)
            : view.getUint32(4 * i, true),
      );
    case 64:
      return Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, true));
    default:
      throw new Error(`no sample reader for ${layout.bitsAllocated} bits`);
  }
}

export interface SampleDifference {
  /** Number of samples compared; -1 when the geometries differ. */
  readonly count: number;
  /** Samples that differ. */
  readonly differing: number;
  readonly maxAbsDifference: number;
  /** Index of the first differing sample, -1 when none. */
  readonly first: number;
}

/** Compares two decodings sample by sample; geometry (not bit depth) must agree. */
export function compareSamples(a: Decoded, b: Decoded): SampleDifference {
  const x = samples(a);
  const y = samples(b);
  if (x.length !== y.length)
    return { count: -1, differing: -1, maxAbsDifference: Infinity, first: 0 };
  let differing = 0;
  let max = 0;
  let first = -1;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (d !== 0) {
      differing++;
      if (first < 0) first = i;
      if (d > max) max = d;
    }
  }
  return { count: x.length, differing, maxAbsDifference: max, first };
}

/** The first differing byte offset and the largest byte difference, for a failure message. */
export function byteDifference(ours: Uint8Array, reference: Uint8Array): string {
  let first = -1;
  let max = 0;
  const n = Math.min(ours.length, reference.length);
  for (let i = 0; i < n; i++) {
    const d = Math.abs(ours[i]! - reference[i]!);
    if (d !== 0) {
      if (first < 0) first = i;
      if (d > max) max = d;
    }
  }
  const lengths =
    ours.length === reference.length ? '' : `; ${ours.length} bytes vs ${reference.length}`;
  return first < 0 && lengths === ''
    ? 'identical bytes'
    : `first differing byte at offset ${first}, max |byte difference| ${max}${lengths}`;
}
