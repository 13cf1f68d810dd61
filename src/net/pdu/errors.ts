/**
 * Stable codes of the errors the PDU codec raises. A caller branches on the code, never on the
 * message. On receipt every one of them is PS3.8 event Evt19 ("unrecognized or invalid PDU"),
 * answered with an A-ABORT whose reason `abortReason` gives.
 */
export type PduErrorCode =
  | 'PDU_TOO_LARGE' // the header declares more bytes than the limit for that PDU type
  | 'UNKNOWN_PDU_TYPE' // a PDU type PS3.8 9.3 does not define
  | 'MALFORMED_PDU' // lengths that do not add up, an item running past its parent, a missing item
  | 'INCOMPLETE_PDU' // the transport ended inside a PDU
  | 'NOT_ENCODABLE'; // encoding: a value the wire format cannot carry (AE title too long, ...)

export interface PduErrorDetails {
  /** Byte offset inside the PDU (0 = the PDU type byte) where decoding failed. */
  readonly offset?: number | undefined;
  /** The PDU type byte, when known. */
  readonly pduType?: number | undefined;
  readonly cause?: unknown;
}

export class PduError extends Error {
  readonly code: PduErrorCode;
  readonly offset: number | undefined;
  readonly pduType: number | undefined;

  constructor(code: PduErrorCode, message: string, details: PduErrorDetails = {}) {
    super(describe(message, details), details.cause === undefined ? {} : { cause: details.cause });
    this.name = 'PduError';
    this.code = code;
    this.offset = details.offset;
    this.pduType = details.pduType;
  }

  /** The A-ABORT reason to send for this error when it happens on receipt (PS3.8 Table 9-26). */
  get abortReason(): 'unrecognized-pdu' | 'invalid-pdu-parameter-value' {
    return this.code === 'UNKNOWN_PDU_TYPE' ? 'unrecognized-pdu' : 'invalid-pdu-parameter-value';
  }
}

export function isPduError(error: unknown): error is PduError {
  return error instanceof PduError;
}

function describe(message: string, { offset, pduType }: PduErrorDetails): string {
  const where: string[] = [];
  if (pduType !== undefined) where.push(`PDU type 0x${pduType.toString(16).padStart(2, '0')}`);
  if (offset !== undefined) where.push(`offset ${offset}`);
  return where.length === 0 ? message : `${message} (${where.join(', ')})`;
}
