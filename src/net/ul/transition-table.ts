/**
 * PS3.8 Table 9-10, "DICOM Upper Layer Protocol State Transition Table", as data: one row per
 * event, one column per state, the action to take in each cell. A cell the standard leaves empty
 * is absent here (see step.ts for what that means).
 */
import type { ActionName } from './actions.js';
import type { State, UlEvent } from './states.js';

type Row = Readonly<Partial<Record<State, ActionName>>>;

/** The cells Sta3 and Sta5..Sta12 share for a PDU that is unexpected there. */
const ESTABLISHED_OR_PENDING: readonly State[] = [
  'Sta3',
  'Sta5',
  'Sta6',
  'Sta7',
  'Sta8',
  'Sta9',
  'Sta10',
  'Sta11',
  'Sta12',
];

function row(cells: Row, fill?: { states: readonly State[]; action: ActionName }): Row {
  const out: Partial<Record<State, ActionName>> = {};
  for (const state of fill?.states ?? []) out[state] = fill?.action;
  return Object.freeze({ ...out, ...cells });
}

export const TRANSITION_TABLE: Readonly<Record<UlEvent, Row>> = Object.freeze({
  // A-ASSOCIATE request (local user)
  Evt1: row({ Sta1: 'AE-1' }),
  // Transport connect confirmation
  Evt2: row({ Sta4: 'AE-2' }),
  // A-ASSOCIATE-AC PDU
  Evt3: row(
    { Sta2: 'AA-1', Sta5: 'AE-3', Sta13: 'AA-6' },
    { states: ESTABLISHED_OR_PENDING, action: 'AA-8' },
  ),
  // A-ASSOCIATE-RJ PDU
  Evt4: row(
    { Sta2: 'AA-1', Sta5: 'AE-4', Sta13: 'AA-6' },
    { states: ESTABLISHED_OR_PENDING, action: 'AA-8' },
  ),
  // Transport connection indication
  Evt5: row({ Sta1: 'AE-5' }),
  // A-ASSOCIATE-RQ PDU
  Evt6: row({ Sta2: 'AE-6', Sta13: 'AA-7' }, { states: ESTABLISHED_OR_PENDING, action: 'AA-8' }),
  // A-ASSOCIATE response primitive (accept)
  Evt7: row({ Sta3: 'AE-7' }),
  // A-ASSOCIATE response primitive (reject)
  Evt8: row({ Sta3: 'AE-8' }),
  // P-DATA request primitive
  Evt9: row({ Sta6: 'DT-1', Sta8: 'AR-7' }),
  // P-DATA-TF PDU
  Evt10: row(
    { Sta2: 'AA-1', Sta6: 'DT-2', Sta7: 'AR-6', Sta13: 'AA-6' },
    { states: ESTABLISHED_OR_PENDING, action: 'AA-8' },
  ),
  // A-RELEASE request primitive
  Evt11: row({ Sta6: 'AR-1' }),
  // A-RELEASE-RQ PDU
  Evt12: row(
    { Sta2: 'AA-1', Sta6: 'AR-2', Sta7: 'AR-8', Sta13: 'AA-6' },
    { states: ESTABLISHED_OR_PENDING, action: 'AA-8' },
  ),
  // A-RELEASE-RP PDU
  Evt13: row(
    { Sta2: 'AA-1', Sta7: 'AR-3', Sta10: 'AR-10', Sta11: 'AR-3', Sta13: 'AA-6' },
    { states: ESTABLISHED_OR_PENDING, action: 'AA-8' },
  ),
  // A-RELEASE response primitive
  Evt14: row({ Sta8: 'AR-4', Sta9: 'AR-9', Sta12: 'AR-4' }),
  // A-ABORT request primitive
  Evt15: row({ Sta4: 'AA-2' }, { states: ESTABLISHED_OR_PENDING, action: 'AA-1' }),
  // A-ABORT PDU
  Evt16: row({ Sta2: 'AA-2', Sta13: 'AA-2' }, { states: ESTABLISHED_OR_PENDING, action: 'AA-3' }),
  // Transport connection closed indication
  Evt17: row(
    { Sta2: 'AA-5', Sta4: 'AA-4', Sta13: 'AR-5' },
    { states: ESTABLISHED_OR_PENDING, action: 'AA-4' },
  ),
  // ARTIM timer expired
  Evt18: row({ Sta2: 'AA-2', Sta13: 'AA-2' }),
  // Unrecognized or invalid PDU received
  Evt19: row({ Sta2: 'AA-1', Sta13: 'AA-7' }, { states: ESTABLISHED_OR_PENDING, action: 'AA-8' }),
});
