// The Association state holder: whole exchanges on both sides, driven by golden DCMTK PDUs, with
// the ARTIM timer on a fake clock (no sleeps).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePdu, PduError, type Pdu } from '../../src/net/pdu/index.js';
import {
  Association,
  DEFAULT_ARTIM_TIMEOUT_MS,
  UlError,
  type AssociationOutput,
  type Transition,
} from '../../src/net/ul/index.js';
import { FakeClock } from './fake-clock.js';
import { golden, type GoldenName } from './golden.js';

function pdu<T extends Pdu['type']>(name: GoldenName, type: T): Extract<Pdu, { type: T }> {
  const decoded = decodePdu(golden(name));
  assert.equal(decoded.type, type);
  return decoded as Extract<Pdu, { type: T }>;
}

/** Outputs as short strings: `send A-ASSOCIATE-RQ`, `indicate P-DATA indication`, `close-transport`. */
function brief(outputs: readonly AssociationOutput[]): string[] {
  return outputs.map((output) => {
    switch (output.kind) {
      case 'send':
        return output.pdu.type === 'A-ABORT'
          ? `send A-ABORT ${output.pdu.source} ${output.pdu.reason}`
          : `send ${output.pdu.type}`;
      case 'indicate':
        return `indicate ${output.primitive}`;
      default:
        return output.kind;
    }
  });
}

function setup(): {
  clock: FakeClock;
  association: Association;
  timerOutputs: AssociationOutput[][];
  transitions: Transition[];
} {
  const clock = new FakeClock();
  const timerOutputs: AssociationOutput[][] = [];
  const transitions: Transition[] = [];
  const association = new Association({
    clock,
    onTimerOutputs: (outputs) => timerOutputs.push([...outputs]),
    onTransition: (transition) => transitions.push(transition),
  });
  return { clock, association, timerOutputs, transitions };
}

const RQ = pdu('echoscu-a-associate-rq', 'A-ASSOCIATE-RQ');
const AC = pdu('storescp-a-associate-ac', 'A-ASSOCIATE-AC');
const RJ = pdu('storescp-refuse-a-associate-rj', 'A-ASSOCIATE-RJ');
const ECHO_RQ = pdu('echoscu-p-data-tf-c-echo-rq', 'P-DATA-TF');
const ECHO_RSP = pdu('storescp-p-data-tf-c-echo-rsp', 'P-DATA-TF');
const RELEASE_RQ = pdu('echoscu-a-release-rq', 'A-RELEASE-RQ');
const RELEASE_RP = pdu('storescp-a-release-rp', 'A-RELEASE-RP');
const USER_ABORT = pdu('echoscu-a-abort', 'A-ABORT');

describe('Association as requestor (echoscu against storescp)', () => {
  it('associates, exchanges data and releases', () => {
    const { association, transitions } = setup();
    assert.deepEqual(brief(association.requestAssociation(RQ)), ['connect-transport']);
    const sent = association.transportConnectConfirmation();
    assert.deepEqual(sent, [{ kind: 'send', pdu: RQ }]);
    assert.equal(association.state, 'Sta5');

    const confirmed = association.pduReceived(AC);
    assert.deepEqual(confirmed, [
      { kind: 'indicate', primitive: 'A-ASSOCIATE confirmation (accept)', pdu: AC },
    ]);
    assert.deepEqual(association.sendData(ECHO_RQ), [{ kind: 'send', pdu: ECHO_RQ }]);
    assert.deepEqual(brief(association.pduReceived(ECHO_RSP)), ['indicate P-DATA indication']);
    assert.deepEqual(brief(association.requestRelease()), ['send A-RELEASE-RQ']);
    assert.deepEqual(brief(association.pduReceived(RELEASE_RP)), [
      'indicate A-RELEASE confirmation',
      'close-transport',
    ]);
    assert.equal(association.state, 'Sta1');
    assert.deepEqual(
      transitions.map((t) => `${t.state}+${t.event}:${t.rule ?? '-'}->${t.next}`),
      [
        'Sta1+Evt1:AE-1->Sta4',
        'Sta4+Evt2:AE-2->Sta5',
        'Sta5+Evt3:AE-3->Sta6',
        'Sta6+Evt9:DT-1->Sta6',
        'Sta6+Evt10:DT-2->Sta6',
        'Sta6+Evt11:AR-1->Sta7',
        'Sta7+Evt13:AR-3->Sta1',
      ],
    );
    // The socket's own 'close' after we closed it: an empty cell, nothing to do.
    assert.deepEqual(association.transportClosed(), []);
  });

  it('is rejected: confirmation (reject) and close', () => {
    const { association } = setup();
    association.requestAssociation(RQ);
    association.transportConnectConfirmation();
    assert.deepEqual(association.pduReceived(RJ), [
      { kind: 'indicate', primitive: 'A-ASSOCIATE confirmation (reject)', pdu: RJ },
      { kind: 'close-transport' },
    ]);
    assert.equal(association.state, 'Sta1');
  });

  it('aborts: A-ABORT from the service user, ARTIM until the peer closes', () => {
    const { association, clock } = setup();
    association.requestAssociation(RQ);
    association.transportConnectConfirmation();
    association.pduReceived(AC);
    assert.deepEqual(brief(association.abort()), [
      'send A-ABORT service-user reason-not-specified',
    ]);
    assert.equal(association.state, 'Sta13');
    assert.equal(clock.pending, 1);
    assert.deepEqual(association.transportClosed(), []);
    assert.equal(association.state, 'Sta1');
    assert.equal(clock.pending, 0, 'AR-5 stopped ARTIM');
  });

  it('answers an A-ASSOCIATE-RQ in Sta6 with an A-ABORT and an A-P-ABORT indication (AA-8)', () => {
    const { association } = setup();
    association.requestAssociation(RQ);
    association.transportConnectConfirmation();
    association.pduReceived(AC);
    assert.deepEqual(brief(association.pduReceived(RQ)), [
      'send A-ABORT service-provider unexpected-pdu',
      'indicate A-P-ABORT indication',
    ]);
    assert.equal(association.artimRunning, true);
  });

  it('passes on a service-user A-ABORT as A-ABORT indication (AA-3)', () => {
    const { association } = setup();
    association.requestAssociation(RQ);
    association.transportConnectConfirmation();
    association.pduReceived(AC);
    assert.deepEqual(association.pduReceived(USER_ABORT), [
      { kind: 'indicate', primitive: 'A-ABORT indication', pdu: USER_ABORT },
      { kind: 'close-transport' },
    ]);
  });
});

describe('Association as acceptor (storescp answering echoscu)', () => {
  it('accepts, indicates data, answers a release', () => {
    const { association, clock } = setup();
    assert.deepEqual(brief(association.transportConnectIndication()), ['accept-transport']);
    assert.equal(association.artimRunning, true, 'AE-5 starts ARTIM');
    assert.deepEqual(association.pduReceived(RQ), [
      { kind: 'indicate', primitive: 'A-ASSOCIATE indication', pdu: RQ },
    ]);
    assert.equal(association.artimRunning, false, 'AE-6 stops ARTIM');
    assert.deepEqual(association.acceptAssociation(AC), [{ kind: 'send', pdu: AC }]);
    assert.deepEqual(brief(association.pduReceived(ECHO_RQ)), ['indicate P-DATA indication']);
    assert.deepEqual(association.sendData(ECHO_RSP), [{ kind: 'send', pdu: ECHO_RSP }]);
    assert.deepEqual(brief(association.pduReceived(RELEASE_RQ)), ['indicate A-RELEASE indication']);
    assert.deepEqual(brief(association.respondRelease()), ['send A-RELEASE-RP']);
    assert.equal(association.state, 'Sta13');
    assert.equal(clock.pending, 1, 'AR-4 starts ARTIM');
    association.transportClosed();
    assert.equal(association.state, 'Sta1');
    assert.equal(clock.pending, 0);
  });

  it('closes a connection that sends no A-ASSOCIATE-RQ when ARTIM expires', () => {
    const { association, clock, timerOutputs } = setup();
    association.transportConnectIndication();
    clock.advance(DEFAULT_ARTIM_TIMEOUT_MS - 1);
    assert.deepEqual(timerOutputs, []);
    clock.advance(1);
    assert.deepEqual(timerOutputs, [[{ kind: 'close-transport' }]]);
    assert.equal(association.state, 'Sta1');
  });

  it('closes after ARTIM when the peer does not close after our A-ASSOCIATE-RJ', () => {
    const { association, clock, timerOutputs } = setup();
    association.transportConnectIndication();
    association.pduReceived(RQ);
    assert.deepEqual(association.rejectAssociation(RJ), [{ kind: 'send', pdu: RJ }]);
    assert.equal(association.state, 'Sta13');
    clock.advance(DEFAULT_ARTIM_TIMEOUT_MS);
    assert.deepEqual(timerOutputs, [[{ kind: 'close-transport' }]]);
    assert.equal(association.state, 'Sta1');
  });

  it('refuses a protocol version it does not speak itself (AE-6)', () => {
    const { association } = setup();
    association.transportConnectIndication();
    const outputs = association.pduReceived({ ...RQ, protocolVersion: 2 });
    assert.deepEqual(outputs, [
      {
        kind: 'send',
        pdu: {
          type: 'A-ASSOCIATE-RJ',
          result: 'rejected-permanent',
          source: 'service-provider-acse',
          reason: 'protocol-version-not-supported',
        },
      },
    ]);
    assert.equal(association.state, 'Sta13');
    assert.equal(association.artimRunning, true);
  });

  it('aborts on an invalid PDU with the reason from the decoder (Evt19)', () => {
    const { association } = setup();
    association.transportConnectIndication();
    association.pduReceived(RQ);
    association.acceptAssociation(AC);
    const error = new PduError('MALFORMED_PDU', 'an item runs past its PDU');
    assert.deepEqual(brief(association.invalidPduReceived(error)), [
      'send A-ABORT service-provider invalid-pdu-parameter-value',
      'indicate A-P-ABORT indication',
    ]);
    // Whatever the peer still sends is ignored until the transport closes (AA-6).
    assert.deepEqual(association.pduReceived(ECHO_RQ), []);
    assert.equal(association.state, 'Sta13');
  });

  it('a peer that closes mid-association gives an A-P-ABORT indication (AA-4)', () => {
    const { association } = setup();
    association.transportConnectIndication();
    association.pduReceived(RQ);
    assert.deepEqual(brief(association.transportClosed()), ['indicate A-P-ABORT indication']);
    assert.equal(association.state, 'Sta1');
  });
});

describe('release collision (PS3.8 9.2.3)', () => {
  function established(requestor: boolean): Association {
    const { association } = setup();
    if (requestor) {
      association.requestAssociation(RQ);
      association.transportConnectConfirmation();
      association.pduReceived(AC);
    } else {
      association.transportConnectIndication();
      association.pduReceived(RQ);
      association.acceptAssociation(AC);
    }
    association.requestRelease();
    return association;
  }

  it('requestor side: Sta7 -> Sta9 -> Sta11 -> Sta1', () => {
    const association = established(true);
    assert.deepEqual(brief(association.pduReceived(RELEASE_RQ)), [
      'indicate A-RELEASE indication (release collision)',
    ]);
    assert.equal(association.state, 'Sta9');
    assert.deepEqual(brief(association.respondRelease()), ['send A-RELEASE-RP']);
    assert.equal(association.state, 'Sta11');
    assert.deepEqual(brief(association.pduReceived(RELEASE_RP)), [
      'indicate A-RELEASE confirmation',
      'close-transport',
    ]);
    assert.equal(association.state, 'Sta1');
  });

  it('acceptor side: Sta7 -> Sta10 -> Sta12 -> Sta13', () => {
    const association = established(false);
    association.pduReceived(RELEASE_RQ);
    assert.equal(association.state, 'Sta10');
    assert.deepEqual(brief(association.pduReceived(RELEASE_RP)), [
      'indicate A-RELEASE confirmation',
    ]);
    assert.equal(association.state, 'Sta12');
    assert.deepEqual(brief(association.respondRelease()), ['send A-RELEASE-RP']);
    assert.equal(association.state, 'Sta13');
  });
});

describe('local requests out of turn', () => {
  it('throw UlError INVALID_PRIMITIVE and leave the state alone', () => {
    const { association } = setup();
    for (const request of [
      () => association.sendData(ECHO_RQ),
      () => association.acceptAssociation(AC),
      () => association.requestRelease(),
      () => association.respondRelease(),
    ]) {
      assert.throws(request, (error: unknown) => {
        return (
          error instanceof UlError && error.code === 'INVALID_PRIMITIVE' && error.state === 'Sta1'
        );
      });
    }
    assert.equal(association.state, 'Sta1');
  });

  it('an abort with no association is a no-op', () => {
    const { association } = setup();
    assert.deepEqual(association.abort(), []);
    association.transportConnectIndication();
    assert.deepEqual(association.abort(), []);
    assert.equal(association.state, 'Sta2');
  });
});
