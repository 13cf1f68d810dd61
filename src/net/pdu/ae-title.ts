/**
 * Application Entity titles: 16 bytes in the A-ASSOCIATE PDUs (PS3.8 9.3.2), value rules of the AE
 * value representation (PS3.5 6.2, Table 6.2-1).
 */
import { latin1, latin1Bytes } from './bytes.js';

/** The AE title field is 16 bytes, space padded (PS3.8 Table 9-11). */
export const AE_TITLE_LENGTH = 16;

/**
 * Why `title` cannot be used as an AE title, or undefined if it can. PS3.5 Table 6.2-1 (AE):
 * at most 16 characters of the default character repertoire, no backslash, no control
 * characters, and "a value consisting solely of spaces shall not be used".
 */
export function aeTitleProblem(title: string): string | undefined {
  if (title.length === 0) return 'is empty';
  if (title.length > AE_TITLE_LENGTH) {
    return `is ${title.length} characters long; at most ${AE_TITLE_LENGTH} are allowed`;
  }
  if (title.trim() === '') return 'consists only of spaces';
  for (const char of title) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) {
      return `contains ${JSON.stringify(char)}, which is not a printable character of the default repertoire`;
    }
    if (char === '\\') return 'contains a backslash';
  }
  return undefined;
}

export function isValidAeTitle(title: string): boolean {
  return aeTitleProblem(title) === undefined;
}

/**
 * The 16-byte field as text. Leading and trailing spaces are not significant (PS3.5 AE); trailing
 * NULs, which some implementations send instead of spaces, are dropped too.
 */
export function decodeAeTitle(field: Uint8Array): string {
  return latin1(field)
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
}

/** The 16-byte, space-padded field; undefined if `title` does not fit in it. */
export function encodeAeTitle(title: string): Uint8Array | undefined {
  const bytes = latin1Bytes(title);
  if (bytes === undefined || bytes.length > AE_TITLE_LENGTH) return undefined;
  const field = new Uint8Array(AE_TITLE_LENGTH).fill(0x20);
  field.set(bytes);
  return field;
}
