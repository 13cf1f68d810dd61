/**
 * The actions of the upper layer protocol machine (PS3.8 Tables 9-6 to 9-9). Each one is described
 * as in the standard and produces descriptive values (`Action`): what to send, indicate, start or
 * close. Nothing here performs them; see association.ts for the holder that does.
 */
import type { AbortReason, AbortSource, PduType } from '../pdu/index.js';
import type { State, UlEvent } from './states.js';

/** Service primitives issued to the local user (PS3.8 7, named as in Tables 9-6 to 9-9). */
export type Primitive =
  | 'A-ASSOCIATE indication'
  | 'A-ASSOCIATE confirmation (accept)'
  | 'A-ASSOCIATE confirmation (reject)'
  | 'P-DATA indication'
  | 'A-RELEASE indication'
  | 'A-RELEASE indication (release collision)'
  | 'A-RELEASE confirmation'
  | 'A-ABORT indication'
  | 'A-P-ABORT indication';

/** One thing to do, as a value. The order of a transition's actions is the standard's. */
export type Action =
  /** Issue TRANSPORT CONNECT request primitive to local transport service. */
  | { readonly kind: 'connect-transport' }
  /** Issue transport connection response primitive (accept the incoming connection). */
  | { readonly kind: 'accept-transport' }
  | { readonly kind: 'close-transport' }
  | { readonly kind: 'send'; readonly pdu: Exclude<PduType, 'A-ABORT'> }
  | {
      readonly kind: 'send';
      readonly pdu: 'A-ABORT';
      readonly source: AbortSource;
      readonly reason: AbortReason;
    }
  | { readonly kind: 'indicate'; readonly primitive: Primitive }
  /** Start the ARTIM timer, or restart it if it runs. */
  | { readonly kind: 'start-artim' }
  | { readonly kind: 'stop-artim' }
  /** AA-6: the received PDU is dropped. */
  | { readonly kind: 'ignore-pdu' };

/** What an action needs to know beyond the state and the event. */
export interface StepDetails {
  /** AR-8: the next state is Sta9 on the association-requestor side, Sta10 on the acceptor. */
  readonly requestor?: boolean | undefined;
  /**
   * AE-6: whether the A-ASSOCIATE-RQ is acceptable by the service provider (for example its
   * protocol version); default true. The service user decides the rest after the indication.
   */
  readonly acceptable?: boolean | undefined;
  /** AA-3: the Source field of the received A-ABORT PDU. */
  readonly abortSource?: AbortSource | number | undefined;
  /** AA-7, AA-8: the Reason/Diag. of the A-ABORT we send; by default from the event. */
  readonly abortReason?: AbortReason | undefined;
}

export interface ActionDefinition {
  /** The text of PS3.8 Tables 9-6 to 9-9. */
  readonly description: string;
  readonly run: (event: UlEvent, details: StepDetails) => { next: State; actions: Action[] };
}

function fixed(description: string, next: State, ...actions: Action[]): ActionDefinition {
  return { description, run: () => ({ next, actions: [...actions] }) };
}

const send = (pdu: Exclude<PduType, 'A-ABORT'>): Action => ({ kind: 'send', pdu });
const indicate = (primitive: Primitive): Action => ({ kind: 'indicate', primitive });
const START_ARTIM: Action = { kind: 'start-artim' };
const STOP_ARTIM: Action = { kind: 'stop-artim' };
const CLOSE: Action = { kind: 'close-transport' };

/** A-ABORT reason for a PDU the machine does not expect: unrecognized (Evt19) or unexpected. */
function providerReason(event: UlEvent, details: StepDetails): AbortReason {
  return details.abortReason ?? (event === 'Evt19' ? 'unrecognized-pdu' : 'unexpected-pdu');
}

export const ACTIONS = {
  // --- Association establishment (Table 9-6) ---------------------------------------------------
  'AE-1': fixed('Issue TRANSPORT CONNECT request primitive to local transport service', 'Sta4', {
    kind: 'connect-transport',
  }),
  'AE-2': fixed('Send A-ASSOCIATE-RQ-PDU', 'Sta5', send('A-ASSOCIATE-RQ')),
  'AE-3': fixed(
    'Issue A-ASSOCIATE confirmation (accept) primitive',
    'Sta6',
    indicate('A-ASSOCIATE confirmation (accept)'),
  ),
  'AE-4': fixed(
    'Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection',
    'Sta1',
    indicate('A-ASSOCIATE confirmation (reject)'),
    CLOSE,
  ),
  'AE-5': fixed(
    'Issue Transport connection response primitive; start ARTIM timer',
    'Sta2',
    { kind: 'accept-transport' },
    START_ARTIM,
  ),
  'AE-6': {
    description:
      'Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue A-ASSOCIATE ' +
      'indication primitive (next state Sta3); otherwise: issue A-ASSOCIATE-RJ-PDU and start ' +
      'ARTIM timer (next state Sta13)',
    run: (_event, { acceptable = true }) =>
      acceptable
        ? { next: 'Sta3', actions: [STOP_ARTIM, indicate('A-ASSOCIATE indication')] }
        : { next: 'Sta13', actions: [STOP_ARTIM, send('A-ASSOCIATE-RJ'), START_ARTIM] },
  },
  'AE-7': fixed('Send A-ASSOCIATE-AC PDU', 'Sta6', send('A-ASSOCIATE-AC')),
  'AE-8': fixed(
    'Send A-ASSOCIATE-RJ PDU and start ARTIM timer',
    'Sta13',
    send('A-ASSOCIATE-RJ'),
    START_ARTIM,
  ),

  // --- Data transfer (Table 9-7) ---------------------------------------------------------------
  'DT-1': fixed('Send P-DATA-TF PDU', 'Sta6', send('P-DATA-TF')),
  'DT-2': fixed('Send P-DATA indication primitive', 'Sta6', indicate('P-DATA indication')),

  // --- Association release (Table 9-8) ---------------------------------------------------------
  'AR-1': fixed('Send A-RELEASE-RQ PDU', 'Sta7', send('A-RELEASE-RQ')),
  'AR-2': fixed('Issue A-RELEASE indication primitive', 'Sta8', indicate('A-RELEASE indication')),
  'AR-3': fixed(
    'Issue A-RELEASE confirmation primitive, and close transport connection',
    'Sta1',
    indicate('A-RELEASE confirmation'),
    CLOSE,
  ),
  'AR-4': fixed(
    'Issue A-RELEASE-RP PDU and start ARTIM timer',
    'Sta13',
    send('A-RELEASE-RP'),
    START_ARTIM,
  ),
  'AR-5': fixed('Stop ARTIM timer', 'Sta1', STOP_ARTIM),
  'AR-6': fixed('Issue P-DATA indication', 'Sta7', indicate('P-DATA indication')),
  'AR-7': fixed('Issue P-DATA-TF PDU', 'Sta8', send('P-DATA-TF')),
  'AR-8': {
    description:
      'Issue A-RELEASE indication (release collision): if association-requestor, next state is ' +
      'Sta9, if not next state is Sta10',
    run: (_event, { requestor = false }) => ({
      next: requestor ? 'Sta9' : 'Sta10',
      actions: [indicate('A-RELEASE indication (release collision)')],
    }),
  },
  'AR-9': fixed('Send A-RELEASE-RP PDU', 'Sta11', send('A-RELEASE-RP')),
  'AR-10': fixed(
    'Issue A-RELEASE confirmation primitive',
    'Sta12',
    indicate('A-RELEASE confirmation'),
  ),

  // --- Association abort (Table 9-9) -----------------------------------------------------------
  'AA-1': fixed(
    'Send A-ABORT PDU (service-user source) and start (or restart if already started) ARTIM timer',
    'Sta13',
    { kind: 'send', pdu: 'A-ABORT', source: 'service-user', reason: 'reason-not-specified' },
    START_ARTIM,
  ),
  'AA-2': fixed(
    'Stop ARTIM timer if running. Close transport connection',
    'Sta1',
    STOP_ARTIM,
    CLOSE,
  ),
  'AA-3': {
    description:
      'If (service-user initiated abort): issue A-ABORT indication and close transport ' +
      'connection; otherwise (service-provider initiated abort): issue A-P-ABORT indication and ' +
      'close transport connection',
    run: (_event, { abortSource }) => ({
      next: 'Sta1',
      actions: [
        indicate(abortSource === 'service-user' ? 'A-ABORT indication' : 'A-P-ABORT indication'),
        CLOSE,
      ],
    }),
  },
  'AA-4': fixed('Issue A-P-ABORT indication primitive', 'Sta1', indicate('A-P-ABORT indication')),
  'AA-5': fixed('Stop ARTIM timer', 'Sta1', STOP_ARTIM),
  'AA-6': fixed('Ignore PDU', 'Sta13', { kind: 'ignore-pdu' }),
  'AA-7': {
    description: 'Send A-ABORT PDU',
    run: (event, details) => ({
      next: 'Sta13',
      actions: [
        {
          kind: 'send',
          pdu: 'A-ABORT',
          source: 'service-provider',
          reason: providerReason(event, details),
        },
      ],
    }),
  },
  'AA-8': {
    description:
      'Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and start ARTIM timer',
    run: (event, details) => ({
      next: 'Sta13',
      actions: [
        {
          kind: 'send',
          pdu: 'A-ABORT',
          source: 'service-provider',
          reason: providerReason(event, details),
        },
        indicate('A-P-ABORT indication'),
        START_ARTIM,
      ],
    }),
  },
} as const satisfies Record<string, ActionDefinition>;

export type ActionName = keyof typeof ACTIONS;
