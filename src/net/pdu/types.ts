/**
 * The seven upper-layer PDUs of PS3.8 9.3, with the items of 9.3.2-9.3.3 and the user information
 * sub-items of PS3.8 Annex D and PS3.7 Annex D.3.3, as plain values. The `type` discriminant is
 * spelled as in the standard so the code can be searched against it.
 *
 * Decoding keeps what the standard defines and drops reserved fields (PS3.8 9.3.1: "shall not be
 * tested when received"). A code the standard does not name (a reject reason, an abort reason, a
 * presentation context result) is kept as its number rather than refused.
 */
import type {
  AbortReason,
  AbortSource,
  PresentationContextResult,
  RejectReason,
  RejectResult,
  RejectSource,
  UserIdentityType,
} from './codes.js';

export type PduType = Pdu['type'];

export type Pdu =
  AAssociateRq | AAssociateAc | AAssociateRj | PDataTf | AReleaseRq | AReleaseRp | AAbort;

/** PS3.8 9.3.2 (Table 9-11). */
export interface AAssociateRq {
  readonly type: 'A-ASSOCIATE-RQ';
  /** Bit 0 set means version 1, the only one defined (PS3.8 9.3.2). */
  readonly protocolVersion: number;
  /** Trimmed of the space padding (PS3.8 9.3.2: 16 characters, leading and trailing spaces not significant). */
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  /** Application Context Name (9.3.2.1); DICOM defines one, `1.2.840.10008.3.1.1.1`. */
  readonly applicationContext: string;
  readonly presentationContexts: readonly PresentationContextRq[];
  readonly userInformation: UserInformation;
  /** Variable items of a type PS3.8 does not define, kept in order and re-encoded at the end. */
  readonly unknownItems?: readonly RawItem[];
}

/** PS3.8 9.3.3 (Table 9-17). The AE title fields are reserved there and echo the request. */
export interface AAssociateAc {
  readonly type: 'A-ASSOCIATE-AC';
  readonly protocolVersion: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContext: string;
  readonly presentationContexts: readonly PresentationContextAc[];
  readonly userInformation: UserInformation;
  readonly unknownItems?: readonly RawItem[];
}

/** PS3.8 9.3.4 (Table 9-21). */
export interface AAssociateRj {
  readonly type: 'A-ASSOCIATE-RJ';
  readonly result: RejectResult | number;
  readonly source: RejectSource | number;
  /** Its meaning depends on `source`; see REJECT_REASON_CODES. */
  readonly reason: RejectReason | number;
}

/** PS3.8 9.3.5 (Table 9-22). */
export interface PDataTf {
  readonly type: 'P-DATA-TF';
  readonly pdvs: readonly Pdv[];
}

/** A presentation data value item (PS3.8 9.3.5.1, Annex E.2 message control header). */
export interface Pdv {
  /** Odd, 1-255. */
  readonly presentationContextId: number;
  /** Message control header bit 0: a command fragment (true) or a data set fragment (false). */
  readonly command: boolean;
  /** Message control header bit 1: the last fragment of the command or data set. */
  readonly last: boolean;
  /** The fragment. When decoded, a view into the received bytes (no copy). */
  readonly data: Uint8Array;
}

/** PS3.8 9.3.6. */
export interface AReleaseRq {
  readonly type: 'A-RELEASE-RQ';
}

/** PS3.8 9.3.7. */
export interface AReleaseRp {
  readonly type: 'A-RELEASE-RP';
}

/** PS3.8 9.3.8 (Table 9-26). */
export interface AAbort {
  readonly type: 'A-ABORT';
  readonly source: AbortSource | number;
  /** Significant only when `source` is 'service-provider'; 'reason-not-specified' otherwise. */
  readonly reason: AbortReason | number;
}

/** Presentation context item of an A-ASSOCIATE-RQ (PS3.8 9.3.2.2). */
export interface PresentationContextRq {
  /** Odd, 1-255 (PS3.8 9.3.2.2). */
  readonly id: number;
  /** '' when the item had no abstract syntax sub-item (negotiation then rejects the context). */
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

/** Presentation context item of an A-ASSOCIATE-AC (PS3.8 9.3.3.2). */
export interface PresentationContextAc {
  readonly id: number;
  readonly result: PresentationContextResult | number;
  /** Not significant unless `result` is 'acceptance' (PS3.8 Table 9-18). */
  readonly transferSyntax: string;
}

/**
 * The user information item (PS3.8 9.3.2.3, Annex D; PS3.7 D.3.3). Every member is optional on
 * the wire; our own requests and answers always carry `maxLength` and `implementationClassUid`.
 */
export interface UserInformation {
  /** 0x51: largest P-DATA-TF variable field the sender can receive; 0 = no limit (PS3.8 D.1). */
  readonly maxLength?: number | undefined;
  /** 0x52 (PS3.7 D.3.3.2). */
  readonly implementationClassUid?: string | undefined;
  /** 0x53 (PS3.7 D.3.3.3). */
  readonly asyncOperationsWindow?: AsyncOperationsWindow | undefined;
  /** 0x54, one per SOP class (PS3.7 D.3.3.4). */
  readonly roleSelections?: readonly RoleSelection[] | undefined;
  /** 0x55 (PS3.7 D.3.3.2): 1-16 characters. */
  readonly implementationVersionName?: string | undefined;
  /** 0x56 (PS3.7 D.3.3.5). */
  readonly extendedNegotiations?: readonly SopClassExtendedNegotiation[] | undefined;
  /** 0x57, request only (PS3.7 D.3.3.6). */
  readonly commonExtendedNegotiations?: readonly SopClassCommonExtendedNegotiation[] | undefined;
  /** 0x58, request only (PS3.7 D.3.3.7.1). */
  readonly userIdentity?: UserIdentityRq | undefined;
  /** 0x59, answer only (PS3.7 D.3.3.7.2). */
  readonly userIdentityResponse?: UserIdentityAc | undefined;
  /** Sub-items of a type not defined above, kept in order and re-encoded at the end. */
  readonly unknownItems?: readonly RawItem[] | undefined;
}

/** PS3.7 D.3.3.3: 0 means unlimited; 1/1 is the default (no asynchronous operations). */
export interface AsyncOperationsWindow {
  readonly maxOperationsInvoked: number;
  readonly maxOperationsPerformed: number;
}

/**
 * PS3.7 D.3.3.4. In a request, `scu`/`scp` say which roles the requestor proposes to take; in an
 * answer, which the acceptor accepts for the requestor.
 */
export interface RoleSelection {
  readonly sopClassUid: string;
  readonly scu: boolean;
  readonly scp: boolean;
}

/** PS3.7 D.3.3.5: the service-class application information is defined per service class. */
export interface SopClassExtendedNegotiation {
  readonly sopClassUid: string;
  readonly applicationInformation: Uint8Array;
}

/** PS3.7 D.3.3.6. */
export interface SopClassCommonExtendedNegotiation {
  readonly sopClassUid: string;
  readonly serviceClassUid: string;
  readonly relatedGeneralSopClassUids: readonly string[];
}

/** PS3.7 D.3.3.7.1. */
export interface UserIdentityRq {
  readonly identityType: UserIdentityType | number;
  readonly positiveResponseRequested: boolean;
  /** User name, Kerberos ticket, SAML assertion or JWT: bytes, since only the type knows the encoding. */
  readonly primaryField: Uint8Array;
  /** The passcode for 'username-and-passcode'; empty otherwise. */
  readonly secondaryField: Uint8Array;
}

/** PS3.7 D.3.3.7.2. */
export interface UserIdentityAc {
  /** Empty for a user name; the Kerberos server ticket, SAML response or JWT otherwise. */
  readonly serverResponse: Uint8Array;
}

/** An item or sub-item of a type we do not interpret, kept verbatim (value field only). */
export interface RawItem {
  readonly itemType: number;
  readonly data: Uint8Array;
}
