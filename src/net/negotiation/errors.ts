/**
 * Stable codes of the errors of building a negotiation from local configuration. What a peer
 * proposes never throws: it is accepted, rejected or answered as the standard says.
 */
export type NegotiationErrorCode =
  | 'INVALID_AE_TITLE' // PS3.5 AE rules: 1-16 characters, no backslash or control characters
  | 'INVALID_UID' // PS3.5 9.1 UID rules
  | 'TOO_MANY_CONTEXTS' // more than 128 presentation contexts (PS3.8 9.3.2.2)
  | 'NO_TRANSFER_SYNTAX' // a presentation context or policy without transfer syntaxes
  | 'INVALID_MAX_PDU_LENGTH' // not an integer from 1 to 2^32-1
  | 'INVALID_VERSION_NAME'; // PS3.7 D.3.3.2: 1-16 characters

export class NegotiationError extends Error {
  readonly code: NegotiationErrorCode;
  /** The option that is wrong, as a path (`contexts[3].transferSyntaxes`). */
  readonly path: string;

  constructor(code: NegotiationErrorCode, path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'NegotiationError';
    this.code = code;
    this.path = path;
  }
}
