/**
 * Incremental PDU framing: bytes go in as they arrive, whole PDUs come out. No I/O here; the
 * transport pushes socket chunks and calls `next()` until it answers undefined ("need more").
 *
 * Memory is bounded by the PDU, never by what the peer declares: the limit for a PDU's type is
 * checked as soon as its 6-byte header is in, before any of its body is kept (the dcmjs-dimse
 * accumulator trusted the length and concatenated on every chunk; dependencies-and-peers.md §0.4).
 */
import {
  decodePdu,
  PDU_HEADER_LENGTH,
  pduTypeName,
  readPduHeader,
  type PduHeader,
} from './decode.js';
import { PDU_TYPE_CODES } from './codes.js';
import { PduError } from './errors.js';
import type { Pdu, Pdv } from './types.js';

const P_DATA_TF = PDU_TYPE_CODES['P-DATA-TF'];

/**
 * The Maximum Length we announce by default (PS3.8 D.1): the largest P-DATA-TF variable field we
 * accept. DCMTK's default is 16384 and its upper limit 131072; 64 KiB keeps the per-association
 * buffer small while sending few PDUs per image.
 */
export const DEFAULT_MAX_PDU_LENGTH = 65_536;

/**
 * The largest A-ASSOCIATE-RQ/AC (or any other non-data PDU) accepted by default. DCMTK's largest
 * proposal (`echoscu -ppc 128 -pts 38`: 128 contexts of 38 transfer syntaxes) is about 130 KB.
 */
export const DEFAULT_MAX_ASSOCIATION_PDU_LENGTH = 262_144;

export interface PduDecoderOptions {
  /**
   * The Maximum Length our side announced (PS3.8 D.1): a P-DATA-TF whose PDU-length (the bytes
   * after its 6-byte header) exceeds it is refused with PDU_TOO_LARGE. At least 1.
   */
  readonly maxPduLength?: number | undefined;
  /** The same bound for every other PDU type. At least 1. */
  readonly maxAssociationPduLength?: number | undefined;
  /**
   * A P-DATA-TF whose bytes span pushed chunks is returned without joining them: a data set PDV
   * that spans chunks becomes several PDVs, one per chunk piece, the `last` flag on the final
   * one (the same DIMSE stream, PS3.8 E.2; no copy of the data). Default false: PDVs exactly as
   * on the wire.
   */
  readonly splitDatasetPdvs?: boolean | undefined;
}

export class PduDecoder {
  readonly maxPduLength: number;
  readonly maxAssociationPduLength: number;
  private readonly splitDatasetPdvs: boolean;
  /** Pushed chunks; those before `first` are consumed, and `chunks[first]` up to `head`. */
  private readonly chunks: Uint8Array[] = [];
  private first = 0;
  private head = 0;
  private buffered = 0;
  /** The header of the PDU at the front, once its 6 bytes are in and it has passed the checks. */
  private header: PduHeader | undefined;
  /** After an error the stream is unusable (framing is lost): every later call throws it again. */
  private failure: PduError | undefined;

  constructor(options: PduDecoderOptions = {}) {
    this.maxPduLength = limit(options.maxPduLength ?? DEFAULT_MAX_PDU_LENGTH, 'maxPduLength');
    this.maxAssociationPduLength = limit(
      options.maxAssociationPduLength ?? DEFAULT_MAX_ASSOCIATION_PDU_LENGTH,
      'maxAssociationPduLength',
    );
    this.splitDatasetPdvs = options.splitDatasetPdvs ?? false;
  }

  /** Bytes pushed and not yet returned as PDUs. */
  get bufferedLength(): number {
    return this.buffered;
  }

  /**
   * Adds bytes. The decoder keeps a reference (PDV data are views into these chunks): the caller
   * must not reuse the chunk afterwards. Throws PduError for a bad header at the front.
   */
  push(chunk: Uint8Array): void {
    this.rethrow();
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.checkHeader();
  }

  /**
   * The next whole PDU, or undefined until enough bytes have been pushed. Throws PduError for a
   * PDU that is too large, of an unknown type or malformed (PS3.8 Evt19).
   */
  next(): Pdu | undefined {
    this.rethrow();
    const header = this.checkHeader();
    if (header === undefined) return undefined;
    const total = PDU_HEADER_LENGTH + header.length;
    if (this.buffered < total) return undefined;
    if (this.splitDatasetPdvs && header.pduType === P_DATA_TF && !this.frontHolds(total)) {
      this.header = undefined;
      return this.takePData(header);
    }
    const bytes = this.take(total);
    this.header = undefined;
    try {
      return decodePdu(bytes);
    } catch (error) {
      throw this.fail(
        error instanceof PduError
          ? error
          : new PduError('MALFORMED_PDU', 'PDU decoding failed', { cause: error }),
      );
    }
  }

  /** The transport has ended: throws INCOMPLETE_PDU if part of a PDU is still buffered. */
  end(): void {
    this.rethrow();
    if (this.buffered > 0) {
      throw this.fail(
        new PduError('INCOMPLETE_PDU', `the stream ended ${this.buffered} byte(s) into a PDU`, {
          pduType: this.header?.pduType,
        }),
      );
    }
  }

  private checkHeader(): PduHeader | undefined {
    if (this.header !== undefined) return this.header;
    if (this.buffered < PDU_HEADER_LENGTH) return undefined;
    const header = readPduHeader(this.peek(PDU_HEADER_LENGTH));
    if (header === undefined) return undefined;
    const type = pduTypeName(header.pduType);
    if (type === undefined) {
      throw this.fail(
        new PduError('UNKNOWN_PDU_TYPE', 'unknown PDU type', { ...header, offset: 0 }),
      );
    }
    const max = type === 'P-DATA-TF' ? this.maxPduLength : this.maxAssociationPduLength;
    if (header.length > max) {
      throw this.fail(
        new PduError(
          'PDU_TOO_LARGE',
          `${type} declares ${header.length} bytes; the limit is ${max}`,
          { pduType: header.pduType, offset: 2 },
        ),
      );
    }
    this.header = header;
    return header;
  }

  /** True when the first `length` buffered bytes lie in one chunk. */
  private frontHolds(length: number): boolean {
    const first = this.chunks[this.first];
    return first !== undefined && first.length - this.head >= length;
  }

  /**
   * Consumes a whole P-DATA-TF (PS3.8 Table 9-23) that spans chunks: item headers are read from
   * small copies, data set PDV data are returned as views into the chunks, split where the
   * chunks split them; a command PDV is joined (command sets are small).
   */
  private takePData(header: PduHeader): Pdu {
    const malformed = (message: string): PduError =>
      this.fail(new PduError('MALFORMED_PDU', message, { pduType: header.pduType }));
    this.take(PDU_HEADER_LENGTH);
    let remaining = header.length;
    const pdvs: Pdv[] = [];
    while (remaining > 0) {
      if (remaining < 4) throw malformed(`${remaining} byte(s) left, too few for a PDV item`);
      const lengthBytes = this.take(4);
      const itemLength =
        ((lengthBytes[0]! << 24) |
          (lengthBytes[1]! << 16) |
          (lengthBytes[2]! << 8) |
          lengthBytes[3]!) >>>
        0;
      remaining -= 4;
      if (itemLength < 2)
        throw malformed(`a PDV item of length ${itemLength}; at least 2 are needed`);
      if (itemLength > remaining) {
        throw malformed(
          `a PDV item of ${itemLength} byte(s) runs past the PDU (${remaining} left)`,
        );
      }
      const itemHeader = this.take(2);
      const presentationContextId = itemHeader[0]!;
      const command = (itemHeader[1]! & 0x01) !== 0;
      const last = (itemHeader[1]! & 0x02) !== 0;
      const dataLength = itemLength - 2;
      remaining -= itemLength;
      if (command || dataLength === 0) {
        pdvs.push({ presentationContextId, command, last, data: this.take(dataLength) });
        continue;
      }
      const pieces = this.takeViews(dataLength);
      pieces.forEach((data, i) => {
        pdvs.push({
          presentationContextId,
          command,
          last: last && i === pieces.length - 1,
          data,
        });
      });
    }
    if (pdvs.length === 0)
      throw malformed('a P-DATA-TF without PDV items (PS3.8 9.3.5: one or more)');
    return { type: 'P-DATA-TF', pdvs };
  }

  /** Consumes the first `length` buffered bytes as views, one per chunk they lie in. */
  private takeViews(length: number): Uint8Array[] {
    const views: Uint8Array[] = [];
    let left = length;
    while (left > 0) {
      const chunk = this.chunks[this.first];
      if (chunk === undefined) break;
      const n = Math.min(chunk.length - this.head, left);
      views.push(chunk.subarray(this.head, this.head + n));
      this.consume(n);
      left -= n;
    }
    return views;
  }

  /** The first `length` buffered bytes (a copy only when they span chunks); not consumed. */
  private peek(length: number): Uint8Array {
    const first = this.chunks[this.first];
    if (first !== undefined && first.length - this.head >= length) {
      return first.subarray(this.head, this.head + length);
    }
    // Every byte is overwritten below: no need for zero-filled memory.
    const backing = Buffer.allocUnsafeSlow(length);
    const out = new Uint8Array(backing.buffer, backing.byteOffset, length);
    let filled = 0;
    let offset = this.head;
    for (let i = this.first; i < this.chunks.length && filled < length; i++) {
      const chunk = this.chunks[i] ?? new Uint8Array(0);
      const n = Math.min(chunk.length - offset, length - filled);
      out.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset = 0;
    }
    return out;
  }

  /** Consumes the first `length` buffered bytes: a view when they lie in one chunk, else one copy. */
  private take(length: number): Uint8Array {
    const out = this.peek(length);
    this.consume(length);
    return out;
  }

  /** Drops the first `length` buffered bytes. */
  private consume(length: number): void {
    let left = length;
    while (left > 0) {
      const chunk = this.chunks[this.first];
      if (chunk === undefined) break;
      const available = chunk.length - this.head;
      if (available > left) {
        this.head += left;
        left = 0;
      } else {
        left -= available;
        this.first++;
        this.head = 0;
      }
    }
    // Drop consumed chunks in batches, so that byte-sized pushes stay linear.
    if (this.first === this.chunks.length) {
      this.chunks.length = 0;
      this.first = 0;
    } else if (this.first >= 64 && this.first * 2 >= this.chunks.length) {
      this.chunks.splice(0, this.first);
      this.first = 0;
    }
    this.buffered -= length;
  }

  private fail(error: PduError): PduError {
    this.failure = error;
    this.chunks.length = 0;
    this.buffered = 0;
    this.first = 0;
    this.head = 0;
    return error;
  }

  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

function limit(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new RangeError(
      `PduDecoder: ${name} must be an integer from 1 to 4294967295, not ${value}`,
    );
  }
  return value;
}
