import type { Pdv } from '../pdu/types.js';

/** PDV item overhead inside a P-DATA-TF: item length (4), context ID (1), control header (1). */
const PDV_OVERHEAD = 6;

/** What we send when the peer announces 0 ("no maximum", PS3.8 D.1.1): DCMTK's largest default. */
const UNLIMITED_SEND = 256 * 1024;

/**
 * The most data one PDV may carry so that a P-DATA-TF holding one PDV stays within the peer's
 * Maximum Length Received, which bounds the PDU's variable field (PS3.8 D.1.1, 9.3.5). Rounded
 * down to an even number: DCMTK refuses odd data set fragments ("Odd Fragment Length"), and a
 * peer may announce an odd maximum.
 */
export function maxPdvData(peerMaxLength: number): number {
  const limit = peerMaxLength === 0 ? UNLIMITED_SEND : peerMaxLength;
  const room = limit - PDV_OVERHEAD;
  return Math.max(2, room - (room % 2));
}

/** Splits a command set into PDVs (PS3.7 E.2: command fragments, the last one flagged). */
export function commandPdvs(contextId: number, command: Uint8Array, maxData: number): Pdv[] {
  const pdvs: Pdv[] = [];
  for (let at = 0; at < command.length || pdvs.length === 0; at += maxData) {
    const end = Math.min(command.length, at + maxData);
    pdvs.push({
      presentationContextId: contextId,
      command: true,
      last: end === command.length,
      data: command.subarray(at, end),
    });
  }
  return pdvs;
}

/**
 * Cuts a data set that arrives in chunks of any size (a file read, a received stream) into PDVs
 * of exactly `maxData` bytes, the last one shorter and flagged. Holds at most one PDV of data.
 */
export class DatasetFragmenter {
  private pending: Uint8Array[] = [];
  private pendingLength = 0;

  constructor(
    private readonly contextId: number,
    private readonly maxData: number,
  ) {}

  push(chunk: Uint8Array): Pdv[] {
    const out: Pdv[] = [];
    let at = 0;
    while (at < chunk.length) {
      // A full PDV held back is not the last one: more data has come.
      if (this.pendingLength === this.maxData) out.push(this.flush(false));
      const take = Math.min(this.maxData - this.pendingLength, chunk.length - at);
      this.pending.push(chunk.subarray(at, at + take));
      this.pendingLength += take;
      at += take;
      // A full PDV stays back until more data or end() shows whether it is the last one.
    }
    return out;
  }

  /** The remaining data as the last PDV (an empty last PDV for an empty data set). */
  end(): Pdv {
    return this.flush(true);
  }

  private flush(last: boolean): Pdv {
    const data =
      this.pending.length === 1 ? this.pending[0]! : concat(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    return { presentationContextId: this.contextId, command: false, last, data };
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
