/**
 * Big-endian readers and writers for the PDU codec (PS3.8 9.3.1: "multi-byte numerical values
 * shall be encoded as big endian"). The reader never reads past its end: it throws MALFORMED_PDU.
 */
import { PduError } from './errors.js';

export class ByteReader {
  private readonly view: DataView;
  private position: number;

  /**
   * @param bytes the whole PDU (offsets in errors count from its first byte)
   * @param start where reading starts
   * @param end where the region ends (exclusive)
   */
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
    private readonly pduType: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = start;
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  u8(): number {
    this.need(1, 'a byte');
    return this.view.getUint8(this.position++);
  }

  u16(): number {
    this.need(2, 'a 16-bit field');
    const value = this.view.getUint16(this.position);
    this.position += 2;
    return value;
  }

  u32(): number {
    this.need(4, 'a 32-bit field');
    const value = this.view.getUint32(this.position);
    this.position += 4;
    return value;
  }

  /** A view of the next `length` bytes (no copy). */
  take(length: number, what: string): Uint8Array {
    this.need(length, what);
    const out = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return out;
  }

  skip(length: number, what: string): void {
    this.need(length, what);
    this.position += length;
  }

  /** A reader over the next `length` bytes; this reader moves past them. */
  sub(length: number, what: string): ByteReader {
    this.need(length, what);
    const sub = new ByteReader(this.bytes, this.position, this.position + length, this.pduType);
    this.position += length;
    return sub;
  }

  fail(message: string, offset = this.position): never {
    throw new PduError('MALFORMED_PDU', message, { offset, pduType: this.pduType });
  }

  private need(length: number, what: string): void {
    if (length > this.end - this.position) {
      this.fail(
        `${what} needs ${length} byte(s) but only ${this.end - this.position} remain in its item`,
      );
    }
  }
}

/** A growing big-endian buffer; item lengths are patched in once the item is written. */
export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  get size(): number {
    return this.length;
  }

  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value);
    this.length += 4;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  zeros(count: number): void {
    this.reserve(count);
    this.buffer.fill(0, this.length, this.length + count);
    this.length += count;
  }

  patchU16(at: number, value: number): void {
    this.view.setUint16(at, value);
  }

  patchU32(at: number, value: number): void {
    this.view.setUint32(at, value);
  }

  /** The bytes written (a view of the internal buffer; the writer must not be used afterwards). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + count) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }
}

/**
 * Bytes of the default character repertoire as text. Each byte becomes one UTF-16 code unit
 * (ISO 8859-1), so any byte sequence decodes and re-encodes unchanged.
 */
export function latin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}

/** The inverse of `latin1`; undefined if a character does not fit in one byte. */
export function latin1Bytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) return undefined;
    out[i] = code;
  }
  return out;
}

/**
 * A UID field as text. PS3.8 9.3.2.2 says UIDs in PDUs are not padded, but some implementations
 * pad them like data elements (PS3.5 9.1: trailing NUL), or with a space; both are dropped.
 */
export function uidText(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0x20)) end--;
  return latin1(bytes.subarray(0, end));
}
