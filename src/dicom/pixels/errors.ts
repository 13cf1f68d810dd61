/**
 * Stable codes of the errors pixel decoding raises. A caller branches on the code; the message
 * says what is wrong (which attribute, which frame, what the codec said).
 */
export type PixelErrorCode =
  | 'NO_PIXEL_DATA' // no (7FE0,0010), (7FE0,0008) or (7FE0,0009) in the dataset
  | 'BAD_PIXEL_ATTRIBUTES' // Rows, Columns, Bits Allocated... missing or out of range
  | 'BAD_PIXEL_DATA' // the value is shorter than the attributes say, or was not loaded
  | 'BAD_FRAMES' // encapsulated fragments that cannot be split into the frames announced
  | 'UNSUPPORTED_TRANSFER_SYNTAX' // no codec registered for the transfer syntax
  | 'DECODE_FAILED'; // the codec rejected the frame or returned the wrong number of bytes

export interface PixelErrorDetails {
  /** 0-based frame the error is about. */
  readonly frame?: number | undefined;
  readonly cause?: unknown;
}

export class PixelError extends Error {
  readonly code: PixelErrorCode;
  readonly frame: number | undefined;

  constructor(code: PixelErrorCode, message: string, details: PixelErrorDetails = {}) {
    const where = details.frame === undefined ? '' : ` (frame ${details.frame + 1})`;
    super(`${message}${where}`, details.cause === undefined ? {} : { cause: details.cause });
    this.name = 'PixelError';
    this.code = code;
    this.frame = details.frame;
  }
}
