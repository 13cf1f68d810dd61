/**
 * The requestor's side: the A-ASSOCIATE-RQ built from local configuration, validated here so that
 * a bad option fails before any connection is made.
 */
import {
  DEFAULT_MAX_PDU_LENGTH,
  type AAssociateRq,
  type AsyncOperationsWindow,
  type PresentationContextRq,
  type RoleSelection,
  type SopClassCommonExtendedNegotiation,
  type SopClassExtendedNegotiation,
  type UserIdentityRq,
} from '../pdu/index.js';
import {
  APPLICATION_CONTEXT_NAME,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  MAX_PRESENTATION_CONTEXTS,
  PROTOCOL_VERSION,
} from './constants.js';
import { NegotiationError } from './errors.js';
import { checkAeTitle, checkMaxPduLength, checkUid, checkVersionName } from './validate.js';

export interface ProposedContext {
  /** The SOP class (or meta SOP class) UID. */
  readonly abstractSyntax: string;
  /** Transfer syntaxes, any of the standard's (compressed ones included) or private ones. */
  readonly transferSyntaxes: readonly string[];
}

/** Roles the requestor proposes for a SOP class (PS3.7 D.3.3.4); C-GET needs `scp` for storage. */
export interface ProposedRole {
  readonly sopClassUid: string;
  readonly scu: boolean;
  readonly scp: boolean;
}

export interface AssociationRequestOptions {
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly contexts: readonly ProposedContext[];
  /** Our Maximum Length (PS3.8 D.1): the largest P-DATA-TF we accept. */
  readonly maxPduLength?: number | undefined;
  readonly roles?: readonly ProposedRole[] | undefined;
  /** Propose asynchronous operations (PS3.7 D.3.3.3); without it, one operation at a time. */
  readonly asyncOperationsWindow?: AsyncOperationsWindow | undefined;
  readonly extendedNegotiations?: readonly SopClassExtendedNegotiation[] | undefined;
  readonly commonExtendedNegotiations?: readonly SopClassCommonExtendedNegotiation[] | undefined;
  /** See `usernameIdentity`. */
  readonly userIdentity?: UserIdentityRq | undefined;
  readonly implementationClassUid?: string | undefined;
  readonly implementationVersionName?: string | undefined;
}

/**
 * Presentation context items for `contexts`, with the IDs 1, 3, 5, ... in order (PS3.8 9.3.2.2:
 * odd integers 1-255, so at most 128 contexts).
 */
export function proposeContexts(contexts: readonly ProposedContext[]): PresentationContextRq[] {
  if (contexts.length === 0) {
    throw new NegotiationError('TOO_MANY_CONTEXTS', 'contexts', 'at least one context is needed');
  }
  if (contexts.length > MAX_PRESENTATION_CONTEXTS) {
    throw new NegotiationError(
      'TOO_MANY_CONTEXTS',
      'contexts',
      `${contexts.length} presentation contexts; at most ${MAX_PRESENTATION_CONTEXTS} fit in one association`,
    );
  }
  return contexts.map((context, i) => {
    const path = `contexts[${i}]`;
    checkUid(context.abstractSyntax, `${path}.abstractSyntax`);
    if (context.transferSyntaxes.length === 0) {
      throw new NegotiationError(
        'NO_TRANSFER_SYNTAX',
        `${path}.transferSyntaxes`,
        'a presentation context needs at least one transfer syntax',
      );
    }
    context.transferSyntaxes.forEach((ts, j) => checkUid(ts, `${path}.transferSyntaxes[${j}]`));
    return {
      id: 2 * i + 1,
      abstractSyntax: context.abstractSyntax,
      transferSyntaxes: [...context.transferSyntaxes],
    };
  });
}

/** The A-ASSOCIATE-RQ for `options`; throws NegotiationError naming the option that is wrong. */
export function buildAssociateRq(options: AssociationRequestOptions): AAssociateRq {
  checkAeTitle(options.callingAeTitle, 'callingAeTitle');
  checkAeTitle(options.calledAeTitle, 'calledAeTitle');
  const maxLength = options.maxPduLength ?? DEFAULT_MAX_PDU_LENGTH;
  checkMaxPduLength(maxLength, 'maxPduLength');
  const implementationClassUid = options.implementationClassUid ?? IMPLEMENTATION_CLASS_UID;
  checkUid(implementationClassUid, 'implementationClassUid');
  const implementationVersionName =
    options.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME;
  checkVersionName(implementationVersionName, 'implementationVersionName');

  // PS3.7 D.3.3.4: at most one role selection item per SOP class.
  const roles = new Map<string, RoleSelection>();
  (options.roles ?? []).forEach((role, i) => {
    checkUid(role.sopClassUid, `roles[${i}].sopClassUid`);
    roles.set(role.sopClassUid, { sopClassUid: role.sopClassUid, scu: role.scu, scp: role.scp });
  });
  const roleSelections = [...roles.values()];
  const extendedNegotiations = options.extendedNegotiations ?? [];
  const commonExtendedNegotiations = options.commonExtendedNegotiations ?? [];

  return {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: PROTOCOL_VERSION,
    calledAeTitle: options.calledAeTitle.trim(),
    callingAeTitle: options.callingAeTitle.trim(),
    applicationContext: APPLICATION_CONTEXT_NAME,
    presentationContexts: proposeContexts(options.contexts),
    userInformation: {
      maxLength,
      implementationClassUid,
      ...(options.asyncOperationsWindow === undefined
        ? {}
        : { asyncOperationsWindow: options.asyncOperationsWindow }),
      ...(roleSelections.length > 0 ? { roleSelections } : {}),
      implementationVersionName,
      ...(extendedNegotiations.length > 0 ? { extendedNegotiations } : {}),
      ...(commonExtendedNegotiations.length > 0 ? { commonExtendedNegotiations } : {}),
      ...(options.userIdentity === undefined ? {} : { userIdentity: options.userIdentity }),
    },
  };
}
