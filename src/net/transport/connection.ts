import type { Socket } from 'node:net';
import { encodeCommand, type Command } from '../dimse/command.js';
import { commandPdvs, DatasetFragmenter, maxPdvData } from '../dimse/fragment.js';
import { DimseReassembler, type DimseEvent } from '../dimse/reassemble.js';
import type { NegotiatedAssociation } from '../negotiation/index.js';
import {
  DEFAULT_MAX_ASSOCIATION_PDU_LENGTH,
  encodePdu,
  isPduError,
  PduDecoder,
  type AAbort,
  type AAssociateAc,
  type AAssociateRj,
  type AAssociateRq,
  type PDataTf,
  type Pdu,
} from '../pdu/index.js';
import { Association, type AssociationOutput, type Clock } from '../ul/index.js';
import { systemClock } from './clock.js';

/** How an association ended, for logs and for the caller waiting on it. */
export type Ending =
  | { readonly kind: 'released' }
  | { readonly kind: 'rejected'; readonly rj: AAssociateRj }
  /** The peer sent A-ABORT. */
  | { readonly kind: 'aborted-by-peer'; readonly abort: AAbort }
  /** We aborted: a protocol error, a timeout, a local decision. */
  | { readonly kind: 'aborted'; readonly reason: string }
  /** The transport closed without release or abort (A-P-ABORT). */
  | { readonly kind: 'connection-lost' };

export type CommandEvent = Extract<DimseEvent, { type: 'command' }>;
export type DatasetEvent = Extract<DimseEvent, { type: 'dataset' }>;

/** What the service layer (SCP or SCU) is told. Only `dataset` may slow the connection down. */
export interface ConnectionHandler {
  /** Acceptor: an A-ASSOCIATE-RQ arrived; answer with `accept` or `reject`. */
  associateRequested?(rq: AAssociateRq): void;
  /** Requestor: the peer's answer. */
  associateAccepted?(ac: AAssociateAc): void;
  command(event: CommandEvent): void;
  /** A data set fragment. Returning a promise pauses the socket until it settles (back-pressure). */
  dataset(event: DatasetEvent): void | Promise<void>;
  /** The peer asked to release. Default: answer at once. */
  releaseRequested?(): void;
  /** The association is over, however it ended; called once, after the socket closed. */
  ended(ending: Ending): void;
}

export interface ConnectionOptions {
  readonly side: 'requestor' | 'acceptor';
  readonly clock?: Clock | undefined;
  /** ARTIM (PS3.8 9.1.5): time allowed for association set-up and for closing after release. */
  readonly artimTimeoutMs?: number | undefined;
  /** Abort when nothing arrives for this long while associated. 0 disables. */
  readonly idleTimeoutMs?: number | undefined;
  /** Our Maximum Length (PS3.8 D.1): a longer P-DATA-TF from the peer aborts the association. */
  readonly maxReceivePduLength: number;
}

const CLOSE_GRACE_MS = 2_000;
/** Largest data set sent with its command in one write (below the socket's 16 KiB mark). */
const ONE_WRITE_MAX = 8 * 1024;

/**
 * One DICOM association over one socket: the PDU codec, the PS3.8 state machine and the DIMSE
 * reassembler joined to node:net. Every PDU in or out passes through the state machine, so a PDU
 * in the wrong state ends in the table's answer (usually an A-ABORT), never in undefined behaviour.
 *
 * Received data sets are streamed to the handler; while it works on a fragment, the socket is
 * paused, so memory is bounded by one PDU however large the object.
 */
export class DicomConnection {
  readonly socket: Socket;
  private readonly handler: ConnectionHandler;
  private readonly association: Association;
  private readonly decoder: PduDecoder;
  private readonly reassembler = new DimseReassembler();
  private agreed: NegotiatedAssociation | undefined;
  private pumping = false;
  private sending: Promise<void> = Promise.resolve();
  private ending: Ending | undefined;
  private endedCalled = false;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(socket: Socket, handler: ConnectionHandler, options: ConnectionOptions) {
    this.socket = socket;
    this.handler = handler;
    const clock = options.clock ?? systemClock;
    this.association = new Association({
      clock,
      artimTimeoutMs: options.artimTimeoutMs,
      onTimerOutputs: (outputs) => {
        this.ending ??= { kind: 'aborted', reason: 'association timer (ARTIM) expired' };
        this.perform(outputs);
      },
    });
    this.decoder = new PduDecoder({
      maxPduLength: options.maxReceivePduLength,
      maxAssociationPduLength: DEFAULT_MAX_ASSOCIATION_PDU_LENGTH,
      // Data set bytes reach the handler as views into the socket's chunks, never joined.
      splitDatasetPdvs: true,
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch {
        // The decoder keeps the failure and throws it again from next(), inside pump().
      }
      void this.pump();
    });
    socket.on('error', () => {
      // 'close' follows; the ending records what happened.
      this.ending ??= { kind: 'connection-lost' };
    });
    socket.on('close', () => this.onClose());
    const idle = options.idleTimeoutMs ?? 0;
    if (idle > 0) {
      socket.setTimeout(idle, () => this.abort(`no data from the peer for ${idle} ms`));
    }
    if (options.side === 'acceptor') {
      this.perform(this.association.transportConnectIndication());
    }
  }

  /** The agreed association, once accepted. */
  get negotiated(): NegotiatedAssociation | undefined {
    return this.agreed;
  }

  get state(): string {
    return this.association.state;
  }

  /** True while a data set is arriving: a disconnect now loses a partial object. */
  get receivingDataset(): boolean {
    return this.reassembler.inDataset;
  }

  // --- Requestor ----------------------------------------------------------------------------

  /** Sends the A-ASSOCIATE-RQ on a connected socket. */
  requestAssociation(rq: AAssociateRq): void {
    this.perform(this.association.requestAssociation(rq));
    this.perform(this.association.transportConnectConfirmation());
  }

  // --- Acceptor -----------------------------------------------------------------------------

  accept(ac: AAssociateAc, agreed: NegotiatedAssociation): void {
    this.agreed = agreed;
    this.perform(this.association.acceptAssociation(ac));
  }

  reject(rj: AAssociateRj): void {
    this.ending = { kind: 'rejected', rj };
    this.perform(this.association.rejectAssociation(rj));
  }

  /** Requestor: records the agreed association on A-ASSOCIATE-AC. */
  setNegotiated(agreed: NegotiatedAssociation): void {
    this.agreed = agreed;
  }

  // --- Both ---------------------------------------------------------------------------------

  /**
   * Sends one DIMSE message: the command, then the data set if any (bytes, or chunks from a
   * stream). Messages never interleave; sending waits for the socket to drain.
   */
  sendMessage(
    contextId: number,
    command: Command,
    dataset?: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<void> {
    const run = async (): Promise<void> => {
      const agreed = this.requireAssociated();
      const maxData = maxPdvData(agreed.maxSendPduLength);
      const commandBytes = encodeCommand(command, dataset !== undefined);
      // A small message (a query's identifier, a C-MOVE request) leaves in one system call:
      // its command and data set PDUs are written corked. Each write to a loopback or LAN peer
      // costs a wake-up of the peer's thread; two per C-FIND were a tenth of a retrieval's
      // socket time.
      const oneWrite = dataset instanceof Uint8Array && dataset.length <= ONE_WRITE_MAX;
      if (oneWrite) this.socket.cork();
      try {
        for (const pdv of commandPdvs(contextId, commandBytes, maxData)) {
          await this.sendPData({ type: 'P-DATA-TF', pdvs: [pdv] });
        }
        if (dataset === undefined) return;
        const fragmenter = new DatasetFragmenter(contextId, maxData);
        const chunks = dataset instanceof Uint8Array ? [dataset] : dataset;
        for await (const chunk of chunks) {
          for (const pdv of fragmenter.push(chunk)) {
            await this.sendPData({ type: 'P-DATA-TF', pdvs: [pdv] });
          }
        }
        await this.sendPData({ type: 'P-DATA-TF', pdvs: [fragmenter.end()] });
      } finally {
        if (oneWrite) this.socket.uncork();
      }
    };
    const sent = this.sending.then(run);
    this.sending = sent.catch(() => undefined);
    return sent;
  }

  /**
   * A-RELEASE request, once pending messages are sent; the ending is reported through the
   * handler: 'released' only when the A-RELEASE-RP arrives (AR-3), so a peer that aborts or
   * drops the connection meanwhile is reported as such. Ignored unless associated (Sta6).
   */
  release(): void {
    void this.sending.then(() => {
      if (this.association.state === 'Sta6') this.perform(this.association.requestRelease());
    });
  }

  /**
   * A-RELEASE response, once pending messages are sent. The peer may have aborted or broken the
   * protocol meanwhile; then there is no release to answer (Evt14 is valid in Sta8, Sta9 and
   * Sta12 only, and throwing here, in a promise callback, would take the process down).
   */
  respondRelease(): void {
    void this.sending.then(() => {
      const state = this.association.state;
      if (state !== 'Sta8' && state !== 'Sta9' && state !== 'Sta12') return;
      this.ending ??= { kind: 'released' };
      this.perform(this.association.respondRelease());
    });
  }

  /** A-ABORT (or a plain close before association), then close. Safe to call at any time. */
  abort(reason: string): void {
    this.ending ??= { kind: 'aborted', reason };
    const outputs = this.association.abort();
    if (outputs.length === 0) this.closeTransport();
    else this.perform(outputs);
  }

  // ---------------------------------------------------------------------------------------------

  private requireAssociated(): NegotiatedAssociation {
    if (this.agreed === undefined || this.association.state !== 'Sta6') {
      throw new Error(`association not established (state ${this.association.state})`);
    }
    return this.agreed;
  }

  private async sendPData(pdata: PDataTf): Promise<void> {
    if (this.socket.destroyed) throw new Error('connection closed');
    this.perform(this.association.sendData(pdata));
    // Corked (a small message, see sendMessage), nothing drains until it is uncorked.
    if (this.socket.writableNeedDrain && this.socket.writableCorked === 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    }
  }

  /** Processes every whole PDU received; awaits the handler on data set fragments. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        let pdu: Pdu | undefined;
        try {
          pdu = this.decoder.next();
        } catch (error) {
          if (!isPduError(error)) throw error;
          this.ending ??= {
            kind: 'aborted',
            reason: `invalid PDU from the peer: ${error.message}`,
          };
          this.perform(this.association.invalidPduReceived(error));
          return;
        }
        if (pdu === undefined) return;
        const outputs = this.association.pduReceived(pdu);
        for (const output of outputs) {
          if (output.kind === 'indicate' && output.primitive === 'P-DATA indication') {
            const pending = this.onPData(pdu as PDataTf);
            if (pending !== undefined) {
              this.socket.pause();
              await pending;
            }
          } else {
            this.perform([output]);
          }
        }
      }
    } catch (error) {
      this.abort(error instanceof Error ? error.message : String(error));
    } finally {
      this.pumping = false;
      if (!this.socket.destroyed) this.socket.resume();
    }
  }

  /** Feeds the PDVs to the reassembler; returns a promise when the handler needs time. */
  private onPData(pdata: PDataTf): Promise<void> | undefined {
    let chain: Promise<void> | undefined;
    for (const pdv of pdata.pdvs) {
      for (const event of this.reassembler.accept(pdv)) {
        if (event.type === 'command') {
          if (chain === undefined) this.handler.command(event);
          else chain = chain.then(() => this.handler.command(event));
        } else if (chain === undefined) {
          const result = this.handler.dataset(event);
          if (result !== undefined) chain = result;
        } else {
          chain = chain.then(() => this.handler.dataset(event));
        }
      }
    }
    return chain;
  }

  private perform(outputs: readonly AssociationOutput[]): void {
    for (const output of outputs) {
      switch (output.kind) {
        case 'send':
          if (output.pdu.type === 'A-ABORT')
            this.ending ??= { kind: 'aborted', reason: 'protocol error' };
          if (!this.socket.destroyed) {
            // A P-DATA-TF is several parts (headers and data views): corked, they leave in one
            // writev, one segment, instead of one system call each.
            const parts = encodePdu(output.pdu);
            if (parts.length === 1) {
              this.socket.write(parts[0]!);
            } else {
              this.socket.cork();
              for (const part of parts) this.socket.write(part);
              this.socket.uncork();
            }
          }
          break;
        case 'close-transport':
          this.closeTransport();
          break;
        case 'connect-transport':
        case 'accept-transport':
          break;
        case 'indicate':
          this.indicate(output);
          break;
      }
    }
  }

  private indicate(output: Extract<AssociationOutput, { kind: 'indicate' }>): void {
    const pdu = output.pdu;
    switch (output.primitive) {
      case 'A-ASSOCIATE indication':
        if (pdu?.type === 'A-ASSOCIATE-RQ') this.handler.associateRequested?.(pdu);
        break;
      case 'A-ASSOCIATE confirmation (accept)':
        if (pdu?.type === 'A-ASSOCIATE-AC') this.handler.associateAccepted?.(pdu);
        break;
      case 'A-ASSOCIATE confirmation (reject)':
        if (pdu?.type === 'A-ASSOCIATE-RJ') this.ending = { kind: 'rejected', rj: pdu };
        break;
      case 'A-RELEASE indication':
      case 'A-RELEASE indication (release collision)':
        if (this.handler.releaseRequested !== undefined) this.handler.releaseRequested();
        else this.respondRelease();
        break;
      case 'A-RELEASE confirmation':
        this.ending = { kind: 'released' };
        break;
      case 'A-ABORT indication':
        if (pdu?.type === 'A-ABORT') this.ending = { kind: 'aborted-by-peer', abort: pdu };
        break;
      case 'A-P-ABORT indication':
        this.ending ??= { kind: 'connection-lost' };
        break;
      case 'P-DATA indication':
        break; // handled in pump()
    }
  }

  private closeTransport(): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    // A peer that never closes its side does not keep the socket open.
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  private onClose(): void {
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.perform(this.association.transportClosed());
    if (this.endedCalled) return;
    this.endedCalled = true;
    this.handler.ended(this.ending ?? { kind: 'connection-lost' });
  }
}
