// Association negotiation: requests we build, answers we give to DCMTK's golden requests, and
// what both sides agreed on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  acceptContexts,
  APPLICATION_CONTEXT_NAME,
  associateRj,
  buildAssociateRq,
  echoExtendedNegotiation,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  negotiated,
  NegotiationError,
  proposeContexts,
  REJECTIONS,
  standardTransferSyntaxes,
  uidProblem,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
  userIdentityCredentials,
  usernameIdentity,
  validateAcceptorPolicy,
  type AcceptorDecision,
  type AcceptorPolicy,
  type NegotiationErrorCode,
} from '../../src/net/negotiation/index.js';
import {
  decodePdu,
  encodePduBytes,
  type AAssociateAc,
  type AAssociateRq,
  type Pdu,
} from '../../src/net/pdu/index.js';
import { golden, hex, type GoldenName } from './golden.js';

const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';
const HTJ2K_LOSSLESS = '1.2.840.10008.1.2.4.201';

function rqOf(name: GoldenName): AAssociateRq {
  const pdu = decodePdu(golden(name));
  assert.equal(pdu.type, 'A-ASSOCIATE-RQ');
  return pdu;
}

function accepted(decision: AcceptorDecision): Extract<AcceptorDecision, { kind: 'accept' }> {
  assert.equal(decision.kind, 'accept', decision.kind === 'reject' ? decision.rejection : '');
  return decision;
}

function results(ac: AAssociateAc): string[] {
  return ac.presentationContexts.map(
    (c) => `${c.id} ${String(c.result)}${c.result === 'acceptance' ? ` ${c.transferSyntax}` : ''}`,
  );
}

function throwsNegotiation(fn: () => unknown, code: NegotiationErrorCode, path: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof NegotiationError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.path, path);
    return true;
  });
}

const SCP: AcceptorPolicy = {
  aeTitle: 'NIFFLER_SCP',
  transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE],
  abstractSyntaxes: [VERIFICATION, CT, MR],
};

describe('proposing (requestor)', () => {
  it('numbers contexts 1, 3, 5 ... and refuses a 129th', () => {
    const contexts = Array.from({ length: 128 }, () => ({
      abstractSyntax: CT,
      transferSyntaxes: [EXPLICIT_LE],
    }));
    const proposed = proposeContexts(contexts);
    assert.deepEqual(
      proposed.map((c) => c.id),
      Array.from({ length: 128 }, (_, i) => 2 * i + 1),
    );
    assert.equal(proposed.at(-1)?.id, 255);
    throwsNegotiation(
      () =>
        proposeContexts([...contexts, contexts[0] ?? { abstractSyntax: CT, transferSyntaxes: [] }]),
      'TOO_MANY_CONTEXTS',
      'contexts',
    );
    throwsNegotiation(
      () => proposeContexts([{ abstractSyntax: CT, transferSyntaxes: [] }]),
      'NO_TRANSFER_SYNTAX',
      'contexts[0].transferSyntaxes',
    );
    throwsNegotiation(
      () => proposeContexts([{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE, '1.02.3'] }]),
      'INVALID_UID',
      'contexts[0].transferSyntaxes[1]',
    );
  });

  it('builds a request with our identity, roles, window and user identity; it round-trips', () => {
    const rq = buildAssociateRq({
      callingAeTitle: 'NIFFLER',
      calledAeTitle: 'PACS',
      contexts: [
        { abstractSyntax: STUDY_ROOT_GET, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
        { abstractSyntax: CT, transferSyntaxes: [HTJ2K_LOSSLESS, JPEG_LOSSLESS_SV1] },
        { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] },
      ],
      roles: [
        { sopClassUid: CT, scu: false, scp: true },
        { sopClassUid: CT, scu: false, scp: true },
      ],
      maxPduLength: 32768,
      asyncOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 1 },
      userIdentity: usernameIdentity('anne', 'pässword', true),
    });
    assert.equal(rq.applicationContext, APPLICATION_CONTEXT_NAME);
    assert.equal(rq.userInformation.maxLength, 32768);
    assert.equal(rq.userInformation.implementationClassUid, IMPLEMENTATION_CLASS_UID);
    assert.equal(rq.userInformation.implementationVersionName, IMPLEMENTATION_VERSION_NAME);
    assert.deepEqual(rq.userInformation.roleSelections, [
      { sopClassUid: CT, scu: false, scp: true },
    ]);
    assert.deepEqual(decodePdu(encodePduBytes(rq)), rq);
    assert.deepEqual(userIdentityCredentials(rq), {
      type: 'username-and-passcode',
      username: 'anne',
      passcode: 'pässword',
    });
  });

  it('names the option that is wrong', () => {
    const base = {
      callingAeTitle: 'A',
      calledAeTitle: 'B',
      contexts: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }],
    };
    throwsNegotiation(
      () => buildAssociateRq({ ...base, callingAeTitle: 'BAD\\AE' }),
      'INVALID_AE_TITLE',
      'callingAeTitle',
    );
    throwsNegotiation(
      () => buildAssociateRq({ ...base, calledAeTitle: '   ' }),
      'INVALID_AE_TITLE',
      'calledAeTitle',
    );
    throwsNegotiation(
      () => buildAssociateRq({ ...base, maxPduLength: 0 }),
      'INVALID_MAX_PDU_LENGTH',
      'maxPduLength',
    );
    throwsNegotiation(
      () => buildAssociateRq({ ...base, implementationVersionName: 'A_NAME_OF_17_CHRS' }),
      'INVALID_VERSION_NAME',
      'implementationVersionName',
    );
    throwsNegotiation(
      () => buildAssociateRq({ ...base, roles: [{ sopClassUid: 'CT', scu: true, scp: true }] }),
      'INVALID_UID',
      'roles[0].sopClassUid',
    );
  });

  it('validates UIDs as PS3.5 9.1 does', () => {
    assert.equal(uidProblem('1.2.840.10008.1.2.4.201'), undefined);
    assert.equal(uidProblem('2.25.0'), undefined);
    assert.match(uidProblem('1.2.03') ?? '', /leading zeros/);
    assert.match(uidProblem('1..2') ?? '', /component ""/);
    assert.match(uidProblem(`1.${'2'.repeat(70)}`) ?? '', /at most 64/);
  });

  it('lists every non-retired standard transfer syntax, compressed ones included', () => {
    const all = standardTransferSyntaxes();
    for (const uid of [
      IMPLICIT_LE,
      EXPLICIT_LE,
      JPEG_LOSSLESS_SV1,
      HTJ2K_LOSSLESS,
      '1.2.840.10008.1.2.5',
      '1.2.840.10008.1.2.4.110',
    ]) {
      assert.ok(all.includes(uid), uid);
    }
    assert.ok(!all.includes('1.2.840.10008.1.2.2'), 'Explicit VR Big Endian is retired');
  });
});

describe('accepting (acceptor)', () => {
  it("answers echoscu's request and agrees with the A-ASSOCIATE-AC storescp sent", () => {
    const rq = rqOf('echoscu-a-associate-rq');
    const { ac } = accepted(acceptContexts(rq, { ...SCP, maxPduLength: 16384 }));
    const dcmtk = decodePdu(golden('storescp-a-associate-ac'));
    assert.equal(dcmtk.type, 'A-ASSOCIATE-AC');
    assert.deepEqual(ac.presentationContexts, dcmtk.presentationContexts);
    assert.equal(ac.calledAeTitle, dcmtk.calledAeTitle);
    assert.equal(ac.callingAeTitle, dcmtk.callingAeTitle);
    assert.equal(ac.userInformation.maxLength, dcmtk.userInformation.maxLength);
  });

  it('picks the transfer syntax by our preference, or by the requestor’s', () => {
    const rq = rqOf('storescu-user-identity-a-associate-rq');
    // Context 1 offers only JPEG lossless; context 3 offers explicit LE, explicit BE, implicit LE.
    const ours = accepted(
      acceptContexts(rq, { ...SCP, transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE] }),
    );
    assert.deepEqual(results(ours.ac), [
      '1 transfer-syntaxes-not-supported',
      `3 acceptance ${IMPLICIT_LE}`,
    ]);

    const everything: AcceptorPolicy = {
      ...SCP,
      transferSyntaxes: standardTransferSyntaxes(),
      transferSyntaxPreference: 'requestor',
    };
    const theirs = accepted(acceptContexts(rq, everything));
    assert.deepEqual(results(theirs.ac), [
      `1 acceptance ${JPEG_LOSSLESS_SV1}`,
      `3 acceptance ${EXPLICIT_LE}`,
    ]);
  });

  it('narrows transfer syntaxes per abstract syntax', () => {
    const rq = rqOf('storescu-user-identity-a-associate-rq');
    const policy: AcceptorPolicy = {
      ...SCP,
      transferSyntaxes: [JPEG_LOSSLESS_SV1, EXPLICIT_LE],
      abstractSyntaxes: [{ abstractSyntax: CT, transferSyntaxes: [IMPLICIT_LE] }],
    };
    assert.deepEqual(results(accepted(acceptContexts(rq, policy)).ac), [
      '1 transfer-syntaxes-not-supported',
      `3 acceptance ${IMPLICIT_LE}`,
    ]);
  });

  it('rejects unknown SOP classes unless told to accept them', () => {
    const rq = rqOf('findscu-a-associate-rq');
    assert.deepEqual(results(accepted(acceptContexts(rq, SCP)).ac), [
      '1 abstract-syntax-not-supported',
    ]);
    const promiscuous = accepted(
      acceptContexts(rq, { ...SCP, acceptUnknownAbstractSyntaxes: true }),
    );
    assert.deepEqual(results(promiscuous.ac), [`1 acceptance ${EXPLICIT_LE}`]);
    assert.equal(promiscuous.negotiated.contexts.get(1)?.abstractSyntax, STUDY_ROOT_FIND);
  });

  it('rejects contexts with an even ID and answers a repeated ID once', () => {
    const rq: AAssociateRq = {
      ...rqOf('echoscu-a-associate-rq'),
      presentationContexts: [
        { id: 2, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
        { id: 3, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
        { id: 3, abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] },
      ],
    };
    assert.deepEqual(results(accepted(acceptContexts(rq, SCP)).ac), [
      '2 no-reason',
      `3 acceptance ${IMPLICIT_LE}`,
    ]);
  });

  it('rejects the association for AE titles and application context, with PS3.8 codes', () => {
    const rq = rqOf('echoscu-a-associate-rq');
    const reject = (policy: AcceptorPolicy, request = rq): string => {
      const decision = acceptContexts(request, policy);
      assert.equal(decision.kind, 'reject');
      return `${decision.rejection}: ${hex(encodePduBytes(decision.rj))}`;
    };
    assert.equal(
      reject({ ...SCP, aeTitle: 'OTHER' }),
      'called-ae-title-not-recognized: 03000000000400010107',
    );
    assert.equal(
      accepted(acceptContexts(rq, { ...SCP, aeTitle: 'OTHER', acceptAnyCalledAeTitle: true })).kind,
      'accept',
    );
    assert.equal(
      reject({ ...SCP, callingAeTitles: ['SOMEONE'] }),
      'calling-ae-title-not-recognized: 03000000000400010103',
    );
    assert.equal(
      accepted(acceptContexts(rq, { ...SCP, callingAeTitles: ['NIFFLER_SCU'] })).kind,
      'accept',
    );
    assert.equal(
      reject(SCP, { ...rq, applicationContext: '1.2.3' }),
      'application-context-name-not-supported: 03000000000400010102',
    );
    assert.equal(
      reject(SCP, { ...rq, protocolVersion: 2 }),
      'protocol-version-not-supported: 03000000000400010202',
    );
  });

  it('encodes every named rejection as PS3.8 Table 9-21 says', () => {
    const expected: Record<string, string> = {
      'no-reason-given': '010101',
      'application-context-name-not-supported': '010102',
      'calling-ae-title-not-recognized': '010103',
      'called-ae-title-not-recognized': '010107',
      'user-identity-not-accepted': '010101',
      'protocol-version-not-supported': '010202',
      'temporary-congestion': '020301',
      'local-limit-exceeded': '020302',
    };
    assert.deepEqual(Object.keys(REJECTIONS).sort(), Object.keys(expected).sort());
    for (const [name, tail] of Object.entries(expected)) {
      const rj = associateRj(name as keyof typeof REJECTIONS);
      assert.equal(hex(encodePduBytes(rj)), `03000000000400${tail}`, name);
    }
  });

  it('checks user identity through the injected decision', () => {
    const rq = rqOf('storescu-user-identity-a-associate-rq');
    assert.deepEqual(userIdentityCredentials(rq), {
      type: 'username-and-passcode',
      username: 'niffler',
      passcode: 'secret',
    });
    const refused = acceptContexts(rq, SCP, { accepted: false });
    assert.equal(refused.kind === 'reject' && refused.rejection, 'user-identity-not-accepted');
    // Accepted, but storescu did not ask for a response: no 0x59 item.
    const ok = accepted(
      acceptContexts(rq, SCP, { accepted: true, serverResponse: new Uint8Array([1]) }),
    );
    assert.equal(ok.ac.userInformation.userIdentityResponse, undefined);
    // Asked for a response: it is sent and reaches the requestor's view.
    const asking: AAssociateRq = {
      ...rq,
      userInformation: {
        ...rq.userInformation,
        userIdentity: usernameIdentity('niffler', 'secret', true),
      },
    };
    const answered = accepted(acceptContexts(asking, SCP, { accepted: true }));
    assert.deepEqual(answered.ac.userInformation.userIdentityResponse, {
      serverResponse: new Uint8Array(0),
    });
    assert.deepEqual(
      negotiated(asking, answered.ac, 'requestor').userIdentityResponse,
      new Uint8Array(0),
    );
    // Required but absent, or present but not checked.
    const echo = rqOf('echoscu-a-associate-rq');
    const required = { ...SCP, requireUserIdentity: true };
    assert.equal(acceptContexts(echo, required).kind, 'reject');
    assert.equal(acceptContexts(rq, required).kind, 'reject');
    assert.equal(acceptContexts(rq, required, { accepted: true }).kind, 'accept');
  });

  it('role selection for C-GET: grants the SCP role where the policy allows it', () => {
    const rq = rqOf('getscu-a-associate-rq');
    const policy: AcceptorPolicy = {
      ...SCP,
      abstractSyntaxes: [
        STUDY_ROOT_GET,
        { abstractSyntax: CT, requestorRoles: { scu: false, scp: true } },
        MR, // no roles allowed beyond the default SCU: getscu's SCP-only proposal is refused
      ],
    };
    const { ac, negotiated: agreed } = accepted(acceptContexts(rq, policy));
    const byClass = new Map(
      rq.presentationContexts.map((c) => [
        c.abstractSyntax,
        ac.presentationContexts.find((a) => a.id === c.id)?.result,
      ]),
    );
    assert.equal(byClass.get(STUDY_ROOT_GET), 'acceptance');
    assert.equal(byClass.get(CT), 'acceptance');
    assert.equal(byClass.get(MR), 'user-rejection');
    assert.deepEqual(ac.userInformation.roleSelections, [
      { sopClassUid: CT, scu: false, scp: true },
    ]);

    const ct = [...agreed.contexts.values()].find((c) => c.abstractSyntax === CT);
    assert.deepEqual(ct?.requestorRoles, { scu: false, scp: true });
    assert.deepEqual(ct.acceptorRoles, { scu: true, scp: false });
    const get = [...agreed.contexts.values()].find((c) => c.abstractSyntax === STUDY_ROOT_GET);
    assert.deepEqual(get?.requestorRoles, { scu: true, scp: false }, 'no role item: default roles');

    // The same request seen by getscu against storescp's real answer, which has no role items:
    // the requestor keeps the default SCU role, so storescp will not send C-STOREs back.
    const storescp = decodePdu(golden('storescp-getscu-a-associate-ac'));
    assert.equal(storescp.type, 'A-ASSOCIATE-AC');
    const dcmtk = negotiated(rq, storescp, 'requestor');
    const ctThere = [...dcmtk.contexts.values()].find((c) => c.abstractSyntax === CT);
    assert.deepEqual(ctThere?.requestorRoles, { scu: true, scp: false });
    assert.deepEqual(dcmtk.rejectedContexts, [
      { id: 1, abstractSyntax: STUDY_ROOT_GET, result: 'abstract-syntax-not-supported' },
    ]);
  });

  it('answers an asynchronous operations window: 1/1 unless configured', () => {
    const base = rqOf('echoscu-a-associate-rq');
    const rq: AAssociateRq = {
      ...base,
      userInformation: {
        ...base.userInformation,
        asyncOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 3 },
      },
    };
    const plain = accepted(acceptContexts(rq, SCP));
    assert.deepEqual(plain.ac.userInformation.asyncOperationsWindow, {
      maxOperationsInvoked: 1,
      maxOperationsPerformed: 1,
    });
    assert.equal(plain.negotiated.maxOperationsInvokedByRequestor, 1);
    assert.equal(plain.negotiated.maxOperationsInvokedByAcceptor, 1);

    const async = accepted(
      acceptContexts(rq, {
        ...SCP,
        asyncOperationsWindow: { maxOperationsInvoked: 10, maxOperationsPerformed: 0 },
      }),
    );
    // We invoke at most what they perform (3); we perform up to what they invoke (5, ours unlimited).
    assert.deepEqual(async.ac.userInformation.asyncOperationsWindow, {
      maxOperationsInvoked: 3,
      maxOperationsPerformed: 5,
    });
    assert.equal(async.negotiated.maxOperationsInvokedByRequestor, 5);
    assert.equal(async.negotiated.maxOperationsInvokedByAcceptor, 3);
    // No window proposed: none answered.
    assert.equal(
      accepted(acceptContexts(base, SCP)).ac.userInformation.asyncOperationsWindow,
      undefined,
    );
  });

  it('answers extended negotiation only when the policy does, only for accepted SOP classes', () => {
    const base = rqOf('echoscu-a-associate-rq');
    const rq: AAssociateRq = {
      ...base,
      userInformation: {
        ...base.userInformation,
        extendedNegotiations: [
          { sopClassUid: VERIFICATION, applicationInformation: new Uint8Array([1]) },
          { sopClassUid: STUDY_ROOT_FIND, applicationInformation: new Uint8Array([1, 1]) },
        ],
      },
    };
    assert.equal(
      accepted(acceptContexts(rq, SCP)).ac.userInformation.extendedNegotiations,
      undefined,
    );
    const echoed = accepted(
      acceptContexts(rq, { ...SCP, extendedNegotiation: echoExtendedNegotiation }),
    );
    assert.deepEqual(echoed.ac.userInformation.extendedNegotiations, [
      { sopClassUid: VERIFICATION, applicationInformation: new Uint8Array([1]) },
    ]);
    assert.deepEqual(echoed.negotiated.extendedNegotiations.get(VERIFICATION), new Uint8Array([1]));
  });

  it('validates a policy once, naming the option', () => {
    validateAcceptorPolicy(SCP);
    assert.throws(
      () => validateAcceptorPolicy({ ...SCP, aeTitle: 'WAY_TOO_LONG_AE_TITLE' }),
      (e: unknown) => e instanceof NegotiationError && e.path === 'aeTitle',
    );
    assert.throws(
      () =>
        validateAcceptorPolicy({
          ...SCP,
          abstractSyntaxes: [{ abstractSyntax: CT, transferSyntaxes: ['x'] }],
        }),
      (e: unknown) =>
        e instanceof NegotiationError && e.path === 'abstractSyntaxes[0].transferSyntaxes[0]',
    );
    assert.throws(
      () => validateAcceptorPolicy({ ...SCP, transferSyntaxes: [] }),
      (e: unknown) => e instanceof NegotiationError && e.code === 'NO_TRANSFER_SYNTAX',
    );
  });
});

describe('what was agreed', () => {
  it('maximum PDU: the peer’s limit bounds what we send, ours what we receive; 0 is unlimited', () => {
    const rq = buildAssociateRq({
      callingAeTitle: 'NIFFLER',
      calledAeTitle: 'NIFFLER_SCP',
      contexts: [
        { abstractSyntax: VERIFICATION, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES },
      ],
      maxPduLength: 16384,
    });
    const { ac } = accepted(acceptContexts(rq, { ...SCP, maxPduLength: 131072 }));
    const requestor = negotiated(rq, ac, 'requestor');
    assert.equal(requestor.maxSendPduLength, 131072);
    assert.equal(requestor.maxReceivePduLength, 16384);
    const acceptor = negotiated(rq, ac, 'acceptor');
    assert.equal(acceptor.maxSendPduLength, 16384);
    assert.equal(acceptor.maxReceivePduLength, 131072);

    const unlimited: AAssociateAc = {
      ...ac,
      userInformation: { ...ac.userInformation, maxLength: 0 },
    };
    assert.equal(negotiated(rq, unlimited, 'requestor').maxSendPduLength, 0);
  });

  it("echoscu's request with storescp's answer: context 1, implicit LE, DCMTK on both sides", () => {
    const rq = rqOf('echoscu-a-associate-rq');
    const ac = decodePdu(golden('storescp-a-associate-ac')) as Extract<
      Pdu,
      { type: 'A-ASSOCIATE-AC' }
    >;
    const agreed = negotiated(rq, ac, 'requestor');
    assert.deepEqual(
      [...agreed.contexts.values()],
      [
        {
          id: 1,
          abstractSyntax: VERIFICATION,
          transferSyntax: IMPLICIT_LE,
          requestorRoles: { scu: true, scp: false },
          acceptorRoles: { scu: false, scp: true },
        },
      ],
    );
    assert.deepEqual(agreed.acceptorImplementation, {
      classUid: '1.2.276.0.7230010.3.0.3.6.7',
      versionName: 'OFFIS_DCMTK_367',
    });
    assert.equal(agreed.callingAeTitle, 'NIFFLER_SCU');
    assert.equal(agreed.calledAeTitle, 'NIFFLER_SCP');
  });

  it('counts a context the answer left out as rejected', () => {
    const rq = rqOf('storescu-user-identity-a-associate-rq');
    const ac: AAssociateAc = {
      ...(decodePdu(golden('storescp-a-associate-ac')) as AAssociateAc),
      presentationContexts: [{ id: 3, result: 'acceptance', transferSyntax: EXPLICIT_LE }],
    };
    const agreed = negotiated(rq, ac, 'requestor');
    assert.deepEqual([...agreed.contexts.keys()], [3]);
    assert.deepEqual(agreed.rejectedContexts, [{ id: 1, abstractSyntax: CT, result: 'no-reason' }]);
  });
});
