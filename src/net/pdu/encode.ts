/**
 * Encoding of PDUs (PS3.8 9.3). `encodePdu` returns parts to be written in order, so that a
 * P-DATA-TF refers to its PDV data instead of copying it; every other PDU is one part.
 */
import { encodeAeTitle } from './ae-title.js';
import { ByteWriter } from './bytes.js';
import {
  ABORT_REASON_CODES,
  ABORT_SOURCE_CODES,
  ITEM_TYPE,
  PDU_TYPE_CODES,
  PRESENTATION_CONTEXT_RESULT_CODES,
  REJECT_RESULT_CODES,
  REJECT_SOURCE_CODES,
  codeOf,
  rejectReasonTable,
} from './codes.js';
import { PDU_HEADER_LENGTH } from './decode.js';
import { encodeText, endItem, notEncodable, startItem } from './encode-helpers.js';
import type { AAssociateAc, AAssociateRq, PDataTf, Pdu } from './types.js';
import { encodeUserInformation } from './user-information.js';

/** PDV item header: Item-length (4), Presentation-context-ID (1), message control header (1). */
export const PDV_HEADER_LENGTH = 6;

/** Encodes `pdu`; throws PduError NOT_ENCODABLE for a value the wire format cannot carry. */
export function encodePdu(pdu: Pdu): Uint8Array[] {
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      return [encodeAssociate(pdu)];
    case 'A-ASSOCIATE-RJ': {
      const source = codeOf(REJECT_SOURCE_CODES, pdu.source);
      return [
        fixed(
          pdu.type,
          0,
          byte(codeOf(REJECT_RESULT_CODES, pdu.result), `reject result ${pdu.result}`),
          byte(source, `reject source ${pdu.source}`),
          byte(
            codeOf(rejectReasonTable(pdu.source), pdu.reason),
            `reject reason ${pdu.reason} for source ${pdu.source}`,
          ),
        ),
      ];
    }
    case 'P-DATA-TF':
      return encodePData(pdu);
    case 'A-RELEASE-RQ':
    case 'A-RELEASE-RP':
      return [fixed(pdu.type, 0, 0, 0, 0)];
    case 'A-ABORT':
      return [
        fixed(
          pdu.type,
          0,
          0,
          byte(codeOf(ABORT_SOURCE_CODES, pdu.source), `abort source ${pdu.source}`),
          byte(codeOf(ABORT_REASON_CODES, pdu.reason), `abort reason ${pdu.reason}`),
        ),
      ];
  }
}

/** The parts of `encodePdu` joined into one array (tests, small PDUs). */
export function encodePduBytes(pdu: Pdu): Uint8Array {
  const parts = encodePdu(pdu);
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The PDU-length field of a P-DATA-TF carrying PDVs of these data lengths (PS3.8 9.3.5). */
export function pDataTfLength(dataLengths: Iterable<number>): number {
  let total = 0;
  for (const length of dataLengths) total += PDV_HEADER_LENGTH + length;
  return total;
}

function byte(code: number | undefined, what: string): number {
  if (code === undefined || !Number.isInteger(code) || code < 0 || code > 0xff) {
    notEncodable(`${what} has no code`);
  }
  return code;
}

/** A PDU with a 4-byte variable field (A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT). */
function fixed(type: Pdu['type'], a: number, b: number, c: number, d: number): Uint8Array {
  return Uint8Array.of(PDU_TYPE_CODES[type], 0, 0, 0, 0, 4, a, b, c, d);
}

function encodePData(pdu: PDataTf): Uint8Array[] {
  // PS3.8 9.3.5: "one or more" PDV items.
  if (pdu.pdvs.length === 0) notEncodable('a P-DATA-TF without PDV items');
  const length = pDataTfLength(pdu.pdvs.map((pdv) => pdv.data.length));
  if (length > 0xffffffff) notEncodable(`a P-DATA-TF of ${length} bytes`);
  const parts: Uint8Array[] = [];
  let header = new Uint8Array(PDU_HEADER_LENGTH + PDV_HEADER_LENGTH);
  let view = new DataView(header.buffer);
  view.setUint8(0, PDU_TYPE_CODES['P-DATA-TF']);
  view.setUint32(2, length);
  let at = PDU_HEADER_LENGTH;
  for (const pdv of pdu.pdvs) {
    const id = pdv.presentationContextId;
    if (!Number.isInteger(id) || id < 0 || id > 0xff) notEncodable(`presentation context ID ${id}`);
    if (at === 0) {
      header = new Uint8Array(PDV_HEADER_LENGTH);
      view = new DataView(header.buffer);
    }
    view.setUint32(at, 2 + pdv.data.length);
    view.setUint8(at + 4, id);
    // PS3.8 E.2: bit 0 = command, bit 1 = last fragment; the other bits are reserved (0).
    view.setUint8(at + 5, (pdv.command ? 0x01 : 0) | (pdv.last ? 0x02 : 0));
    parts.push(header);
    if (pdv.data.length > 0) parts.push(pdv.data);
    at = 0;
  }
  return parts;
}

function encodeAssociate(pdu: AAssociateRq | AAssociateAc): Uint8Array {
  const w = new ByteWriter(1024);
  w.u8(PDU_TYPE_CODES[pdu.type]);
  w.u8(0);
  w.u32(0);
  if (!Number.isInteger(pdu.protocolVersion) || pdu.protocolVersion < 0) {
    notEncodable(`protocol version ${pdu.protocolVersion}`);
  }
  w.u16(pdu.protocolVersion);
  w.zeros(2);
  w.bytes(aeTitle(pdu.calledAeTitle, 'called'));
  w.bytes(aeTitle(pdu.callingAeTitle, 'calling'));
  w.zeros(32);

  let at = startItem(w, ITEM_TYPE.applicationContext);
  encodeText(w, pdu.applicationContext, 'application context name');
  endItem(w, at);

  if (pdu.type === 'A-ASSOCIATE-RQ') {
    for (const context of pdu.presentationContexts) {
      at = startItem(w, ITEM_TYPE.presentationContextRq);
      w.u8(contextId(context.id));
      w.zeros(3);
      const syntax = startItem(w, ITEM_TYPE.abstractSyntax);
      encodeText(w, context.abstractSyntax, 'abstract syntax');
      endItem(w, syntax);
      for (const uid of context.transferSyntaxes) {
        const ts = startItem(w, ITEM_TYPE.transferSyntax);
        encodeText(w, uid, 'transfer syntax');
        endItem(w, ts);
      }
      endItem(w, at);
    }
  } else {
    for (const context of pdu.presentationContexts) {
      at = startItem(w, ITEM_TYPE.presentationContextAc);
      w.u8(contextId(context.id));
      w.u8(0);
      w.u8(
        byte(
          codeOf(PRESENTATION_CONTEXT_RESULT_CODES, context.result),
          `presentation context result ${context.result}`,
        ),
      );
      w.u8(0);
      const ts = startItem(w, ITEM_TYPE.transferSyntax);
      encodeText(w, context.transferSyntax, 'transfer syntax');
      endItem(w, ts);
      endItem(w, at);
    }
  }

  at = startItem(w, ITEM_TYPE.userInformation);
  encodeUserInformation(w, pdu.userInformation);
  endItem(w, at);

  for (const item of pdu.unknownItems ?? []) {
    at = startItem(w, item.itemType);
    w.bytes(item.data);
    endItem(w, at);
  }
  w.patchU32(2, w.size - PDU_HEADER_LENGTH);
  return w.finish();
}

function aeTitle(title: string, which: string): Uint8Array {
  return encodeAeTitle(title) ?? notEncodable(`${which} AE title ${JSON.stringify(title)}`);
}

function contextId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 0xff) notEncodable(`presentation context ID ${id}`);
  return id;
}
