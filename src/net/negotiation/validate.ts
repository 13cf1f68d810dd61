/** Checks of local configuration values, each throwing a NegotiationError that names the option. */
import { aeTitleProblem } from '../pdu/index.js';
import { NegotiationError } from './errors.js';

/**
 * Why `uid` is not a valid UID, or undefined (PS3.5 9.1: at most 64 characters, components of
 * digits separated by '.', no empty component, no leading zero unless the component is "0").
 */
export function uidProblem(uid: string): string | undefined {
  if (uid.length === 0) return 'is empty';
  if (uid.length > 64) return `is ${uid.length} characters long; at most 64 are allowed`;
  for (const component of uid.split('.')) {
    if (!/^(0|[1-9][0-9]*)$/.test(component)) {
      return `has the component ${JSON.stringify(component)}; components are digits without leading zeros`;
    }
  }
  return undefined;
}

export function checkUid(uid: string, path: string): void {
  const problem = uidProblem(uid);
  if (problem !== undefined) {
    throw new NegotiationError('INVALID_UID', path, `${JSON.stringify(uid)} ${problem}`);
  }
}

export function checkAeTitle(title: string, path: string): void {
  const problem = aeTitleProblem(title);
  if (problem !== undefined) {
    throw new NegotiationError('INVALID_AE_TITLE', path, `${JSON.stringify(title)} ${problem}`);
  }
}

export function checkMaxPduLength(value: number, path: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new NegotiationError(
      'INVALID_MAX_PDU_LENGTH',
      path,
      `${value} is not an integer from 1 to 4294967295`,
    );
  }
}

/** PS3.7 D.3.3.2: an implementation version name is 1 to 16 characters of the default repertoire. */
export function checkVersionName(name: string, path: string): void {
  if (name.length < 1 || name.length > 16 || !/^[\x20-\x7e]+$/.test(name) || name.includes('\\')) {
    throw new NegotiationError(
      'INVALID_VERSION_NAME',
      path,
      `${JSON.stringify(name)} is not 1 to 16 printable characters without a backslash`,
    );
  }
}
