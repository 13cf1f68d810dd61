/**
 * Holds the state of one association's protocol machine and turns inputs (PDUs received, local
 * requests, transport events) into the outputs to perform: PDUs to send, primitives to indicate,
 * transport to open, accept or close. It performs only the ARTIM timer, through the injected clock
 * (PS3.8 9.1.5); when the timer fires, its outputs go to `onTimerOutputs`.
 *
 * Pure apart from the clock: no sockets. The transport adapter feeds it and performs the outputs.
 */
import type {
  AAbort,
  AAssociateAc,
  AAssociateRj,
  AAssociateRq,
  PDataTf,
  Pdu,
  PduError,
} from '../pdu/index.js';
import type { Action, Primitive, StepDetails } from './actions.js';
import type { Clock, TimerHandle } from './clock.js';
import { UlError } from './errors.js';
import { LOCAL_PRIMITIVE_EVENTS, type State, type UlEvent } from './states.js';
import { step, type Transition } from './step.js';

/** DCMTK's ACSE timeout (`-ta`, default 30 s) serves the same purpose. */
export const DEFAULT_ARTIM_TIMEOUT_MS = 30_000;

export type AssociationOutput =
  | { readonly kind: 'connect-transport' }
  | { readonly kind: 'accept-transport' }
  | { readonly kind: 'close-transport' }
  | { readonly kind: 'send'; readonly pdu: Pdu }
  /** `pdu` is the received PDU the indication carries (none for A-P-ABORT after a closed transport). */
  | { readonly kind: 'indicate'; readonly primitive: Primitive; readonly pdu?: Pdu };

export interface AssociationOptions {
  readonly clock: Clock;
  /** ARTIM timeout (PS3.8 9.1.5). */
  readonly artimTimeoutMs?: number | undefined;
  /** Receives the outputs of an ARTIM expiry (Evt18), which happens outside any call. */
  readonly onTimerOutputs?: ((outputs: readonly AssociationOutput[]) => void) | undefined;
  /** Observes every transition (logging, tests). */
  readonly onTransition?: ((transition: Transition) => void) | undefined;
}

/** PDU type received -> event (PS3.8 Table 9-10). */
const PDU_EVENTS: Readonly<Record<Pdu['type'], UlEvent>> = {
  'A-ASSOCIATE-AC': 'Evt3',
  'A-ASSOCIATE-RJ': 'Evt4',
  'A-ASSOCIATE-RQ': 'Evt6',
  'P-DATA-TF': 'Evt10',
  'A-RELEASE-RQ': 'Evt12',
  'A-RELEASE-RP': 'Evt13',
  'A-ABORT': 'Evt16',
};

/** The answer AE-6 sends to an A-ASSOCIATE-RQ of a protocol version we do not speak. */
const PROTOCOL_VERSION_RJ: AAssociateRj = {
  type: 'A-ASSOCIATE-RJ',
  result: 'rejected-permanent',
  source: 'service-provider-acse',
  reason: 'protocol-version-not-supported',
};

interface Input {
  /** The PDU received (Evt3..Evt16) or to send (Evt1, Evt7, Evt8, Evt9). */
  readonly pdu?: Pdu | undefined;
  readonly details?: StepDetails | undefined;
}

export class Association {
  private current: State = 'Sta1';
  private isRequestor = false;
  private pendingRq: AAssociateRq | undefined;
  private artim: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly artimTimeoutMs: number;
  private readonly onTimerOutputs: (outputs: readonly AssociationOutput[]) => void;
  private readonly onTransition: ((transition: Transition) => void) | undefined;

  constructor(options: AssociationOptions) {
    this.clock = options.clock;
    this.artimTimeoutMs = options.artimTimeoutMs ?? DEFAULT_ARTIM_TIMEOUT_MS;
    this.onTimerOutputs = options.onTimerOutputs ?? (() => undefined);
    this.onTransition = options.onTransition;
  }

  get state(): State {
    return this.current;
  }

  /** True on the side that sent the A-ASSOCIATE-RQ. */
  get requestor(): boolean {
    return this.isRequestor;
  }

  /** Whether the ARTIM timer runs. */
  get artimRunning(): boolean {
    return this.artim !== undefined;
  }

  // --- Local user requests (throw UlError INVALID_PRIMITIVE out of turn) ----------------------

  /** Evt1: A-ASSOCIATE request. The RQ is sent once the transport is connected (AE-2). */
  requestAssociation(rq: AAssociateRq): AssociationOutput[] {
    const outputs = this.handle('Evt1', { pdu: rq });
    this.pendingRq = rq;
    this.isRequestor = true;
    return outputs;
  }

  /** Evt7: A-ASSOCIATE response (accept). */
  acceptAssociation(ac: AAssociateAc): AssociationOutput[] {
    return this.handle('Evt7', { pdu: ac });
  }

  /** Evt8: A-ASSOCIATE response (reject). */
  rejectAssociation(rj: AAssociateRj): AssociationOutput[] {
    return this.handle('Evt8', { pdu: rj });
  }

  /** Evt9: P-DATA request. */
  sendData(pdata: PDataTf): AssociationOutput[] {
    return this.handle('Evt9', { pdu: pdata });
  }

  /** Evt11: A-RELEASE request. */
  requestRelease(): AssociationOutput[] {
    return this.handle('Evt11');
  }

  /** Evt14: A-RELEASE response. */
  respondRelease(): AssociationOutput[] {
    return this.handle('Evt14');
  }

  /**
   * Evt15: A-ABORT request. In Sta1, Sta2 and Sta13 the table has no cell for it and nothing
   * happens: there is no association to abort (in Sta2, close the transport instead).
   */
  abort(): AssociationOutput[] {
    if (this.current === 'Sta1' || this.current === 'Sta2' || this.current === 'Sta13') return [];
    return this.handle('Evt15');
  }

  // --- Transport and peer --------------------------------------------------------------------

  /** Evt2: our TRANSPORT CONNECT request succeeded. */
  transportConnectConfirmation(): AssociationOutput[] {
    return this.handle('Evt2');
  }

  /** Evt5: a peer connected to us. */
  transportConnectIndication(): AssociationOutput[] {
    const outputs = this.handle('Evt5');
    if (this.current === 'Sta2') this.isRequestor = false;
    return outputs;
  }

  /** Evt17: the transport connection closed. */
  transportClosed(): AssociationOutput[] {
    return this.handle('Evt17');
  }

  /** Evt3, Evt4, Evt6, Evt10, Evt12, Evt13 or Evt16, by the type of `pdu`. */
  pduReceived(pdu: Pdu): AssociationOutput[] {
    const event = PDU_EVENTS[pdu.type];
    const details: StepDetails =
      pdu.type === 'A-ASSOCIATE-RQ'
        ? // PS3.8 9.3.2: bit 0 of the protocol version is version 1, the only one defined.
          { acceptable: (pdu.protocolVersion & 1) === 1 }
        : pdu.type === 'A-ABORT'
          ? { abortSource: pdu.source }
          : {};
    return this.handle(event, { pdu, details });
  }

  /** Evt19: the decoder refused what the peer sent. */
  invalidPduReceived(error: PduError): AssociationOutput[] {
    return this.handle('Evt19', { details: { abortReason: error.abortReason } });
  }

  // ---------------------------------------------------------------------------------------------

  private handle(event: UlEvent, input: Input = {}): AssociationOutput[] {
    const transition = step(this.current, event, {
      requestor: this.isRequestor,
      ...input.details,
    });
    if (transition.rule === undefined && LOCAL_PRIMITIVE_EVENTS.has(event)) {
      throw new UlError(
        'INVALID_PRIMITIVE',
        'this request is not allowed in the current state',
        this.current,
        event,
      );
    }
    const outputs: AssociationOutput[] = [];
    for (const action of transition.actions) {
      const output = this.perform(action, transition, input.pdu);
      if (output !== undefined) outputs.push(output);
    }
    this.current = transition.next;
    if (this.current === 'Sta1') this.pendingRq = undefined;
    this.onTransition?.(transition);
    return outputs;
  }

  /** Performs timer actions; turns the others into outputs with their PDUs. */
  private perform(
    action: Action,
    transition: Transition,
    pdu: Pdu | undefined,
  ): AssociationOutput | undefined {
    switch (action.kind) {
      case 'start-artim':
        this.stopArtim();
        this.artim = this.clock.setTimer(this.artimTimeoutMs, () => this.artimExpired());
        return undefined;
      case 'stop-artim':
        this.stopArtim();
        return undefined;
      case 'ignore-pdu':
        return undefined;
      case 'connect-transport':
      case 'accept-transport':
      case 'close-transport':
        return { kind: action.kind };
      case 'indicate':
        return pdu === undefined
          ? { kind: 'indicate', primitive: action.primitive }
          : { kind: 'indicate', primitive: action.primitive, pdu };
      case 'send':
        return { kind: 'send', pdu: this.pduToSend(action, transition, pdu) };
    }
  }

  private pduToSend(
    action: Extract<Action, { kind: 'send' }>,
    transition: Transition,
    given: Pdu | undefined,
  ): Pdu {
    switch (action.pdu) {
      case 'A-ABORT': {
        const abort: AAbort = { type: 'A-ABORT', source: action.source, reason: action.reason };
        return abort;
      }
      case 'A-RELEASE-RQ':
      case 'A-RELEASE-RP':
        return { type: action.pdu };
      case 'A-ASSOCIATE-RQ':
        if (this.pendingRq !== undefined) return this.pendingRq;
        break;
      case 'A-ASSOCIATE-RJ':
        // AE-6 refusing the RQ itself, or AE-8 sending the local user's answer.
        if (transition.rule === 'AE-6') return PROTOCOL_VERSION_RJ;
        if (given?.type === 'A-ASSOCIATE-RJ') return given;
        break;
      case 'A-ASSOCIATE-AC':
      case 'P-DATA-TF':
        if (given?.type === action.pdu) return given;
        break;
    }
    throw new UlError(
      'MISSING_PDU',
      `no ${action.pdu} was given to send`,
      transition.state,
      transition.event,
    );
  }

  private stopArtim(): void {
    if (this.artim === undefined) return;
    this.clock.clearTimer(this.artim);
    this.artim = undefined;
  }

  private artimExpired(): void {
    this.artim = undefined;
    this.onTimerOutputs(this.handle('Evt18'));
  }
}
