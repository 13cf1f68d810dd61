/**
 * Association negotiation (PS3.7 Annex D, PS3.8 9.3) as pure functions: the request we propose,
 * the answer we give under a policy, and what was agreed.
 */
export {
  APPLICATION_CONTEXT_NAME,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  MAX_PRESENTATION_CONTEXTS,
  NO_ASYNC_OPERATIONS,
  PROTOCOL_VERSION,
} from './constants.js';
export { NegotiationError, type NegotiationErrorCode } from './errors.js';
export { uidProblem } from './validate.js';
export { aeTitleProblem, isValidAeTitle } from '../pdu/index.js';
export { REJECTIONS, associateRj, type Rejection } from './reject.js';
export {
  userIdentityCredentials,
  usernameIdentity,
  type UserIdentityCredentials,
  type UserIdentityDecision,
} from './user-identity.js';
export {
  buildAssociateRq,
  proposeContexts,
  type AssociationRequestOptions,
  type ProposedContext,
  type ProposedRole,
} from './propose.js';
export {
  acceptContexts,
  echoExtendedNegotiation,
  validateAcceptorPolicy,
  type AbstractSyntaxPolicy,
  type AcceptorDecision,
  type AcceptorPolicy,
} from './accept.js';
export {
  negotiated,
  smallerWindow,
  type Implementation,
  type NegotiatedAssociation,
  type NegotiatedContext,
  type RejectedContext,
  type Roles,
} from './negotiated.js';
export { standardTransferSyntaxes, UNCOMPRESSED_TRANSFER_SYNTAXES } from './transfer-syntaxes.js';
