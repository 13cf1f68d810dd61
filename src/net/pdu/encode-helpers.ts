/** Small pieces shared by the PDU and user information encoders. */
import { type ByteWriter, latin1Bytes } from './bytes.js';
import { PduError } from './errors.js';

export function notEncodable(message: string): never {
  throw new PduError('NOT_ENCODABLE', message);
}

/** Writes an item header `type | reserved | length (2)`; returns where the item starts. */
export function startItem(w: ByteWriter, itemType: number): number {
  const at = w.size;
  w.u8(itemType);
  w.u8(0);
  w.u16(0);
  return at;
}

/** Patches the 16-bit length of the item that `startItem` began at `at`. */
export function endItem(w: ByteWriter, at: number): void {
  const length = w.size - at - 4;
  if (length > 0xffff) notEncodable(`an item of ${length} bytes; at most 65535 fit (PS3.8 9.3.2)`);
  w.patchU16(at + 2, length);
}

/** Text of the default repertoire (UIDs, names), unpadded (PS3.8 9.3.2.2). */
export function encodeText(w: ByteWriter, text: string, what: string): void {
  const bytes = latin1Bytes(text);
  if (bytes === undefined) notEncodable(`${what} ${JSON.stringify(text)} is not single-byte text`);
  w.bytes(bytes);
}
