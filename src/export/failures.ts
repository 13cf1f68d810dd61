/**
 * Why a file was not exported: one reason per failed file in failures.csv. The original sorted
 * failures into folders by Python exception class (AttributeError, ValueError, anything else, and a
 * category no code could reach); these say what is wrong with the file. Pure.
 */
import { DicomError } from '../dicom/index.js';
import { PixelError } from '../dicom/pixels/index.js';

export type FailureReason =
  | 'unreadable-file' // cannot be opened or read, or is not DICOM (truncated, garbage)
  | 'no-pixel-data' // a DICOM object without an image (SR, DICOMDIR, presentation state...)
  | 'unsupported-syntax' // pixel data in a transfer syntax we have no decoder for
  | 'decode-error' // pixel data that does not decode (corrupt stream, wrong attributes)
  | 'unsupported-image' // decoded, but a layout no PNG can show (4 samples, 64-bit integers...)
  | 'not-a-volume' // NIfTI: a series whose slices do not make one volume
  | 'write-error'; // the output could not be written (disk full, permissions)

export const FAILURE_REASONS: readonly FailureReason[] = [
  'unreadable-file',
  'no-pixel-data',
  'unsupported-syntax',
  'decode-error',
  'unsupported-image',
  'not-a-volume',
  'write-error',
];

export interface Failure {
  readonly reason: FailureReason;
  /** One line: what went wrong, with the code of the error. No patient data. */
  readonly detail: string;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Whether bytes start like a Part 10 file: a 128-byte preamble, then 'DICM' (PS3.10 7.1). */
export function hasDicmPrefix(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  );
}

/**
 * The failure for an error thrown while reading and decoding a file; `bytes` (when the file could
 * be read) tells a file that is not DICOM at all from a damaged one.
 */
export function classifyReadError(error: unknown, bytes?: Uint8Array): Failure {
  if (error instanceof PixelError) {
    const detail = `${oneLine(error.message)} [${error.code}]`;
    switch (error.code) {
      case 'NO_PIXEL_DATA':
        return { reason: 'no-pixel-data', detail };
      case 'UNSUPPORTED_TRANSFER_SYNTAX':
        return { reason: 'unsupported-syntax', detail };
      default:
        return { reason: 'decode-error', detail };
    }
  }
  if (error instanceof DicomError) {
    const detail = `${oneLine(error.message)} [${error.code}]`;
    if (bytes !== undefined && !hasDicmPrefix(bytes)) {
      return { reason: 'unreadable-file', detail: `not a DICOM file (no DICM prefix): ${detail}` };
    }
    return { reason: 'unreadable-file', detail };
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') {
    return { reason: 'unreadable-file', detail: `${code}: ${oneLine(errorMessage(error))}` };
  }
  if (error instanceof RangeError) {
    return { reason: 'unsupported-image', detail: oneLine(error.message) };
  }
  return { reason: 'decode-error', detail: oneLine(errorMessage(error)) };
}

/** The failure for an error thrown while writing an output. */
export function classifyWriteError(error: unknown): Failure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return {
    reason: 'write-error',
    detail: `${typeof code === 'string' ? `${code}: ` : ''}${oneLine(errorMessage(error))}`,
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
