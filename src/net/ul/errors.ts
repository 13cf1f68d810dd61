import type { State, UlEvent } from './states.js';

/**
 * Stable codes of the errors of the upper layer protocol machine. They are programming errors of
 * the local user, never caused by the peer: whatever the peer does is a transition of the table.
 */
export type UlErrorCode =
  | 'INVALID_PRIMITIVE' // a local request the current state does not allow (an empty table cell)
  | 'MISSING_PDU'; // a send action for which the local user supplied no PDU

export class UlError extends Error {
  readonly code: UlErrorCode;
  readonly state: State;
  readonly event: UlEvent;

  constructor(code: UlErrorCode, message: string, state: State, event: UlEvent) {
    super(`${message} (${event} in ${state})`);
    this.name = 'UlError';
    this.code = code;
    this.state = state;
    this.event = event;
  }
}
