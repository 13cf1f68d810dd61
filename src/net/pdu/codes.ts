/**
 * Every numeric code of the upper-layer protocol in one place (PS3.8 9.3, PS3.7 D.3.3), each with
 * the name the rest of the code uses. Nothing outside src/net/pdu/ should spell a protocol number.
 */

/** PDU types (PS3.8 9.3.1, Table 9-11 ff.). */
export const PDU_TYPE_CODES = {
  'A-ASSOCIATE-RQ': 0x01,
  'A-ASSOCIATE-AC': 0x02,
  'A-ASSOCIATE-RJ': 0x03,
  'P-DATA-TF': 0x04,
  'A-RELEASE-RQ': 0x05,
  'A-RELEASE-RP': 0x06,
  'A-ABORT': 0x07,
} as const;

/** Item types of the A-ASSOCIATE variable field (PS3.8 9.3.2 and 9.3.3). */
export const ITEM_TYPE = {
  applicationContext: 0x10,
  presentationContextRq: 0x20,
  presentationContextAc: 0x21,
  abstractSyntax: 0x30,
  transferSyntax: 0x40,
  userInformation: 0x50,
} as const;

/** User information sub-item types (PS3.8 Annex D, PS3.7 D.3.3). */
export const USER_ITEM_TYPE = {
  maximumLength: 0x51,
  implementationClassUid: 0x52,
  asyncOperationsWindow: 0x53,
  roleSelection: 0x54,
  implementationVersionName: 0x55,
  sopClassExtendedNegotiation: 0x56,
  sopClassCommonExtendedNegotiation: 0x57,
  userIdentityRq: 0x58,
  userIdentityAc: 0x59,
} as const;

/** A-ASSOCIATE-RJ Result (PS3.8 Table 9-21). */
export const REJECT_RESULT_CODES = {
  'rejected-permanent': 1,
  'rejected-transient': 2,
} as const;
export type RejectResult = keyof typeof REJECT_RESULT_CODES;

/** A-ASSOCIATE-RJ Source (PS3.8 Table 9-21). */
export const REJECT_SOURCE_CODES = {
  'service-user': 1,
  'service-provider-acse': 2,
  'service-provider-presentation': 3,
} as const;
export type RejectSource = keyof typeof REJECT_SOURCE_CODES;

/** A-ASSOCIATE-RJ Reason/Diag., per source (PS3.8 Table 9-21); other values are reserved. */
export const REJECT_REASON_CODES = {
  'service-user': {
    'no-reason-given': 1,
    'application-context-name-not-supported': 2,
    'calling-ae-title-not-recognized': 3,
    'called-ae-title-not-recognized': 7,
  },
  'service-provider-acse': {
    'no-reason-given': 1,
    'protocol-version-not-supported': 2,
  },
  'service-provider-presentation': {
    'temporary-congestion': 1,
    'local-limit-exceeded': 2,
  },
} as const;
export type RejectReason = {
  [S in RejectSource]: keyof (typeof REJECT_REASON_CODES)[S];
}[RejectSource];

/** A-ABORT Source (PS3.8 Table 9-26); 1 is reserved. */
export const ABORT_SOURCE_CODES = {
  'service-user': 0,
  'service-provider': 2,
} as const;
export type AbortSource = keyof typeof ABORT_SOURCE_CODES;

/** A-ABORT Reason/Diag. (PS3.8 Table 9-26), significant for the service-provider source; 3 is reserved. */
export const ABORT_REASON_CODES = {
  'reason-not-specified': 0,
  'unrecognized-pdu': 1,
  'unexpected-pdu': 2,
  'unrecognized-pdu-parameter': 4,
  'unexpected-pdu-parameter': 5,
  'invalid-pdu-parameter-value': 6,
} as const;
export type AbortReason = keyof typeof ABORT_REASON_CODES;

/** Presentation context Result/Reason in an A-ASSOCIATE-AC (PS3.8 Table 9-18). */
export const PRESENTATION_CONTEXT_RESULT_CODES = {
  acceptance: 0,
  'user-rejection': 1,
  'no-reason': 2,
  'abstract-syntax-not-supported': 3,
  'transfer-syntaxes-not-supported': 4,
} as const;
export type PresentationContextResult = keyof typeof PRESENTATION_CONTEXT_RESULT_CODES;

/** User-Identity-Type (PS3.7 Table D.3-14). */
export const USER_IDENTITY_TYPE_CODES = {
  username: 1,
  'username-and-passcode': 2,
  'kerberos-service-ticket': 3,
  'saml-assertion': 4,
  'json-web-token': 5,
} as const;
export type UserIdentityType = keyof typeof USER_IDENTITY_TYPE_CODES;

/** The name of `code` in `table`, or the number itself when the standard does not name it. */
export function nameOf<K extends string>(
  table: Readonly<Record<K, number>>,
  code: number,
): K | number {
  for (const key in table) if (table[key] === code) return key;
  return code;
}

/** The code of `value` (a name of `table` or a number kept from decoding); undefined if unknown. */
export function codeOf<K extends string>(
  table: Readonly<Record<K, number>>,
  value: K | number,
): number | undefined {
  if (typeof value === 'number') return value;
  return Object.hasOwn(table, value) ? table[value] : undefined;
}

/**
 * The reasons of one reject source (empty for a source the standard does not name): only the keys
 * of that source are present, whatever the type says.
 */
export function rejectReasonTable(
  source: RejectSource | number,
): Readonly<Record<RejectReason, number>> {
  const table =
    typeof source === 'string' && Object.hasOwn(REJECT_REASON_CODES, source)
      ? REJECT_REASON_CODES[source]
      : {};
  return table as Readonly<Record<RejectReason, number>>;
}
