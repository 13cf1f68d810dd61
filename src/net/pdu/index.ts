/**
 * The upper-layer PDU codec (PS3.8 9.3): values in, bytes out, and back. Pure: no I/O, no timers.
 */
export type {
  AAbort,
  AAssociateAc,
  AAssociateRj,
  AAssociateRq,
  AReleaseRp,
  AReleaseRq,
  AsyncOperationsWindow,
  PDataTf,
  Pdu,
  PduType,
  Pdv,
  PresentationContextAc,
  PresentationContextRq,
  RawItem,
  RoleSelection,
  SopClassCommonExtendedNegotiation,
  SopClassExtendedNegotiation,
  UserIdentityAc,
  UserIdentityRq,
  UserInformation,
} from './types.js';
export {
  ABORT_REASON_CODES,
  ABORT_SOURCE_CODES,
  PDU_TYPE_CODES,
  PRESENTATION_CONTEXT_RESULT_CODES,
  REJECT_REASON_CODES,
  REJECT_RESULT_CODES,
  REJECT_SOURCE_CODES,
  USER_IDENTITY_TYPE_CODES,
  type AbortReason,
  type AbortSource,
  type PresentationContextResult,
  type RejectReason,
  type RejectResult,
  type RejectSource,
  type UserIdentityType,
} from './codes.js';
export { PduError, isPduError, type PduErrorCode, type PduErrorDetails } from './errors.js';
export {
  AE_TITLE_LENGTH,
  aeTitleProblem,
  decodeAeTitle,
  encodeAeTitle,
  isValidAeTitle,
} from './ae-title.js';
export {
  decodePdu,
  PDU_HEADER_LENGTH,
  pduTypeName,
  readPduHeader,
  type PduHeader,
} from './decode.js';
export { encodePdu, encodePduBytes, pDataTfLength, PDV_HEADER_LENGTH } from './encode.js';
export {
  DEFAULT_MAX_ASSOCIATION_PDU_LENGTH,
  DEFAULT_MAX_PDU_LENGTH,
  PduDecoder,
  type PduDecoderOptions,
} from './decoder.js';
