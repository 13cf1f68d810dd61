// Every (state, event) cell of the upper layer protocol machine against a second, independent
// transcription of PS3.8 Table 9-10 (laid out as in the standard) and of the actions of
// Tables 9-6 to 9-9. If src/net/ul and this file disagree, one of them misread the standard.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTIONS,
  ALL_EVENTS,
  ALL_STATES,
  step,
  type Action,
  type State,
  type UlEvent,
} from '../../src/net/ul/index.js';

// PS3.8 Table 9-10. Rows: events; columns: Sta1 .. Sta13; '.' is an empty cell.
const TABLE_9_10 = `
        Sta1  Sta2  Sta3  Sta4  Sta5  Sta6  Sta7  Sta8  Sta9  Sta10 Sta11 Sta12 Sta13
Evt1    AE-1  .     .     .     .     .     .     .     .     .     .     .     .
Evt2    .     .     .     AE-2  .     .     .     .     .     .     .     .     .
Evt3    .     AA-1  AA-8  .     AE-3  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt4    .     AA-1  AA-8  .     AE-4  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt5    AE-5  .     .     .     .     .     .     .     .     .     .     .     .
Evt6    .     AE-6  AA-8  .     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
Evt7    .     .     AE-7  .     .     .     .     .     .     .     .     .     .
Evt8    .     .     AE-8  .     .     .     .     .     .     .     .     .     .
Evt9    .     .     .     .     .     DT-1  .     AR-7  .     .     .     .     .
Evt10   .     AA-1  AA-8  .     AA-8  DT-2  AR-6  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt11   .     .     .     .     .     AR-1  .     .     .     .     .     .     .
Evt12   .     AA-1  AA-8  .     AA-8  AR-2  AR-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt13   .     AA-1  AA-8  .     AA-8  AA-8  AR-3  AA-8  AA-8  AR-10 AR-3  AA-8  AA-6
Evt14   .     .     .     .     .     .     .     AR-4  AR-9  .     .     AR-4  .
Evt15   .     .     AA-1  AA-2  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  .
Evt16   .     AA-2  AA-3  .     AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-2
Evt17   .     AA-5  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AR-5
Evt18   .     AA-2  .     .     .     .     .     .     .     .     .     .     AA-2
Evt19   .     AA-1  AA-8  .     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
`;

// PS3.8 Tables 9-6 to 9-9: next state and what each action does, with the default details
// (RQ acceptable, acceptor side, A-ABORT received from the service provider).
const ACTION_EFFECTS: Record<string, string> = {
  'AE-1': 'Sta4 | connect',
  'AE-2': 'Sta5 | send A-ASSOCIATE-RQ',
  'AE-3': 'Sta6 | indicate A-ASSOCIATE confirmation (accept)',
  'AE-4': 'Sta1 | indicate A-ASSOCIATE confirmation (reject), close',
  'AE-5': 'Sta2 | accept, start ARTIM',
  'AE-6': 'Sta3 | stop ARTIM, indicate A-ASSOCIATE indication',
  'AE-7': 'Sta6 | send A-ASSOCIATE-AC',
  'AE-8': 'Sta13 | send A-ASSOCIATE-RJ, start ARTIM',
  'DT-1': 'Sta6 | send P-DATA-TF',
  'DT-2': 'Sta6 | indicate P-DATA indication',
  'AR-1': 'Sta7 | send A-RELEASE-RQ',
  'AR-2': 'Sta8 | indicate A-RELEASE indication',
  'AR-3': 'Sta1 | indicate A-RELEASE confirmation, close',
  'AR-4': 'Sta13 | send A-RELEASE-RP, start ARTIM',
  'AR-5': 'Sta1 | stop ARTIM',
  'AR-6': 'Sta7 | indicate P-DATA indication',
  'AR-7': 'Sta8 | send P-DATA-TF',
  'AR-8': 'Sta10 | indicate A-RELEASE indication (release collision)',
  'AR-9': 'Sta11 | send A-RELEASE-RP',
  'AR-10': 'Sta12 | indicate A-RELEASE confirmation',
  'AA-1': 'Sta13 | send A-ABORT from service-user, start ARTIM',
  'AA-2': 'Sta1 | stop ARTIM, close',
  'AA-3': 'Sta1 | indicate A-P-ABORT indication, close',
  'AA-4': 'Sta1 | indicate A-P-ABORT indication',
  'AA-5': 'Sta1 | stop ARTIM',
  'AA-6': 'Sta13 | ignore',
  'AA-7': 'Sta13 | send A-ABORT from service-provider',
  'AA-8': 'Sta13 | send A-ABORT from service-provider, indicate A-P-ABORT indication, start ARTIM',
};

function parseTable(): Map<string, string | undefined> {
  const lines = TABLE_9_10.trim().split('\n');
  const states = (lines[0] ?? '').trim().split(/\s+/);
  const cells = new Map<string, string | undefined>();
  for (const line of lines.slice(1)) {
    const [event, ...row] = line.trim().split(/\s+/);
    assert.equal(row.length, 13, `row ${event}`);
    row.forEach((cell, i) => cells.set(`${states[i]} ${event}`, cell === '.' ? undefined : cell));
  }
  return cells;
}

function describeActions(actions: readonly Action[]): string {
  return actions
    .map((action) => {
      switch (action.kind) {
        case 'connect-transport':
          return 'connect';
        case 'accept-transport':
          return 'accept';
        case 'close-transport':
          return 'close';
        case 'start-artim':
          return 'start ARTIM';
        case 'stop-artim':
          return 'stop ARTIM';
        case 'ignore-pdu':
          return 'ignore';
        case 'indicate':
          return `indicate ${action.primitive}`;
        case 'send':
          return action.pdu === 'A-ABORT'
            ? `send A-ABORT from ${action.source}`
            : `send ${action.pdu}`;
      }
    })
    .join(', ');
}

const TABLE = parseTable();

describe('PS3.8 Table 9-10, cell by cell', () => {
  it('covers 13 states x 19 events', () => {
    assert.equal(ALL_STATES.length, 13);
    assert.equal(ALL_EVENTS.length, 19);
    assert.equal(TABLE.size, 13 * 19);
  });

  for (const event of ALL_EVENTS) {
    it(`${event}: every state`, () => {
      for (const state of ALL_STATES) {
        const expected = TABLE.get(`${state} ${event}`);
        const transition = step(state, event);
        assert.equal(transition.rule, expected, `${state} + ${event}`);
        if (expected === undefined) {
          assert.equal(transition.next, state, `${state} + ${event}: empty cell keeps the state`);
          assert.deepEqual(transition.actions, [], `${state} + ${event}: empty cell does nothing`);
        } else {
          assert.equal(
            `${transition.next} | ${describeActions(transition.actions)}`,
            ACTION_EFFECTS[expected],
            `${state} + ${event} -> ${expected}`,
          );
        }
      }
    });
  }

  it('defines every action of Tables 9-6 to 9-9 and uses each one', () => {
    assert.deepEqual(Object.keys(ACTIONS).sort(), Object.keys(ACTION_EFFECTS).sort());
    const used = new Set([...TABLE.values()].filter((cell) => cell !== undefined));
    assert.deepEqual([...used].sort(), Object.keys(ACTION_EFFECTS).sort());
  });
});

describe('actions that depend on more than the cell', () => {
  it('AE-6 rejects an A-ASSOCIATE-RQ the service provider cannot accept', () => {
    const t = step('Sta2', 'Evt6', { acceptable: false });
    assert.equal(t.next, 'Sta13');
    assert.equal(describeActions(t.actions), 'stop ARTIM, send A-ASSOCIATE-RJ, start ARTIM');
  });

  it('AR-8 goes to Sta9 on the requestor side and Sta10 on the acceptor side', () => {
    assert.equal(step('Sta7', 'Evt12', { requestor: true }).next, 'Sta9');
    assert.equal(step('Sta7', 'Evt12', { requestor: false }).next, 'Sta10');
  });

  it('AA-3 indicates A-ABORT for a service-user abort and A-P-ABORT for a provider abort', () => {
    const user = step('Sta6', 'Evt16', { abortSource: 'service-user' });
    assert.equal(describeActions(user.actions), 'indicate A-ABORT indication, close');
    const provider = step('Sta6', 'Evt16', { abortSource: 'service-provider' });
    assert.equal(describeActions(provider.actions), 'indicate A-P-ABORT indication, close');
  });

  it('AA-7 and AA-8 give the A-ABORT reason: unrecognized for Evt19, unexpected otherwise', () => {
    const reason = (state: State, event: UlEvent, abortReason?: 'invalid-pdu-parameter-value') => {
      const send = step(state, event, { abortReason }).actions.find((a) => a.kind === 'send');
      return send?.kind === 'send' && send.pdu === 'A-ABORT' ? send.reason : undefined;
    };
    assert.equal(reason('Sta6', 'Evt3'), 'unexpected-pdu');
    assert.equal(reason('Sta6', 'Evt19'), 'unrecognized-pdu');
    assert.equal(reason('Sta13', 'Evt6'), 'unexpected-pdu');
    assert.equal(
      reason('Sta5', 'Evt19', 'invalid-pdu-parameter-value'),
      'invalid-pdu-parameter-value',
    );
    assert.equal(reason('Sta6', 'Evt15'), 'reason-not-specified');
  });
});
