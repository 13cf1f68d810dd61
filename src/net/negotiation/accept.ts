/**
 * The acceptor's side: the answer to an A-ASSOCIATE-RQ under a policy, as a pure function (like
 * dicom-rs `process_a_association_rq` and pynetdicom `negotiate_as_acceptor`). Anything the
 * requestor proposes gives an A-ASSOCIATE-AC or -RJ, never an exception.
 */
import {
  DEFAULT_MAX_PDU_LENGTH,
  type AAssociateAc,
  type AAssociateRj,
  type AAssociateRq,
  type AsyncOperationsWindow,
  type PresentationContextAc,
  type PresentationContextResult,
  type RoleSelection,
  type SopClassExtendedNegotiation,
  type UserInformation,
} from '../pdu/index.js';
import {
  APPLICATION_CONTEXT_NAME,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  NO_ASYNC_OPERATIONS,
  PROTOCOL_VERSION,
} from './constants.js';
import { negotiated, smallerWindow, type NegotiatedAssociation } from './negotiated.js';
import { associateRj, type Rejection } from './reject.js';
import type { UserIdentityDecision } from './user-identity.js';
import { NegotiationError } from './errors.js';
import { checkAeTitle, checkMaxPduLength, checkUid, checkVersionName } from './validate.js';

/** What we accept for one abstract syntax. */
export interface AbstractSyntaxPolicy {
  readonly abstractSyntax: string;
  /** Narrows the policy's transfer syntaxes for this abstract syntax (same preference rules). */
  readonly transferSyntaxes?: readonly string[] | undefined;
  /**
   * The roles the requestor may take when it proposes role selection for this SOP class
   * (PS3.7 D.3.3.4). Default: SCU only, the default role. A storage SOP class offered to a C-GET
   * requestor needs `{ scu: false, scp: true }` (or both).
   */
  readonly requestorRoles?: { readonly scu: boolean; readonly scp: boolean } | undefined;
}

export interface AcceptorPolicy {
  /** Our AE title. */
  readonly aeTitle: string;
  /** Accept whatever called AE title the requestor uses (default: it must be `aeTitle`). */
  readonly acceptAnyCalledAeTitle?: boolean | undefined;
  /** Only these calling AE titles are accepted; undefined accepts any. */
  readonly callingAeTitles?: readonly string[] | undefined;
  /** Transfer syntaxes we accept, most preferred first. */
  readonly transferSyntaxes: readonly string[];
  /**
   * Whose order picks the transfer syntax of a context: ours ('acceptor', default) or the order
   * the requestor proposed them in ('requestor', e.g. to keep the stored files as they were sent).
   */
  readonly transferSyntaxPreference?: 'acceptor' | 'requestor' | undefined;
  /** Abstract syntaxes (SOP classes) we accept. */
  readonly abstractSyntaxes: readonly (string | AbstractSyntaxPolicy)[];
  /** Accept abstract syntaxes not listed (with the policy's transfer syntaxes). */
  readonly acceptUnknownAbstractSyntaxes?: boolean | undefined;
  /** Our Maximum Length (PS3.8 D.1): the largest P-DATA-TF we accept. */
  readonly maxPduLength?: number | undefined;
  /**
   * The operations we can invoke and perform at once (PS3.7 D.3.3.3); default 1/1, that is no
   * asynchronous operations. Only answered when the requestor proposes a window.
   */
  readonly asyncOperationsWindow?: AsyncOperationsWindow | undefined;
  /**
   * Answers a SOP class extended negotiation item (PS3.7 D.3.3.5) of an accepted SOP class:
   * the application information to reply with, or undefined for no reply (the default for every
   * item; replying claims support of the service class options). See `echoExtendedNegotiation`.
   */
  readonly extendedNegotiation?:
    ((request: SopClassExtendedNegotiation) => Uint8Array | undefined) | undefined;
  /** Reject a requestor that presents no user identity (PS3.7 D.3.3.7). */
  readonly requireUserIdentity?: boolean | undefined;
  readonly implementationClassUid?: string | undefined;
  readonly implementationVersionName?: string | undefined;
}

export type AcceptorDecision =
  | {
      readonly kind: 'accept';
      readonly ac: AAssociateAc;
      readonly negotiated: NegotiatedAssociation;
    }
  | { readonly kind: 'reject'; readonly rj: AAssociateRj; readonly rejection: Rejection };

/** Replies to every extended negotiation item with the requestor's own information. */
export function echoExtendedNegotiation(request: SopClassExtendedNegotiation): Uint8Array {
  return request.applicationInformation;
}

/** Checks a policy once, at start-up; throws NegotiationError naming the option. */
export function validateAcceptorPolicy(policy: AcceptorPolicy): void {
  checkAeTitle(policy.aeTitle, 'aeTitle');
  policy.callingAeTitles?.forEach((title, i) => checkAeTitle(title, `callingAeTitles[${i}]`));
  checkMaxPduLength(policy.maxPduLength ?? DEFAULT_MAX_PDU_LENGTH, 'maxPduLength');
  if (policy.transferSyntaxes.length === 0) {
    throw new NegotiationError('NO_TRANSFER_SYNTAX', 'transferSyntaxes', 'is empty');
  }
  policy.transferSyntaxes.forEach((ts, i) => checkUid(ts, `transferSyntaxes[${i}]`));
  policy.abstractSyntaxes.forEach((entry, i) => {
    const path = `abstractSyntaxes[${i}]`;
    if (typeof entry === 'string') return checkUid(entry, path);
    checkUid(entry.abstractSyntax, `${path}.abstractSyntax`);
    entry.transferSyntaxes?.forEach((ts, j) => checkUid(ts, `${path}.transferSyntaxes[${j}]`));
  });
  checkUid(policy.implementationClassUid ?? IMPLEMENTATION_CLASS_UID, 'implementationClassUid');
  checkVersionName(
    policy.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME,
    'implementationVersionName',
  );
}

/**
 * Answers `rq` under `policy`. `identity` is the authenticator's verdict on the requestor's user
 * identity item (see `userIdentityCredentials`); without it a presented identity is ignored, as
 * PS3.7 D.3.3.7 allows.
 *
 * Rejects the association (A-ASSOCIATE-RJ) for an unknown application context or AE title or a
 * refused identity; otherwise accepts it and answers each presentation context: accepted with one
 * transfer syntax, or rejected with the reason (an A-ASSOCIATE-AC may reject every context).
 */
export function acceptContexts(
  rq: AAssociateRq,
  policy: AcceptorPolicy,
  identity?: UserIdentityDecision,
): AcceptorDecision {
  const rejection = associationRejection(rq, policy, identity);
  if (rejection !== undefined) {
    return { kind: 'reject', rj: associateRj(rejection), rejection };
  }

  const syntaxes = new Map<string, AbstractSyntaxPolicy>();
  for (const entry of policy.abstractSyntaxes) {
    const item = typeof entry === 'string' ? { abstractSyntax: entry } : entry;
    syntaxes.set(item.abstractSyntax, item);
  }
  const proposedRoles = new Map<string, RoleSelection>();
  for (const role of rq.userInformation.roleSelections ?? []) {
    proposedRoles.set(role.sopClassUid, role);
  }

  const seen = new Set<number>();
  const contexts: PresentationContextAc[] = [];
  const acceptedSopClasses = new Set<string>();
  const roleReplies = new Map<string, RoleSelection>();
  for (const context of rq.presentationContexts) {
    if (seen.has(context.id)) continue; // answer each ID once
    seen.add(context.id);
    const reply = (result: PresentationContextResult, transferSyntax: string): void => {
      contexts.push({ id: context.id, result, transferSyntax });
    };
    const fallbackTs = context.transferSyntaxes[0] ?? '';
    // PS3.8 9.3.2.2: odd integers 1-255.
    if (context.id % 2 === 0 || context.abstractSyntax === '') {
      reply('no-reason', fallbackTs);
      continue;
    }
    const known = syntaxes.get(context.abstractSyntax);
    if (known === undefined && policy.acceptUnknownAbstractSyntaxes !== true) {
      reply('abstract-syntax-not-supported', fallbackTs);
      continue;
    }
    const transferSyntax = chooseTransferSyntax(
      context.transferSyntaxes,
      known?.transferSyntaxes ?? policy.transferSyntaxes,
      policy.transferSyntaxPreference ?? 'acceptor',
    );
    if (transferSyntax === undefined) {
      reply('transfer-syntaxes-not-supported', fallbackTs);
      continue;
    }
    // PS3.7 D.3.3.4: the acceptor accepts a proposed role only if it supports it; a context left
    // with no role for the requestor cannot be used, so it is rejected.
    const proposed = proposedRoles.get(context.abstractSyntax);
    if (proposed !== undefined) {
      const allowed = known?.requestorRoles ?? { scu: true, scp: false };
      const role = {
        sopClassUid: proposed.sopClassUid,
        scu: proposed.scu && allowed.scu,
        scp: proposed.scp && allowed.scp,
      };
      if (!role.scu && !role.scp) {
        reply('user-rejection', fallbackTs);
        continue;
      }
      roleReplies.set(role.sopClassUid, role);
    }
    reply('acceptance', transferSyntax);
    acceptedSopClasses.add(context.abstractSyntax);
  }

  const extendedNegotiations: SopClassExtendedNegotiation[] = [];
  for (const item of rq.userInformation.extendedNegotiations ?? []) {
    if (!acceptedSopClasses.has(item.sopClassUid)) continue;
    const info = policy.extendedNegotiation?.(item);
    if (info !== undefined) {
      extendedNegotiations.push({ sopClassUid: item.sopClassUid, applicationInformation: info });
    }
  }

  const userInformation: UserInformation = {
    maxLength: policy.maxPduLength ?? DEFAULT_MAX_PDU_LENGTH,
    implementationClassUid: policy.implementationClassUid ?? IMPLEMENTATION_CLASS_UID,
    ...asyncReply(rq, policy),
    ...(roleReplies.size > 0 ? { roleSelections: [...roleReplies.values()] } : {}),
    implementationVersionName: policy.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME,
    ...(extendedNegotiations.length > 0 ? { extendedNegotiations } : {}),
    ...identityReply(rq, identity),
  };
  const ac: AAssociateAc = {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: PROTOCOL_VERSION,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContext: APPLICATION_CONTEXT_NAME,
    presentationContexts: contexts,
    userInformation,
  };
  return { kind: 'accept', ac, negotiated: negotiated(rq, ac, 'acceptor') };
}

function associationRejection(
  rq: AAssociateRq,
  policy: AcceptorPolicy,
  identity: UserIdentityDecision | undefined,
): Rejection | undefined {
  // The protocol machine refuses other protocol versions before the user sees the RQ (AE-6);
  // checked again here so that the function answers any RQ on its own.
  if ((rq.protocolVersion & 1) !== 1) return 'protocol-version-not-supported';
  if (rq.applicationContext !== APPLICATION_CONTEXT_NAME) {
    return 'application-context-name-not-supported';
  }
  if (policy.acceptAnyCalledAeTitle !== true && rq.calledAeTitle !== policy.aeTitle.trim()) {
    return 'called-ae-title-not-recognized';
  }
  if (
    policy.callingAeTitles !== undefined &&
    !policy.callingAeTitles.some((title) => title.trim() === rq.callingAeTitle)
  ) {
    return 'calling-ae-title-not-recognized';
  }
  const presented = rq.userInformation.userIdentity !== undefined;
  if (policy.requireUserIdentity === true && !presented) return 'user-identity-not-accepted';
  if (presented && identity?.accepted === false) return 'user-identity-not-accepted';
  if (policy.requireUserIdentity === true && identity?.accepted !== true) {
    return 'user-identity-not-accepted';
  }
  return undefined;
}

/** The first transfer syntax both sides have, in the chosen side's order. */
function chooseTransferSyntax(
  proposed: readonly string[],
  ours: readonly string[],
  preference: 'acceptor' | 'requestor',
): string | undefined {
  return preference === 'acceptor'
    ? ours.find((ts) => proposed.includes(ts))
    : proposed.find((ts) => ours.includes(ts));
}

/**
 * PS3.7 D.3.3.3: each side states the operations it invokes and performs (0 = unlimited). The
 * acceptor answers only a proposed window, and never with more than the requestor can take.
 */
function asyncReply(
  rq: AAssociateRq,
  policy: AcceptorPolicy,
): { asyncOperationsWindow?: AsyncOperationsWindow } {
  const proposed = rq.userInformation.asyncOperationsWindow;
  if (proposed === undefined) return {};
  const ours = policy.asyncOperationsWindow ?? NO_ASYNC_OPERATIONS;
  return {
    asyncOperationsWindow: {
      maxOperationsInvoked: smallerWindow(
        ours.maxOperationsInvoked,
        proposed.maxOperationsPerformed,
      ),
      maxOperationsPerformed: smallerWindow(
        ours.maxOperationsPerformed,
        proposed.maxOperationsInvoked,
      ),
    },
  };
}

/** PS3.7 D.3.3.7.2: a user identity AC item only when asked for and the identity was accepted. */
function identityReply(
  rq: AAssociateRq,
  identity: UserIdentityDecision | undefined,
): Pick<UserInformation, 'userIdentityResponse'> {
  const requested = rq.userInformation.userIdentity?.positiveResponseRequested === true;
  if (!requested || identity?.accepted !== true) return {};
  return { userIdentityResponse: { serverResponse: identity.serverResponse ?? new Uint8Array(0) } };
}
