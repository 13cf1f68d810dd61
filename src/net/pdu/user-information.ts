/**
 * The user information item's sub-items (PS3.8 Annex D; PS3.7 D.3.3). Each sub-item is
 * `type (1) | reserved (1) | length (2) | value`; the layout of each value is quoted below.
 */
import type { ByteReader, ByteWriter } from './bytes.js';
import { uidText } from './bytes.js';
import { USER_ITEM_TYPE, USER_IDENTITY_TYPE_CODES, codeOf, nameOf } from './codes.js';
import { encodeText, endItem, notEncodable, startItem } from './encode-helpers.js';
import type {
  RawItem,
  RoleSelection,
  SopClassCommonExtendedNegotiation,
  SopClassExtendedNegotiation,
  UserIdentityRq,
  UserInformation,
} from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Decodes the value field of a user information item (0x50). */
export function decodeUserInformation(reader: ByteReader): UserInformation {
  const info: Mutable<UserInformation> = {};
  const roles: RoleSelection[] = [];
  const extended: SopClassExtendedNegotiation[] = [];
  const common: SopClassCommonExtendedNegotiation[] = [];
  const unknown: RawItem[] = [];
  const once = (present: unknown, name: string, at: number): void => {
    if (present !== undefined) reader.fail(`more than one ${name} sub-item`, at);
  };

  while (reader.remaining > 0) {
    const at = reader.offset;
    const itemType = reader.u8();
    reader.skip(1, 'the reserved byte of a user information sub-item');
    const item = reader.sub(reader.u16(), `user information sub-item 0x${hex(itemType)}`);
    switch (itemType) {
      case USER_ITEM_TYPE.maximumLength:
        // PS3.8 D.1: Maximum-length-received, 4 bytes.
        once(info.maxLength, 'maximum length', at);
        info.maxLength = item.u32();
        break;
      case USER_ITEM_TYPE.implementationClassUid:
        once(info.implementationClassUid, 'implementation class UID', at);
        info.implementationClassUid = uidText(item.take(item.remaining, 'a UID'));
        break;
      case USER_ITEM_TYPE.asyncOperationsWindow:
        // PS3.7 D.3.3.3.1: Maximum-number-operations-invoked (2), -performed (2).
        once(info.asyncOperationsWindow, 'asynchronous operations window', at);
        info.asyncOperationsWindow = {
          maxOperationsInvoked: item.u16(),
          maxOperationsPerformed: item.u16(),
        };
        break;
      case USER_ITEM_TYPE.roleSelection:
        // PS3.7 D.3.3.4.1: UID-length (2), SOP-class-uid, SCU-role (1), SCP-role (1).
        roles.push({ sopClassUid: prefixedUid(item), scu: item.u8() !== 0, scp: item.u8() !== 0 });
        break;
      case USER_ITEM_TYPE.implementationVersionName:
        once(info.implementationVersionName, 'implementation version name', at);
        info.implementationVersionName = uidText(item.take(item.remaining, 'a name'));
        break;
      case USER_ITEM_TYPE.sopClassExtendedNegotiation:
        // PS3.7 D.3.3.5.1: SOP-class-uid-length (2), SOP-class-uid, Service-class-application-information.
        extended.push({
          sopClassUid: prefixedUid(item),
          applicationInformation: item.take(item.remaining, 'application information'),
        });
        break;
      case USER_ITEM_TYPE.sopClassCommonExtendedNegotiation: {
        // PS3.7 D.3.3.6.1: SOP-class-uid-length (2), SOP-class-uid, Service-class-uid-length (2),
        // Service-class-uid, Related-general-sop-class-identification-length (2), then sub-items
        // of UID-length (2) and UID.
        const sopClassUid = prefixedUid(item);
        const serviceClassUid = prefixedUid(item);
        const related = item.sub(item.u16(), 'related general SOP class identification');
        const relatedGeneralSopClassUids: string[] = [];
        while (related.remaining > 0) relatedGeneralSopClassUids.push(prefixedUid(related));
        common.push({ sopClassUid, serviceClassUid, relatedGeneralSopClassUids });
        break;
      }
      case USER_ITEM_TYPE.userIdentityRq: {
        // PS3.7 D.3.3.7.1: User-Identity-Type (1), Positive-response-requested (1),
        // Primary-field-length (2), Primary-field, Secondary-field-length (2), Secondary-field.
        once(info.userIdentity, 'user identity', at);
        const identityType = nameOf(USER_IDENTITY_TYPE_CODES, item.u8());
        const positiveResponseRequested = item.u8() === 1;
        const primaryField = item.take(item.u16(), 'the primary field');
        const secondaryField = item.take(item.u16(), 'the secondary field');
        info.userIdentity = {
          identityType,
          positiveResponseRequested,
          primaryField,
          secondaryField,
        };
        break;
      }
      case USER_ITEM_TYPE.userIdentityAc:
        // PS3.7 D.3.3.7.2: Server-response-length (2), Server-response.
        once(info.userIdentityResponse, 'user identity response', at);
        info.userIdentityResponse = {
          serverResponse: item.take(item.u16(), 'the server response'),
        };
        break;
      default:
        unknown.push({ itemType, data: item.take(item.remaining, 'an unknown sub-item') });
    }
    if (item.remaining !== 0) {
      item.fail(`${item.remaining} unexpected byte(s) at the end of sub-item 0x${hex(itemType)}`);
    }
  }
  if (roles.length > 0) info.roleSelections = roles;
  if (extended.length > 0) info.extendedNegotiations = extended;
  if (common.length > 0) info.commonExtendedNegotiations = common;
  if (unknown.length > 0) info.unknownItems = unknown;
  return info;
}

/**
 * Encodes the value field of a user information item, sub-items in the order of PS3.7 D.3.3
 * (maximum length, implementation class UID, asynchronous operations window, role selections,
 * implementation version name, extended negotiation, user identity), unknown ones last.
 */
export function encodeUserInformation(w: ByteWriter, info: UserInformation): void {
  if (info.maxLength !== undefined) {
    if (!isU32(info.maxLength)) notEncodable(`maximum length ${info.maxLength}`);
    const at = startItem(w, USER_ITEM_TYPE.maximumLength);
    w.u32(info.maxLength);
    endItem(w, at);
  }
  if (info.implementationClassUid !== undefined) {
    const at = startItem(w, USER_ITEM_TYPE.implementationClassUid);
    encodeText(w, info.implementationClassUid, 'implementation class UID');
    endItem(w, at);
  }
  if (info.asyncOperationsWindow !== undefined) {
    const { maxOperationsInvoked, maxOperationsPerformed } = info.asyncOperationsWindow;
    if (!isU16(maxOperationsInvoked) || !isU16(maxOperationsPerformed)) {
      notEncodable(
        `asynchronous operations window ${maxOperationsInvoked}/${maxOperationsPerformed}`,
      );
    }
    const at = startItem(w, USER_ITEM_TYPE.asyncOperationsWindow);
    w.u16(maxOperationsInvoked);
    w.u16(maxOperationsPerformed);
    endItem(w, at);
  }
  for (const role of info.roleSelections ?? []) {
    const at = startItem(w, USER_ITEM_TYPE.roleSelection);
    prefixedText(w, role.sopClassUid, 'role selection SOP class UID');
    w.u8(role.scu ? 1 : 0);
    w.u8(role.scp ? 1 : 0);
    endItem(w, at);
  }
  if (info.implementationVersionName !== undefined) {
    const at = startItem(w, USER_ITEM_TYPE.implementationVersionName);
    encodeText(w, info.implementationVersionName, 'implementation version name');
    endItem(w, at);
  }
  for (const ext of info.extendedNegotiations ?? []) {
    const at = startItem(w, USER_ITEM_TYPE.sopClassExtendedNegotiation);
    prefixedText(w, ext.sopClassUid, 'extended negotiation SOP class UID');
    w.bytes(ext.applicationInformation);
    endItem(w, at);
  }
  for (const common of info.commonExtendedNegotiations ?? []) {
    const at = startItem(w, USER_ITEM_TYPE.sopClassCommonExtendedNegotiation);
    prefixedText(w, common.sopClassUid, 'common extended negotiation SOP class UID');
    prefixedText(w, common.serviceClassUid, 'common extended negotiation service class UID');
    const lengthAt = w.size;
    w.u16(0);
    for (const uid of common.relatedGeneralSopClassUids) {
      prefixedText(w, uid, 'related general SOP class UID');
    }
    const length = w.size - lengthAt - 2;
    if (!isU16(length)) notEncodable('related general SOP class identification is too long');
    w.patchU16(lengthAt, length);
    endItem(w, at);
  }
  if (info.userIdentity !== undefined) encodeUserIdentity(w, info.userIdentity);
  if (info.userIdentityResponse !== undefined) {
    const at = startItem(w, USER_ITEM_TYPE.userIdentityAc);
    prefixedBytes(w, info.userIdentityResponse.serverResponse, 'user identity server response');
    endItem(w, at);
  }
  for (const item of info.unknownItems ?? []) {
    const at = startItem(w, item.itemType);
    w.bytes(item.data);
    endItem(w, at);
  }
}

function encodeUserIdentity(w: ByteWriter, identity: UserIdentityRq): void {
  const code = codeOf(USER_IDENTITY_TYPE_CODES, identity.identityType);
  if (code === undefined || code < 0 || code > 0xff) {
    notEncodable(`user identity type ${String(identity.identityType)}`);
  }
  const at = startItem(w, USER_ITEM_TYPE.userIdentityRq);
  w.u8(code);
  w.u8(identity.positiveResponseRequested ? 1 : 0);
  prefixedBytes(w, identity.primaryField, 'user identity primary field');
  prefixedBytes(w, identity.secondaryField, 'user identity secondary field');
  endItem(w, at);
}

/** A UID preceded by its 16-bit length. */
function prefixedUid(reader: ByteReader): string {
  return uidText(reader.take(reader.u16(), 'a UID'));
}

function prefixedText(w: ByteWriter, text: string, what: string): void {
  const lengthAt = w.size;
  w.u16(0);
  encodeText(w, text, what);
  w.patchU16(lengthAt, w.size - lengthAt - 2);
}

function prefixedBytes(w: ByteWriter, data: Uint8Array, what: string): void {
  if (!isU16(data.length)) notEncodable(`${what} is ${data.length} bytes; at most 65535 fit`);
  w.u16(data.length);
  w.bytes(data);
}

function isU16(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff;
}

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
