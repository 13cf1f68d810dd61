/**
 * Keyed pseudonyms for folder and file names: HMAC-SHA-256 (RFC 2104) of the identifier under a
 * secret key, never a bare hash. The original wrote sha224(PatientID): an MRN has few enough
 * possible values that anyone can hash them all and read the folder names back. Without the key
 * that dictionary cannot be built; with it, the same identifier gives the same name in every
 * run, so outputs of several runs line up.
 *
 * Each kind of identifier has its own domain ("patient", "study"...), so a StudyInstanceUID that
 * happens to equal a PatientID does not give the same name. Pure.
 */
import { createHmac } from 'node:crypto';
import { ExportError } from './errors.js';

export type PseudonymKind = 'patient' | 'study' | 'series' | 'instance' | 'file';

/** Hex characters kept: 128 bits, so a collision among a billion identifiers is ~1e-21. */
const LENGTH = 32;

/** Keys shorter than this are refused: the config schema asks for at least 16 characters too. */
export const MIN_KEY_LENGTH = 16;

export interface Pseudonymizer {
  /** The pseudonym of `value` as an identifier of this kind: 32 lowercase hex characters. */
  (kind: PseudonymKind, value: string): string;
  /** A fingerprint of the key (not the key): tells whether two runs used the same key. */
  readonly fingerprint: string;
}

export function pseudonymizer(key: string): Pseudonymizer {
  if (key.length < MIN_KEY_LENGTH) {
    throw new ExportError(
      'BAD_KEY',
      `the pseudonym key has ${key.length} characters; at least ${MIN_KEY_LENGTH} are needed`,
    );
  }
  const make = (kind: PseudonymKind, value: string): string =>
    createHmac('sha256', key).update(`${kind}\0${value}`).digest('hex').slice(0, LENGTH);
  const fingerprint = createHmac('sha256', key)
    .update('niffler export key fingerprint')
    .digest('hex')
    .slice(0, 16);
  return Object.assign(make, { fingerprint });
}
