/** UTF-8 and ISO 8859-1 agree on ASCII; the native decoder is the fastest way to a flat string. */
const ascii = new TextDecoder('utf-8');

/** Bytes known to be 7-bit (ASCII) as text: short ones by hand, longer ones natively. */
export function decodeAscii(bytes: Uint8Array): string {
  const length = bytes.length;
  if (length <= 4) {
    let text = '';
    for (let k = 0; k < length; k++) text += String.fromCharCode(bytes[k]!);
    return text;
  }
  return ascii.decode(bytes);
}

/**
 * Bytes of a default-repertoire value as text. Every byte maps to the code point of the same
 * number (ISO 8859-1), so nothing is lost when a writer used 8-bit bytes without declaring them.
 * (TextDecoder's 'latin1' is windows-1252 in WHATWG, hence by hand.)
 */
export function decodeLatin1(bytes: Uint8Array): string {
  const length = bytes.length;
  let plain = true;
  for (let k = 0; k < length; k++) {
    if (bytes[k]! >= 0x80) {
      plain = false;
      break;
    }
  }
  if (plain) return decodeAscii(bytes);
  // fromCharCode.apply in slices (a spread would first copy the bytes into an array).
  const CHUNK = 0x2000;
  let text = '';
  for (let start = 0; start < length; start += CHUNK) {
    text += String.fromCharCode.apply(
      null,
      bytes.subarray(start, Math.min(length, start + CHUNK)) as unknown as number[],
    );
  }
  return text;
}
