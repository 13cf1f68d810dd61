/**
 * Decoding of one whole PDU (PS3.8 9.3). `PduDecoder` (decoder.ts) frames a byte stream into whole
 * PDUs and enforces the size limits; this module only interprets the bytes of one.
 *
 * Reserved fields are skipped, never tested (PS3.8 9.3.1). Every length is checked against the
 * item around it: a length that runs past its parent is MALFORMED_PDU, never a read out of range.
 */
import { decodeAeTitle } from './ae-title.js';
import { ByteReader, uidText } from './bytes.js';
import {
  ABORT_REASON_CODES,
  ABORT_SOURCE_CODES,
  ITEM_TYPE,
  PDU_TYPE_CODES,
  PRESENTATION_CONTEXT_RESULT_CODES,
  REJECT_RESULT_CODES,
  REJECT_SOURCE_CODES,
  nameOf,
  rejectReasonTable,
} from './codes.js';
import { PduError } from './errors.js';
import type {
  AAssociateAc,
  AAssociateRq,
  Pdu,
  PduType,
  Pdv,
  PresentationContextAc,
  PresentationContextRq,
  RawItem,
  UserInformation,
} from './types.js';
import { decodeUserInformation } from './user-information.js';

/** PDU type (1), reserved (1), PDU-length (4): PS3.8 Table 9-11 ff. */
export const PDU_HEADER_LENGTH = 6;

export interface PduHeader {
  readonly pduType: number;
  /** PDU-length: the bytes after the 6-byte header. */
  readonly length: number;
}

/** The header at the start of `bytes`, or undefined if fewer than 6 bytes are given. */
export function readPduHeader(bytes: Uint8Array): PduHeader | undefined {
  if (bytes.length < PDU_HEADER_LENGTH) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, PDU_HEADER_LENGTH);
  return { pduType: view.getUint8(0), length: view.getUint32(2) };
}

/** The name of a PDU type byte, or undefined for a type PS3.8 does not define. */
export function pduTypeName(pduType: number): PduType | undefined {
  const name = nameOf(PDU_TYPE_CODES, pduType);
  return typeof name === 'string' ? name : undefined;
}

/**
 * Decodes `bytes`, which must hold exactly one PDU (header included). PDV data and other byte
 * fields are views into `bytes`.
 */
export function decodePdu(bytes: Uint8Array): Pdu {
  const header = readPduHeader(bytes);
  if (header === undefined) {
    throw new PduError('INCOMPLETE_PDU', `${bytes.length} byte(s) are not a PDU header`);
  }
  const { pduType, length } = header;
  const type = pduTypeName(pduType);
  if (type === undefined) {
    throw new PduError('UNKNOWN_PDU_TYPE', 'unknown PDU type', { pduType, offset: 0 });
  }
  if (bytes.length !== PDU_HEADER_LENGTH + length) {
    throw new PduError(
      'MALFORMED_PDU',
      `PDU-length says ${length} byte(s) follow the header but ${bytes.length - PDU_HEADER_LENGTH} were given`,
      { pduType, offset: 2 },
    );
  }
  const r = new ByteReader(bytes, PDU_HEADER_LENGTH, bytes.length, pduType);
  switch (type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      return decodeAssociate(type, r);
    case 'A-ASSOCIATE-RJ': {
      // PS3.8 Table 9-21: reserved (1), Result (1), Source (1), Reason/Diag. (1).
      fixedLength(r, 4);
      r.skip(1, 'reserved');
      const result = nameOf(REJECT_RESULT_CODES, r.u8());
      const source = nameOf(REJECT_SOURCE_CODES, r.u8());
      const reason = nameOf(rejectReasonTable(source), r.u8());
      return { type, result, source, reason };
    }
    case 'P-DATA-TF':
      return { type, pdvs: decodePdvs(r) };
    case 'A-RELEASE-RQ':
    case 'A-RELEASE-RP':
      // PS3.8 Tables 9-24, 9-25: four reserved bytes.
      fixedLength(r, 4);
      return { type };
    case 'A-ABORT': {
      // PS3.8 Table 9-26: reserved (1), reserved (1), Source (1), Reason/Diag. (1).
      fixedLength(r, 4);
      r.skip(2, 'reserved');
      const source = nameOf(ABORT_SOURCE_CODES, r.u8());
      const reason = nameOf(ABORT_REASON_CODES, r.u8());
      return { type, source, reason };
    }
  }
}

function fixedLength(r: ByteReader, length: number): void {
  if (r.remaining !== length) r.fail(`PDU-length is ${r.remaining}; this PDU has ${length}`, 2);
}

/** PS3.8 Table 9-11 (RQ) and 9-17 (AC) share the fixed part of 68 bytes. */
function decodeAssociate(
  type: 'A-ASSOCIATE-RQ' | 'A-ASSOCIATE-AC',
  r: ByteReader,
): AAssociateRq | AAssociateAc {
  const protocolVersion = r.u16();
  r.skip(2, 'reserved');
  const calledAeTitle = decodeAeTitle(r.take(16, 'the called AE title'));
  const callingAeTitle = decodeAeTitle(r.take(16, 'the calling AE title'));
  r.skip(32, 'reserved');

  const contextType =
    type === 'A-ASSOCIATE-RQ' ? ITEM_TYPE.presentationContextRq : ITEM_TYPE.presentationContextAc;
  let applicationContext: string | undefined;
  let userInformation: UserInformation | undefined;
  const rqContexts: PresentationContextRq[] = [];
  const acContexts: PresentationContextAc[] = [];
  const unknownItems: RawItem[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const itemType = r.u8();
    r.skip(1, 'reserved');
    const item = r.sub(r.u16(), `item 0x${itemType.toString(16)}`);
    if (itemType === ITEM_TYPE.applicationContext) {
      if (applicationContext !== undefined) r.fail('more than one application context item', at);
      applicationContext = uidText(item.take(item.remaining, 'application context name'));
    } else if (itemType === ITEM_TYPE.userInformation) {
      if (userInformation !== undefined) r.fail('more than one user information item', at);
      userInformation = decodeUserInformation(item);
    } else if (itemType === contextType && type === 'A-ASSOCIATE-RQ') {
      rqContexts.push(decodeContextRq(item));
    } else if (itemType === contextType) {
      acContexts.push(decodeContextAc(item));
    } else if (
      itemType === ITEM_TYPE.presentationContextRq ||
      itemType === ITEM_TYPE.presentationContextAc
    ) {
      r.fail(`a presentation context item of type 0x${itemType.toString(16)} in an ${type}`, at);
    } else {
      unknownItems.push({ itemType, data: item.take(item.remaining, 'an unknown item') });
    }
  }
  if (applicationContext === undefined) r.fail(`an ${type} without an application context item`);

  const common = {
    protocolVersion,
    calledAeTitle,
    callingAeTitle,
    applicationContext,
    userInformation: userInformation ?? {},
    ...(unknownItems.length > 0 ? { unknownItems } : {}),
  };
  return type === 'A-ASSOCIATE-RQ'
    ? { type, ...common, presentationContexts: rqContexts }
    : { type, ...common, presentationContexts: acContexts };
}

/**
 * PS3.8 Table 9-13: Presentation-context-ID (1), reserved (3), then one abstract syntax sub-item
 * (0x30) and one or more transfer syntax sub-items (0x40). Other sub-items are skipped.
 */
function decodeContextRq(r: ByteReader): PresentationContextRq {
  const id = r.u8();
  r.skip(3, 'reserved');
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const itemType = r.u8();
    r.skip(1, 'reserved');
    const value = r.take(r.u16(), `sub-item 0x${itemType.toString(16)}`);
    if (itemType === ITEM_TYPE.abstractSyntax) {
      if (abstractSyntax !== undefined) r.fail('more than one abstract syntax sub-item', at);
      abstractSyntax = uidText(value);
    } else if (itemType === ITEM_TYPE.transferSyntax) {
      transferSyntaxes.push(uidText(value));
    }
  }
  return { id, abstractSyntax: abstractSyntax ?? '', transferSyntaxes };
}

/**
 * PS3.8 Table 9-18: Presentation-context-ID (1), reserved (1), Result/Reason (1), reserved (1),
 * then one transfer syntax sub-item (0x40).
 */
function decodeContextAc(r: ByteReader): PresentationContextAc {
  const id = r.u8();
  r.skip(1, 'reserved');
  const result = nameOf(PRESENTATION_CONTEXT_RESULT_CODES, r.u8());
  r.skip(1, 'reserved');
  let transferSyntax: string | undefined;
  while (r.remaining > 0) {
    const at = r.offset;
    const itemType = r.u8();
    r.skip(1, 'reserved');
    const value = r.take(r.u16(), `sub-item 0x${itemType.toString(16)}`);
    if (itemType === ITEM_TYPE.transferSyntax) {
      if (transferSyntax !== undefined) r.fail('more than one transfer syntax sub-item', at);
      transferSyntax = uidText(value);
    }
  }
  return { id, result, transferSyntax: transferSyntax ?? '' };
}

/**
 * PS3.8 Table 9-23: PDV items of Item-length (4), Presentation-context-ID (1) and a message
 * control header (1, PS3.8 E.2: bit 0 command, bit 1 last fragment, other bits reserved).
 */
function decodePdvs(r: ByteReader): Pdv[] {
  const pdvs: Pdv[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const length = r.u32();
    if (length < 2) r.fail(`a PDV item of length ${length}; at least 2 are needed`, at);
    const item = r.sub(length, 'a PDV item');
    const presentationContextId = item.u8();
    const header = item.u8();
    pdvs.push({
      presentationContextId,
      command: (header & 0x01) !== 0,
      last: (header & 0x02) !== 0,
      data: item.take(item.remaining, 'PDV data'),
    });
  }
  if (pdvs.length === 0) r.fail('a P-DATA-TF without PDV items (PS3.8 9.3.5: one or more)');
  return pdvs;
}
