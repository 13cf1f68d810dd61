/**
 * The WASM codecs: dcmjs-codecs' one WebAssembly module (IJG libjpeg 6b with 8/12/16-bit
 * builds, CharLS, OpenJPEG, OpenJPH) behind the Codec interface of src/dicom/pixels. It lives
 * here, not in src/dicom, because loading the module reads a file; decoding itself is pure.
 *
 * Each codec calls NativeCodecs.decode* on one frame, as shared/reference/dependencies-and-peers.md
 * section 5 measured bit-exact against DCMTK and GDCM (the Transcoder refuses 4.51, 4.57).
 */
import { createRequire } from 'node:module';
import type * as DcmjsCodecs from 'dcmjs-codecs';
import {
  builtinCodecs,
  CodecRegistry,
  startsWithJ2kCodestream,
  startsWithJpegSoi,
  type Codec,
  type PixelDescription,
} from '../dicom/pixels/index.js';

type Library = typeof DcmjsCodecs;

/** JPEG (PS3.5 A.4.1): baseline, extended, the retired processes, lossless 14 and SV1. */
export const JPEG_SYNTAXES: readonly string[] = [
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.52',
  '1.2.840.10008.1.2.4.53',
  '1.2.840.10008.1.2.4.54',
  '1.2.840.10008.1.2.4.55',
  '1.2.840.10008.1.2.4.56',
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.58',
  '1.2.840.10008.1.2.4.59',
  '1.2.840.10008.1.2.4.60',
  '1.2.840.10008.1.2.4.61',
  '1.2.840.10008.1.2.4.62',
  '1.2.840.10008.1.2.4.63',
  '1.2.840.10008.1.2.4.64',
  '1.2.840.10008.1.2.4.65',
  '1.2.840.10008.1.2.4.66',
  '1.2.840.10008.1.2.4.70',
];
/** JPEG-LS lossless and near-lossless (A.4.3). */
export const JPEG_LS_SYNTAXES: readonly string[] = [
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.81',
];
/** JPEG 2000 Part 1 and Part 2 multi-component (A.4.4). */
export const JPEG_2000_SYNTAXES: readonly string[] = [
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.91',
  '1.2.840.10008.1.2.4.92',
  '1.2.840.10008.1.2.4.93',
];
/** High-Throughput JPEG 2000: lossless, lossless RPCL, lossy (A.4.10). */
export const HTJ2K_SYNTAXES: readonly string[] = [
  '1.2.840.10008.1.2.4.201',
  '1.2.840.10008.1.2.4.202',
  '1.2.840.10008.1.2.4.203',
];

export interface LoadCodecsOptions {
  /** The dcmjs-codecs WebAssembly module; default: the one the package ships. */
  readonly wasmPath?: string | undefined;
}

let loading: Promise<Library> | undefined;

/**
 * The built-in codecs plus the WASM ones: JPEG, JPEG-LS, JPEG 2000 and HTJ2K. The module is
 * read and compiled once per process (about 40 ms); later calls share it.
 */
export async function loadCodecs(options: LoadCodecsOptions = {}): Promise<CodecRegistry> {
  loading ??= initialise(options.wasmPath);
  const library = await loading;
  return builtinCodecs().with(...wasmCodecs(library));
}

async function initialise(wasmPath: string | undefined): Promise<Library> {
  const require = createRequire(import.meta.url);
  const library = require('dcmjs-codecs') as Library;
  const path = wasmPath ?? require.resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm');
  try {
    await library.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: path });
  } catch (error) {
    loading = undefined;
    throw error;
  }
  return library;
}

/** The WASM codecs of an initialised library. */
export function wasmCodecs(library: Library): Codec[] {
  const { NativeCodecs } = library;
  const run = (
    decoder: 'decodeJpeg' | 'decodeJpegLs' | 'decodeJpeg2000' | 'decodeHtJpeg2000',
    frame: Uint8Array,
    desc: PixelDescription,
    bitsAllocated: number,
    parameters: { convertColorspaceToRgb?: boolean } = {},
  ): Uint8Array => {
    const context = new library.Context({
      width: desc.columns,
      height: desc.rows,
      bitsAllocated,
      bitsStored: Math.min(desc.bitsStored, bitsAllocated),
      samplesPerPixel: desc.samplesPerPixel,
      pixelRepresentation: desc.pixelRepresentation,
      planarConfiguration: desc.planarConfiguration,
      photometricInterpretation: knownPhotometric(desc),
      encodedBuffer: frame,
    });
    const out = NativeCodecs[decoder](context, parameters).getDecodedBuffer();
    if (out === undefined) throw new Error('no decoded buffer');
    return out;
  };

  const jpeg: Codec = {
    name: 'JPEG',
    transferSyntaxes: JPEG_SYNTAXES,
    isFrameStart: startsWithJpegSoi,
    decodedDescription: colourByPixel,
    decode(frame, desc) {
      // The decoder writes 8-bit samples for precision <= 8 and 16-bit ones above, whatever
      // Bits Allocated says; ask for that and widen after.
      const precision = jpegPrecision(frame) ?? desc.bitsStored;
      const width = precision <= 8 ? 8 : 16;
      // PS3.5 8.2.1 and DCMTK's default (+cp): YCbCr is converted to RGB when the Photometric
      // Interpretation says YBR; RGB-labelled data is returned as coded.
      const convertColorspaceToRgb = isYbr(desc);
      const out = run('decodeJpeg', frame, desc, width, { convertColorspaceToRgb });
      return resample(out, width, desc);
    },
  };

  const jpegLs: Codec = {
    name: 'JPEG-LS',
    transferSyntaxes: JPEG_LS_SYNTAXES,
    isFrameStart: startsWithJpegSoi,
    decodedDescription: (desc) => ({ ...desc, planarConfiguration: 0 }),
    decode(frame, desc) {
      const decoded = run('decodeJpegLs', frame, desc, desc.bitsAllocated);
      const width =
        decoded.length === pixelCount(desc) * desc.samplesPerPixel ? 8 : desc.bitsAllocated;
      // CharLS returns a frame coded without interleave (ILV 0, one scan per component)
      // colour-by-plane; DCMTK's dcmdjpls, and so the reference, colour-by-pixel.
      const planar = desc.samplesPerPixel > 1 && jpegLsInterleave(frame) === 0;
      const out = planar ? interleave(decoded, desc.samplesPerPixel, width / 8) : decoded;
      return resample(out, width, desc);
    },
  };

  const jpeg2000: Codec = {
    name: 'JPEG 2000',
    transferSyntaxes: JPEG_2000_SYNTAXES,
    isFrameStart: startsWithJ2kCodestream,
    decodedDescription: j2kDecoded,
    decode(frame, desc) {
      const target = j2kDecoded(desc);
      if (desc.samplesPerPixel > 1 && target.bitsAllocated > 8) {
        // dcmjs-codecs 0.0.8 copies multi-component OpenJPEG output as 8-bit samples.
        throw new Error('colour JPEG 2000 above 8 bits is not supported by this decoder');
      }
      const out = run('decodeJpeg2000', frame, desc, target.bitsAllocated);
      const width = out.length === pixelCount(desc) * desc.samplesPerPixel ? 8 : 16;
      return resample(out, width, target);
    },
  };

  const htj2k: Codec = {
    name: 'HTJ2K',
    transferSyntaxes: HTJ2K_SYNTAXES,
    isFrameStart: startsWithJ2kCodestream,
    decodedDescription: j2kDecoded,
    decode(frame, desc) {
      const target = j2kDecoded(desc);
      return run('decodeHtJpeg2000', frame, desc, target.bitsAllocated);
    },
  };

  return [jpeg, jpegLs, jpeg2000, htj2k];
}

function pixelCount(desc: PixelDescription): number {
  return desc.rows * desc.columns;
}

function isYbr(desc: PixelDescription): boolean {
  return desc.samplesPerPixel === 3 && desc.photometricInterpretation.startsWith('YBR');
}

/** JPEG output: colour-by-pixel, YBR converted to RGB. */
function colourByPixel(desc: PixelDescription): PixelDescription {
  return isYbr(desc)
    ? { ...desc, photometricInterpretation: 'RGB', planarConfiguration: 0 }
    : { ...desc, planarConfiguration: 0 };
}

/**
 * JPEG 2000 output: the decoder undoes the multi-component transform (YBR_ICT, YBR_RCT are
 * returned as RGB), colour-by-pixel, and 1-bit images come back one byte per pixel.
 */
function j2kDecoded(desc: PixelDescription): PixelDescription {
  const photometric = desc.photometricInterpretation;
  return {
    ...desc,
    photometricInterpretation:
      photometric === 'YBR_ICT' || photometric === 'YBR_RCT' ? 'RGB' : photometric,
    planarConfiguration: 0,
    bitsAllocated: desc.bitsAllocated === 1 ? 8 : desc.bitsAllocated,
  };
}

const PHOTOMETRICS = new Set([
  'MONOCHROME1',
  'MONOCHROME2',
  'PALETTE COLOR',
  'RGB',
  'YBR_FULL',
  'YBR_FULL_422',
  'YBR_PARTIAL_422',
  'YBR_PARTIAL_420',
  'YBR_ICT',
  'YBR_RCT',
]);

/** The codec context accepts only the photometric interpretations it knows. */
function knownPhotometric(desc: PixelDescription): string {
  if (PHOTOMETRICS.has(desc.photometricInterpretation)) return desc.photometricInterpretation;
  return desc.samplesPerPixel === 1 ? 'MONOCHROME2' : 'RGB';
}

/**
 * Samples decoded `width` bits wide (8 or 16) as `desc.bitsAllocated`-bit little-endian cells:
 * 8-bit samples in 16-bit cells are widened (sign-extended for signed data).
 */
function resample(out: Uint8Array, width: number, desc: PixelDescription): Uint8Array {
  if (width === desc.bitsAllocated || width !== 8 || desc.bitsAllocated !== 16) return out;
  const wide = new Uint8Array(out.length * 2);
  const signed = desc.pixelRepresentation === 1 && desc.bitsStored <= 8;
  for (let i = 0; i < out.length; i++) {
    const value = out[i]!;
    wide[2 * i] = value;
    wide[2 * i + 1] = signed && value >= 0x80 ? 0xff : 0;
  }
  return wide;
}

/** The sample precision P of the first SOF marker (ITU T.81 B.2.2), or undefined. */
export function jpegPrecision(frame: Uint8Array): number | undefined {
  let i = 2;
  while (i + 4 < frame.length) {
    if (frame[i] !== 0xff) return undefined;
    const marker = frame[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const isSof =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return frame[i + 4];
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    if (marker === 0xda) return undefined; // scan data before any SOF
    i += 2 + ((frame[i + 2]! << 8) | frame[i + 3]!);
  }
  return undefined;
}

/**
 * The interleave mode (ILV) of the first scan of a JPEG-LS codestream (ITU T.87 C.2.3): 0 none
 * (one component per scan), 1 line, 2 sample; undefined when there is no SOS.
 */
export function jpegLsInterleave(frame: Uint8Array): number | undefined {
  let i = 2;
  while (i + 4 < frame.length) {
    if (frame[i] !== 0xff) return undefined;
    const marker = frame[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = (frame[i + 2]! << 8) | frame[i + 3]!;
    if (marker === 0xda) {
      const components = frame[i + 4] ?? 0;
      return frame[i + 5 + 2 * components + 1];
    }
    i += 2 + length;
  }
  return undefined;
}

/** Colour-by-plane samples (`bytes` wide) to colour-by-pixel. */
function interleave(planar: Uint8Array, samples: number, bytes: number): Uint8Array {
  const out = new Uint8Array(planar.length);
  const plane = planar.length / samples;
  const pixels = plane / bytes;
  for (let s = 0; s < samples; s++) {
    for (let p = 0; p < pixels; p++) {
      for (let b = 0; b < bytes; b++) {
        out[(p * samples + s) * bytes + b] = planar[s * plane + p * bytes + b]!;
      }
    }
  }
  return out;
}
