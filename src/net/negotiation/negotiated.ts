/**
 * What an association agreed on, from the A-ASSOCIATE-RQ and the A-ASSOCIATE-AC that answered it.
 * Both sides compute it the same way; `side` only says which limits are ours.
 */
import type {
  AAssociateAc,
  AAssociateRq,
  PresentationContextResult,
  RoleSelection,
} from '../pdu/index.js';

export interface Roles {
  readonly scu: boolean;
  readonly scp: boolean;
}

export interface NegotiatedContext {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntax: string;
  /** PS3.7 D.3.3.4; without role selection the requestor is SCU and the acceptor SCP. */
  readonly requestorRoles: Roles;
  readonly acceptorRoles: Roles;
}

export interface RejectedContext {
  readonly id: number;
  readonly abstractSyntax: string;
  /** The AC's result, or 'no-reason' for a proposed context the AC did not answer. */
  readonly result: Exclude<PresentationContextResult, 'acceptance'> | number;
}

export interface NegotiatedAssociation {
  readonly side: 'requestor' | 'acceptor';
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  /** Accepted presentation contexts by ID. */
  readonly contexts: ReadonlyMap<number, NegotiatedContext>;
  readonly rejectedContexts: readonly RejectedContext[];
  /**
   * The largest P-DATA-TF variable field we may send: the peer's Maximum Length (PS3.8 D.1).
   * 0 means the peer set no limit.
   */
  readonly maxSendPduLength: number;
  /** The largest we receive: our own Maximum Length. 0 means no limit. */
  readonly maxReceivePduLength: number;
  /**
   * Outstanding operations each side may invoke (PS3.7 D.3.3.3; 0 = unlimited); 1 and 1 unless
   * both sides sent a window.
   */
  readonly maxOperationsInvokedByRequestor: number;
  readonly maxOperationsInvokedByAcceptor: number;
  /** SOP class UID -> the acceptor's service-class application information (PS3.7 D.3.3.5). */
  readonly extendedNegotiations: ReadonlyMap<string, Uint8Array>;
  /** The acceptor's user identity response, when it sent one (PS3.7 D.3.3.7.2). */
  readonly userIdentityResponse: Uint8Array | undefined;
  readonly requestorImplementation: Implementation;
  readonly acceptorImplementation: Implementation;
}

export interface Implementation {
  readonly classUid: string | undefined;
  readonly versionName: string | undefined;
}

const DEFAULT_ROLES: { requestor: Roles; acceptor: Roles } = {
  requestor: { scu: true, scp: false },
  acceptor: { scu: false, scp: true },
};

/** Combines a request and its answer; `side` is the side we are on. */
export function negotiated(
  rq: AAssociateRq,
  ac: AAssociateAc,
  side: 'requestor' | 'acceptor',
): NegotiatedAssociation {
  const proposedRoles = bySopClass(rq.userInformation.roleSelections);
  const acceptedRoles = bySopClass(ac.userInformation.roleSelections);
  const answers = new Map(ac.presentationContexts.map((context) => [context.id, context]));

  const contexts = new Map<number, NegotiatedContext>();
  const rejectedContexts: RejectedContext[] = [];
  for (const proposed of rq.presentationContexts) {
    if (contexts.has(proposed.id)) continue;
    const answer = answers.get(proposed.id);
    const result = answer?.result ?? 'no-reason';
    if (answer === undefined || result !== 'acceptance') {
      rejectedContexts.push({
        id: proposed.id,
        abstractSyntax: proposed.abstractSyntax,
        result: result === 'acceptance' ? 'no-reason' : result,
      });
      continue;
    }
    contexts.set(proposed.id, {
      id: proposed.id,
      abstractSyntax: proposed.abstractSyntax,
      transferSyntax: answer.transferSyntax,
      ...roles(
        proposedRoles.get(proposed.abstractSyntax),
        acceptedRoles.get(proposed.abstractSyntax),
      ),
    });
  }

  const rqMax = rq.userInformation.maxLength ?? 0;
  const acMax = ac.userInformation.maxLength ?? 0;
  const rqWindow = rq.userInformation.asyncOperationsWindow;
  const acWindow = ac.userInformation.asyncOperationsWindow;
  const windows = rqWindow !== undefined && acWindow !== undefined;
  return {
    side,
    callingAeTitle: rq.callingAeTitle,
    calledAeTitle: rq.calledAeTitle,
    contexts,
    rejectedContexts,
    // PS3.8 D.1: each side's Maximum Length limits what the *other* side sends to it.
    maxSendPduLength: side === 'requestor' ? acMax : rqMax,
    maxReceivePduLength: side === 'requestor' ? rqMax : acMax,
    // PS3.7 D.3.3.3: what one side invokes, the other performs; 0 is unlimited.
    maxOperationsInvokedByRequestor: windows
      ? smallerWindow(rqWindow.maxOperationsInvoked, acWindow.maxOperationsPerformed)
      : 1,
    maxOperationsInvokedByAcceptor: windows
      ? smallerWindow(acWindow.maxOperationsInvoked, rqWindow.maxOperationsPerformed)
      : 1,
    extendedNegotiations: new Map(
      (ac.userInformation.extendedNegotiations ?? []).map((item) => [
        item.sopClassUid,
        item.applicationInformation,
      ]),
    ),
    userIdentityResponse: ac.userInformation.userIdentityResponse?.serverResponse,
    requestorImplementation: implementation(rq),
    acceptorImplementation: implementation(ac),
  };
}

/**
 * PS3.7 D.3.3.4: roles apply only where the requestor proposed them and the acceptor answered;
 * an acceptor cannot grant a role that was not proposed. Without an answer, the default roles.
 */
function roles(
  proposed: RoleSelection | undefined,
  answered: RoleSelection | undefined,
): { requestorRoles: Roles; acceptorRoles: Roles } {
  if (proposed === undefined || answered === undefined) {
    return { requestorRoles: DEFAULT_ROLES.requestor, acceptorRoles: DEFAULT_ROLES.acceptor };
  }
  const requestor = { scu: proposed.scu && answered.scu, scp: proposed.scp && answered.scp };
  return {
    requestorRoles: requestor,
    // The acceptor takes the other role of each pair: it is SCP where the requestor is SCU.
    acceptorRoles: { scu: requestor.scp, scp: requestor.scu },
  };
}

function bySopClass(items: readonly RoleSelection[] | undefined): Map<string, RoleSelection> {
  return new Map((items ?? []).map((item) => [item.sopClassUid, item]));
}

/** The smaller of two operation windows, where 0 means unlimited. */
export function smallerWindow(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}

function implementation(pdu: AAssociateRq | AAssociateAc): Implementation {
  return {
    classUid: pdu.userInformation.implementationClassUid,
    versionName: pdu.userInformation.implementationVersionName,
  };
}
