import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { Dataset } from '../../dicom/dataset.js';
import { lookupUid } from '../../dicom/dictionary/index.js';
import { DicomParser } from '../../dicom/parse/index.js';
import { makeTag } from '../../dicom/tag.js';
import { IMPLICIT_VR_LITTLE_ENDIAN, transferSyntaxOf } from '../../dicom/transfer-syntax.js';
import { setStrings } from '../../dicom/write/edit.js';
import { encodeDataset } from '../../dicom/write/encode.js';
import {
  Priority,
  type Command,
  type CommandKind,
  type CommandOf,
  type SubOperations,
} from '../dimse/command.js';
import { Status, statusCategory } from '../dimse/status.js';
import {
  buildAssociateRq,
  negotiated as negotiate,
  type NegotiatedAssociation,
  type NegotiatedContext,
  type ProposedContext,
  type ProposedRole,
} from '../negotiation/index.js';
import type { AAssociateRq, UserIdentityRq } from '../pdu/index.js';
import {
  DicomConnection,
  type CommandEvent,
  type DatasetEvent,
  type Ending,
} from '../transport/connection.js';
import { Channel } from './channel.js';
import { DicomClientError, dimseFailure, rejectionReason } from './client-errors.js';
import type { AssociationInfo, OutgoingInstance, StoreHandler, StoreSink } from './handlers.js';
import { readInstanceFile } from './instance-file.js';
import {
  queryRetrieveSopClass,
  VERIFICATION_SOP_CLASS,
  type QueryLevel,
  type QueryRoot,
} from './query-models.js';
import { commentForError, statusForError } from './status-for-error.js';
import type { DimseOperation } from './status-text.js';

export interface DicomClientOptions {
  readonly host: string;
  readonly port: number;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  /** The presentation contexts to propose: an abstract syntax and its transfer syntaxes each. */
  readonly contexts: readonly ProposedContext[];
  /** SCP/SCU role selection (PS3.7 D.3.3.4); a C-GET proposes the SCP role for storage classes. */
  readonly roles?: readonly ProposedRole[] | undefined;
  /** Our Maximum Length (PS3.8 D.1): the largest P-DATA-TF we accept. Default 256 KiB. */
  readonly maxPduLength?: number | undefined;
  /** TLS (PS3.15 B.1): node:tls options; `key` + `cert` present a client certificate. */
  readonly tls?: TlsConnectionOptions | undefined;
  readonly userIdentity?: UserIdentityRq | undefined;
  /** TCP connect (and TLS handshake). Default 30 s. */
  readonly connectTimeoutMs?: number | undefined;
  /** Time for the peer to answer A-ASSOCIATE-RQ and A-RELEASE-RQ (ARTIM, PS3.8 9.1.5). Default 30 s. */
  readonly associationTimeoutMs?: number | undefined;
  /**
   * Abort when a request gets no response for this long; for C-MOVE and C-GET, the longest gap
   * between responses (and sub-operation data). Default 0: wait for ever, as DCMTK does.
   */
  readonly dimseTimeoutMs?: number | undefined;
}

/** The final response of a request. */
export interface DimseResult {
  readonly status: number;
  readonly errorComment?: string | undefined;
}

export interface StoreResult extends DimseResult {
  readonly sopInstanceUid: string;
  /** The transfer syntax the data set was sent in (always its own). */
  readonly transferSyntaxUid: string;
}

/** Sub-operation counts of a C-MOVE or C-GET response (PS3.4 C.4.2.1.6). */
export interface RetrieveProgress extends SubOperations {
  readonly status: number;
}

export interface RetrieveResult extends RetrieveProgress {
  readonly errorComment?: string | undefined;
  /** Failed SOP Instance UID List (0008,0058) of the final response, when the peer sent it. */
  readonly failedSopInstanceUids?: readonly string[] | undefined;
}

/**
 * A running C-FIND, C-MOVE or C-GET: iterate it for the pending responses (matches, or progress),
 * or await `done` for the final one. A failure status makes the iteration throw and `done` reject
 * with a DIMSE_FAILURE DicomClientError; leaving the loop early sends C-CANCEL.
 */
export interface ResponseStream<T, R> extends AsyncIterable<T> {
  readonly messageId: number;
  /** The final response (Success, Warning or Cancel). */
  readonly done: Promise<R>;
  /** Sends C-CANCEL (PS3.7 9.3.2.3); the peer ends with a final response, usually Cancel. */
  cancel(): Promise<void>;
}

/** Where a C-FIND, C-MOVE or C-GET is addressed: a model (root) or an explicit SOP class. */
export type QueryTarget =
  | { readonly root: QueryRoot; readonly level?: QueryLevel | undefined }
  | { readonly sopClassUid: string; readonly level?: QueryLevel | undefined };

const DEFAULT_MAX_PDU = 256 * 1024;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_ASSOCIATION_TIMEOUT_MS = 30_000;
/** A response data set larger than this is a broken or hostile peer. */
const MAX_RESPONSE_DATASET = 16 * 1024 * 1024;
/** After A-ABORT, how long we wait for the peer to close before closing ourselves. */
const ABORT_CLOSE_MS = 1_000;
const QUERY_RETRIEVE_LEVEL = makeTag(0x0008, 0x0052);
const FAILED_SOP_INSTANCE_UID_LIST = makeTag(0x0008, 0x0058);

let clientIds = 0;

/** The pieces of a request the response router needs. */
interface Pending {
  readonly operation: DimseOperation;
  readonly messageId: number;
  readonly contextId: number;
  /** A response; `dataset` holds the response data set when there was one. */
  response(command: Command, dataset: Uint8Array | undefined): Promise<void> | undefined;
  fail(error: DicomClientError): void;
  /** C-GET: where the storage sub-operations go. */
  readonly sink?: StoreHandler | undefined;
  /** The request is sent: the DIMSE timer may run. */
  sent: boolean;
  finished: boolean;
}

type Receiving =
  | {
      readonly kind: 'response';
      readonly pending: Pending;
      readonly command: Command;
      readonly chunks: Uint8Array[];
      length: number;
    }
  | {
      readonly kind: 'store';
      readonly command: CommandOf<'C-STORE-RQ'>;
      readonly contextId: number;
      sink: Promise<StoreSink | { refused: number; comment: string }>;
      /** The fragment being stored (settles, never rejects): an abort waits for it. */
      tail: Promise<void>;
    };

/**
 * An association we requested (the SCU side): C-ECHO, C-STORE, C-FIND, C-MOVE and C-GET over a
 * DicomConnection. Requests run one at a time, in call order (we negotiate no asynchronous
 * operations window). Every failure is a DicomClientError whose message names the peer.
 *
 * ```ts
 * const client = await DicomClient.connect({ host, port, callingAeTitle: 'NIFFLER',
 *   calledAeTitle: 'PACS', contexts: [verificationContext()] });
 * await client.echo();
 * await client.release();
 * ```
 */
export class DicomClient {
  /** `AET@host:port`, as messages name the peer. */
  readonly peer: string;
  private readonly options: DicomClientOptions;
  private readonly rq: AAssociateRq;
  private readonly socket: Socket;
  private readonly connection: DicomConnection;
  private agreed: NegotiatedAssociation | undefined;
  private readonly info: { id: number; remoteAddress: string; remotePort: number };
  private nextMessageId = 1;
  /** Requests wait for the one before them to be answered. */
  private queue: Promise<unknown> = Promise.resolve();
  private current: Pending | undefined;
  private receiving: Receiving | undefined;
  private dimseTimer: ReturnType<typeof setTimeout> | undefined;
  private associationTimer: ReturnType<typeof setTimeout> | undefined;
  /** Why we are ending the association, when we decided it (timeouts). */
  private localFailure: DicomClientError | undefined;
  private ending: Ending | undefined;
  private readonly ended: Promise<Ending>;
  private resolveEnded!: (ending: Ending) => void;
  private openedCallbacks!: { resolve: () => void; reject: (error: DicomClientError) => void };

  private constructor(socket: Socket, rq: AAssociateRq, options: DicomClientOptions) {
    this.options = options;
    this.peer = peerName(options);
    this.rq = rq;
    this.socket = socket;
    this.info = {
      id: ++clientIds,
      remoteAddress: socket.remoteAddress ?? options.host,
      remotePort: socket.remotePort ?? options.port,
    };
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.connection = new DicomConnection(
      socket,
      {
        associateAccepted: (ac) => {
          this.agreed = negotiate(this.rq, ac, 'requestor');
          this.connection.setNegotiated(this.agreed);
          this.clearAssociationTimer();
          this.openedCallbacks.resolve();
        },
        command: (event) => this.onCommand(event),
        dataset: (event) => this.onDataset(event),
        ended: (ending) => this.onEnded(ending),
      },
      {
        side: 'requestor',
        maxReceivePduLength: rq.userInformation.maxLength ?? DEFAULT_MAX_PDU,
        // ARTIM only runs after we abort (Sta13): how long to wait for the peer to close.
        artimTimeoutMs: ABORT_CLOSE_MS,
      },
    );
  }

  /**
   * Connects and negotiates. Rejects with a DicomClientError: CONNECT_FAILED, CONNECT_TIMEOUT,
   * TLS_FAILED, ASSOCIATION_REJECTED (with the result, source and reason), ASSOCIATION_TIMEOUT or
   * ASSOCIATION_ABORTED. A bad option (AE title, UID, too many contexts) throws a
   * NegotiationError before any connection is made.
   */
  static async connect(options: DicomClientOptions): Promise<DicomClient> {
    const rq = buildAssociateRq({
      callingAeTitle: options.callingAeTitle,
      calledAeTitle: options.calledAeTitle,
      contexts: options.contexts,
      roles: options.roles,
      maxPduLength: options.maxPduLength ?? DEFAULT_MAX_PDU,
      userIdentity: options.userIdentity,
    });
    const socket = await openSocket(options);
    const client = new DicomClient(socket, rq, options);
    await client.open();
    return client;
  }

  /** What the association agreed on. */
  get negotiated(): NegotiatedAssociation {
    if (this.agreed === undefined) throw new Error('association not established');
    return this.agreed;
  }

  /** False once the association is released, aborted or lost. */
  get isOpen(): boolean {
    return this.ending === undefined && this.connection.state === 'Sta6';
  }

  /** Resolves with how the association ended, once it has. */
  get closed(): Promise<Ending> {
    return this.ended;
  }

  // --- C-ECHO -------------------------------------------------------------------------------

  /** C-ECHO (PS3.7 9.1.5): resolves with the status, rejects on a failure status. */
  echo(): Promise<DimseResult> {
    return this.enqueue(async () => {
      const context = this.contextFor('C-ECHO', VERIFICATION_SOP_CLASS);
      const response = await this.request('C-ECHO', context, (messageId) => ({
        kind: 'C-ECHO-RQ',
        messageId,
        affectedSopClassUid: VERIFICATION_SOP_CLASS,
      }));
      return this.finalResult('C-ECHO', response.command);
    });
  }

  // --- C-STORE ------------------------------------------------------------------------------

  /**
   * C-STORE of one object, in its own transfer syntax: a file path (its data set bytes are
   * streamed from the file) or an OutgoingInstance. The context used is one the peer accepted for
   * the object's SOP class with exactly its transfer syntax; without one this throws
   * NO_PRESENTATION_CONTEXT naming what the peer accepted. Nothing is ever transcoded.
   * Resolves with Success or a warning status; a failure status rejects with DIMSE_FAILURE.
   */
  store(
    source: string | OutgoingInstance,
    options: { priority?: number; moveOriginator?: { aeTitle: string; messageId: number } } = {},
  ): Promise<StoreResult> {
    return this.enqueue(async () => {
      const instance = typeof source === 'string' ? await readInstanceFile(source) : source;
      const context = this.storageContext(instance);
      const response = await this.request(
        'C-STORE',
        context,
        (messageId) => ({
          kind: 'C-STORE-RQ',
          messageId,
          affectedSopClassUid: instance.sopClassUid,
          affectedSopInstanceUid: instance.sopInstanceUid,
          priority: options.priority ?? Priority.Medium,
          moveOriginatorAeTitle: options.moveOriginator?.aeTitle,
          moveOriginatorMessageId: options.moveOriginator?.messageId,
        }),
        instance.dataset(),
      );
      const result = this.finalResult('C-STORE', response.command);
      return {
        ...result,
        sopInstanceUid: instance.sopInstanceUid,
        transferSyntaxUid: instance.transferSyntaxUid,
      };
    });
  }

  /** The accepted context for an object, or the error that says why there is none. */
  private storageContext(instance: OutgoingInstance): NegotiatedContext {
    const forClass = [...this.negotiated.contexts.values()].filter(
      (c) => c.abstractSyntax === instance.sopClassUid,
    );
    const exact = forClass.find((c) => c.transferSyntax === instance.transferSyntaxUid);
    if (exact !== undefined) return exact;
    const accepted = [...new Set(forClass.map((c) => c.transferSyntax))];
    const what = `${uidName(instance.sopClassUid)} ${instance.sopInstanceUid}`;
    throw new DicomClientError(
      'NO_PRESENTATION_CONTEXT',
      this.peer,
      accepted.length === 0
        ? `the peer accepted no presentation context for ${what}`
        : `the peer does not accept ${uidName(instance.transferSyntaxUid)} for ${what}; it accepted only ${accepted.map(uidName).join(', ')} (we never transcode)`,
    );
  }

  // --- C-FIND, C-MOVE, C-GET ------------------------------------------------------------------

  /**
   * C-FIND (PS3.4 C.4.1): yields each match (the identifier of a Pending response, parsed in the
   * context's transfer syntax). With `target.level`, QueryRetrieveLevel is set on `identifier`.
   */
  find(target: QueryTarget, identifier: Dataset): ResponseStream<Dataset, DimseResult> {
    const sopClassUid = sopClassOf(target, 'find');
    return this.stream<Dataset, DimseResult>('C-FIND', sopClassUid, target, identifier, {
      request: (messageId) => ({
        kind: 'C-FIND-RQ',
        messageId,
        affectedSopClassUid: sopClassUid,
        priority: Priority.Medium,
      }),
      pending: (_command, dataset, context) =>
        dataset === undefined ? undefined : parseDataset(dataset, context.transferSyntax),
      final: (command) => this.finalResult('C-FIND', command),
    });
  }

  /**
   * C-MOVE (PS3.4 C.4.2): asks the peer to send the matching objects to `destination` (an AE
   * title the peer knows). Yields the sub-operation counts of each Pending response.
   */
  move(
    target: QueryTarget,
    identifier: Dataset,
    destination: string,
  ): ResponseStream<RetrieveProgress, RetrieveResult> {
    const sopClassUid = sopClassOf(target, 'move');
    return this.stream<RetrieveProgress, RetrieveResult>(
      'C-MOVE',
      sopClassUid,
      target,
      identifier,
      {
        request: (messageId) => ({
          kind: 'C-MOVE-RQ',
          messageId,
          affectedSopClassUid: sopClassUid,
          priority: Priority.Medium,
          moveDestination: destination,
        }),
        pending: (command) => progressOf(command),
        final: (command, dataset, context) =>
          this.retrieveResult('C-MOVE', command, dataset, context),
      },
    );
  }

  /**
   * C-GET (PS3.4 C.4.3): the peer sends the matching objects on this association as C-STORE
   * sub-operations, each streamed to a sink from `sink` (the same handler type a storage SCP uses,
   * e.g. directoryStore). The association must have proposed the storage classes with the SCP
   * role (see storageContextsForGet). Yields the sub-operation counts of each Pending response.
   */
  get(
    target: QueryTarget,
    identifier: Dataset,
    sink: StoreHandler,
  ): ResponseStream<RetrieveProgress, RetrieveResult> {
    const sopClassUid = sopClassOf(target, 'get');
    return this.stream<RetrieveProgress, RetrieveResult>('C-GET', sopClassUid, target, identifier, {
      request: (messageId) => ({
        kind: 'C-GET-RQ',
        messageId,
        affectedSopClassUid: sopClassUid,
        priority: Priority.Medium,
      }),
      pending: (command) => progressOf(command),
      final: (command, dataset, context) => this.retrieveResult('C-GET', command, dataset, context),
      sink,
    });
  }

  /** Sends C-CANCEL for a running C-FIND, C-MOVE or C-GET; ignored if it has finished. */
  async cancel(messageId: number): Promise<void> {
    const pending = this.current;
    if (pending === undefined || pending.messageId !== messageId || pending.finished) return;
    if (!this.isOpen) return;
    await this.connection.sendMessage(pending.contextId, {
      kind: 'C-CANCEL-RQ',
      messageIdBeingRespondedTo: messageId,
    });
  }

  // --- Release and abort ----------------------------------------------------------------------

  /**
   * Waits for the requests already made, then releases the association (A-RELEASE). Rejects if
   * the association ended some other way; aborts if the peer does not answer in time.
   */
  async release(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.ending === undefined && this.connection.state === 'Sta6') {
      this.connection.release();
      const timeoutMs = this.options.associationTimeoutMs ?? DEFAULT_ASSOCIATION_TIMEOUT_MS;
      const timer = setTimeout(() => {
        this.localFailure ??= new DicomClientError(
          'ASSOCIATION_TIMEOUT',
          this.peer,
          `no A-RELEASE-RP within ${timeoutMs} ms`,
        );
        this.abortConnection('no answer to A-RELEASE-RQ');
      }, timeoutMs);
      try {
        await this.ended;
      } finally {
        clearTimeout(timer);
      }
    }
    const ending = await this.ended;
    if (ending.kind !== 'released') throw this.endingError(ending);
  }

  /** A-ABORT, at once; running requests fail with ASSOCIATION_ABORTED. Resolves once closed. */
  async abort(): Promise<void> {
    if (this.ending === undefined) {
      this.localFailure ??= new DicomClientError(
        'ASSOCIATION_ABORTED',
        this.peer,
        'association aborted by the local user',
      );
      this.abortConnection('aborted by the local user');
    }
    await this.ended;
  }

  // ---------------------------------------------------------------------------------------------
  // Association set-up

  private open(): Promise<void> {
    const opened = new Promise<void>((resolve, reject) => {
      this.openedCallbacks = { resolve, reject };
    });
    const timeoutMs = this.options.associationTimeoutMs ?? DEFAULT_ASSOCIATION_TIMEOUT_MS;
    this.associationTimer = setTimeout(() => {
      this.localFailure = new DicomClientError(
        'ASSOCIATION_TIMEOUT',
        this.peer,
        `no answer to A-ASSOCIATE-RQ within ${timeoutMs} ms`,
      );
      this.abortConnection('association timeout');
    }, timeoutMs);
    this.connection.requestAssociation(this.rq);
    return opened;
  }

  private clearAssociationTimer(): void {
    if (this.associationTimer !== undefined) clearTimeout(this.associationTimer);
    this.associationTimer = undefined;
  }

  private abortConnection(reason: string): void {
    this.connection.abort(reason);
    // The peer should close after A-ABORT; do not wait long for it.
    setTimeout(() => this.socket.destroy(), ABORT_CLOSE_MS).unref();
  }

  private onEnded(ending: Ending): void {
    this.ending = ending;
    this.clearAssociationTimer();
    this.clearDimseTimer();
    const error = this.endingError(ending);
    this.openedCallbacks.reject(error); // no effect once opened
    const pending = this.current;
    this.current = undefined;
    if (pending !== undefined && !pending.finished) {
      pending.finished = true;
      pending.fail(error);
    }
    const receiving = this.receiving;
    this.receiving = undefined;
    if (receiving?.kind === 'store') {
      // After the fragment being stored: the sink must not be aborted under a write or a seal.
      void receiving.tail
        .then(() => receiving.sink)
        .then((sink) => ('refused' in sink ? undefined : sink.abort()))
        .catch(() => undefined);
    }
    this.resolveEnded(ending);
  }

  private endingError(ending: Ending): DicomClientError {
    if (this.localFailure !== undefined) return this.localFailure;
    const opened = this.agreed !== undefined;
    switch (ending.kind) {
      case 'rejected':
        return new DicomClientError('ASSOCIATION_REJECTED', this.peer, rejectionReason(ending.rj), {
          rejection: ending.rj,
        });
      case 'aborted-by-peer':
        return new DicomClientError(
          'ASSOCIATION_ABORTED',
          this.peer,
          `the peer aborted the association (A-ABORT ${String(ending.abort.source)}: ${String(ending.abort.reason)})`,
        );
      case 'aborted':
        return new DicomClientError(
          'ASSOCIATION_ABORTED',
          this.peer,
          `association aborted: ${ending.reason}`,
        );
      case 'connection-lost':
        return new DicomClientError(
          'ASSOCIATION_ABORTED',
          this.peer,
          opened
            ? 'the connection closed without A-RELEASE or A-ABORT'
            : 'the peer closed the connection during association negotiation',
        );
      case 'released':
        return new DicomClientError('CLOSED', this.peer, 'the association was released');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  private enqueue<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (this.ending !== undefined || this.agreed === undefined) {
        throw this.ending === undefined
          ? new DicomClientError('CLOSED', this.peer, 'the association is not established')
          : this.endingError(this.ending);
      }
      return run();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private contextFor(operation: DimseOperation, sopClassUid: string): NegotiatedContext {
    for (const context of this.negotiated.contexts.values()) {
      if (context.abstractSyntax === sopClassUid) return context;
    }
    throw new DicomClientError(
      'NO_PRESENTATION_CONTEXT',
      this.peer,
      `the peer accepted no presentation context for ${operation} (SOP class ${sopClassUid})`,
    );
  }

  /** Sends a request that has one response (C-ECHO, C-STORE); resolves with that response. */
  private request(
    operation: DimseOperation,
    context: NegotiatedContext,
    build: (messageId: number) => Command,
    dataset?: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array,
  ): Promise<{ command: Command; dataset: Uint8Array | undefined }> {
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        operation,
        messageId: this.allocateMessageId(),
        contextId: context.id,
        sent: false,
        finished: false,
        response: (command, data) => {
          pending.finished = true;
          resolve({ command, dataset: data });
          return undefined;
        },
        fail: reject,
      };
      this.send(pending, build(pending.messageId), dataset);
    });
  }

  /** Sends the request of `pending`; a failure to send ends the association (it is inconsistent). */
  private send(
    pending: Pending,
    command: Command,
    dataset?: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array,
  ): void {
    this.current = pending;
    this.connection.sendMessage(pending.contextId, command, dataset).then(
      () => {
        pending.sent = true;
        if (this.current === pending && !pending.finished) this.armDimseTimer();
      },
      (error: unknown) => {
        if (pending.finished) return;
        // A data set cut short (an unreadable file) leaves the peer mid-message: abort.
        this.localFailure ??= new DicomClientError(
          'ASSOCIATION_ABORTED',
          this.peer,
          `cannot send ${command.kind}: ${commentForError(error)}`,
          { cause: error },
        );
        const failure = this.localFailure;
        if (this.ending === undefined) this.abortConnection(`cannot send ${command.kind}`);
        pending.finished = true;
        if (this.current === pending) this.current = undefined;
        pending.fail(failure);
      },
    );
  }

  /** C-FIND, C-MOVE and C-GET: a request answered by pending responses and a final one. */
  private stream<T, R>(
    operation: DimseOperation,
    sopClassUid: string,
    target: QueryTarget,
    identifier: Dataset,
    handlers: {
      request: (messageId: number) => Command;
      pending: (
        command: Command,
        dataset: Uint8Array | undefined,
        context: NegotiatedContext,
      ) => T | undefined;
      final: (command: Command, dataset: Uint8Array | undefined, context: NegotiatedContext) => R;
      sink?: StoreHandler;
    },
  ): ResponseStream<T, R> {
    let messageId = 0;
    let cancelWanted = false;
    const channel = new Channel<T>({
      onReturn: () => {
        // The consumer left the loop: stop the operation; its responses are then discarded.
        cancelWanted = true;
        if (messageId !== 0) void this.cancel(messageId).catch(() => undefined);
      },
    });
    const done = this.enqueue(
      () =>
        new Promise<R>((resolve, reject) => {
          const context = this.contextFor(operation, sopClassUid);
          if (target.level !== undefined)
            setStrings(identifier, QUERY_RETRIEVE_LEVEL, [target.level]);
          const encoding = transferSyntaxOf(context.transferSyntax);
          const bytes = encodeDataset(identifier, {
            explicitVR: encoding.explicitVR,
            littleEndian: encoding.littleEndian,
          });
          const pending: Pending = {
            operation,
            messageId: this.allocateMessageId(),
            contextId: context.id,
            sent: false,
            finished: false,
            sink: handlers.sink,
            response: (command, dataset) => {
              const status = statusOf(command);
              if (statusCategory(status) === 'pending') {
                const item = handlers.pending(command, dataset, context);
                return item === undefined ? undefined : channel.push(item);
              }
              pending.finished = true;
              try {
                resolve(handlers.final(command, dataset, context));
                channel.close();
              } catch (caught) {
                const error = asError(caught);
                reject(error);
                channel.close({ error });
              }
              return undefined;
            },
            fail: (error) => {
              reject(error);
              channel.close({ error });
            },
          };
          messageId = pending.messageId;
          this.send(pending, handlers.request(pending.messageId), bytes);
          if (cancelWanted) void this.cancel(messageId).catch(() => undefined);
        }),
    );
    done.catch((error: unknown) => channel.close({ error: asError(error) }));
    return {
      get messageId() {
        return messageId;
      },
      done,
      cancel: async () => {
        cancelWanted = true;
        if (messageId !== 0) await this.cancel(messageId);
      },
      [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
    };
  }

  private allocateMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = id >= 0xffff ? 1 : id + 1;
    return id;
  }

  /** The result of a final response, or the DIMSE_FAILURE error of a failure status. */
  private finalResult(operation: DimseOperation, command: Command): DimseResult {
    const status = statusOf(command);
    const errorComment = 'errorComment' in command ? command.errorComment : undefined;
    if (statusCategory(status) === 'failure') {
      throw dimseFailure(this.peer, operation, status, errorComment);
    }
    return { status, errorComment };
  }

  private retrieveResult(
    operation: 'C-MOVE' | 'C-GET',
    command: Command,
    dataset: Uint8Array | undefined,
    context: NegotiatedContext,
  ): RetrieveResult {
    const progress = progressOf(command);
    const errorComment = 'errorComment' in command ? command.errorComment : undefined;
    let failedSopInstanceUids: string[] | undefined;
    if (dataset !== undefined) {
      try {
        const identifier = parseDataset(dataset, context.transferSyntax);
        const element = identifier.get(FAILED_SOP_INSTANCE_UID_LIST);
        if (element?.kind === 'value' && element.bytes !== undefined) {
          failedSopInstanceUids = Buffer.from(element.bytes)
            .toString('latin1')
            .split('\\')
            .map((uid) => uid.replace(/[\0 ]+$/, ''))
            .filter((uid) => uid !== '');
        }
      } catch {
        // The list is informative; an unreadable one does not change the outcome.
      }
    }
    if (statusCategory(progress.status) === 'failure') {
      throw dimseFailure(this.peer, operation, progress.status, errorComment, progress);
    }
    return { ...progress, errorComment, failedSopInstanceUids };
  }

  // ---------------------------------------------------------------------------------------------
  // What the peer sends

  private onCommand(event: CommandEvent): void {
    this.touchDimseTimer();
    const { command, hasDataset, contextId } = event;
    if (command.kind === 'C-STORE-RQ') {
      this.onStoreRequest(command, contextId, hasDataset);
      return;
    }
    if (!isResponseKind(command.kind)) {
      this.protocolError(`unexpected ${command.kind} from the acceptor`);
      return;
    }
    const pending = this.current;
    const respondsTo =
      'messageIdBeingRespondedTo' in command ? command.messageIdBeingRespondedTo : -1;
    if (pending === undefined || pending.finished || respondsTo !== pending.messageId) {
      this.protocolError(`${command.kind} for message ${respondsTo}, which is not outstanding`);
      return;
    }
    if (hasDataset) {
      this.receiving = { kind: 'response', pending, command, chunks: [], length: 0 };
      return;
    }
    void this.deliver(pending, command, undefined);
  }

  private onDataset(event: DatasetEvent): void | Promise<void> {
    this.touchDimseTimer();
    const receiving = this.receiving;
    if (receiving === undefined) return;
    if (receiving.kind === 'store') {
      const step = this.storeFragment(receiving, event);
      receiving.tail = step.catch(() => undefined);
      return step;
    }
    receiving.length += event.data.length;
    if (receiving.length > MAX_RESPONSE_DATASET) {
      this.protocolError(`response data set longer than ${MAX_RESPONSE_DATASET} bytes`);
      return;
    }
    // Fragments are views into received PDUs: copy, since they outlive the PDU.
    receiving.chunks.push(Uint8Array.prototype.slice.call(event.data));
    if (!event.last) return;
    this.receiving = undefined;
    return this.deliver(
      receiving.pending,
      receiving.command,
      join(receiving.chunks, receiving.length),
    );
  }

  private deliver(
    pending: Pending,
    command: Command,
    dataset: Uint8Array | undefined,
  ): Promise<void> | undefined {
    const final = statusCategory(statusOf(command)) !== 'pending';
    if (final) {
      this.clearDimseTimer();
      if (this.current === pending) this.current = undefined;
    }
    return pending.response(command, dataset);
  }

  /** A C-STORE sub-operation of our C-GET (PS3.4 C.4.3.3). */
  private onStoreRequest(
    command: CommandOf<'C-STORE-RQ'>,
    contextId: number,
    hasDataset: boolean,
  ): void {
    if (!hasDataset) {
      this.respondStore(contextId, command, Status.MistypedArgument, 'no data set');
      return;
    }
    this.receiving = {
      kind: 'store',
      command,
      contextId,
      sink: this.openSink(command, contextId),
      tail: Promise.resolve(),
    };
  }

  private async openSink(
    command: CommandOf<'C-STORE-RQ'>,
    contextId: number,
  ): Promise<StoreSink | { refused: number; comment: string }> {
    const context = this.agreed?.contexts.get(contextId);
    if (context === undefined || context.abstractSyntax !== command.affectedSopClassUid) {
      return {
        refused: Status.DataSetDoesNotMatchSopClass,
        comment: 'SOP class differs from the presentation context',
      };
    }
    const handler = this.current?.sink;
    if (handler === undefined) {
      return { refused: Status.RefusedSopClassNotSupported, comment: 'no C-GET is running' };
    }
    try {
      return await handler({
        association: this.associationInfo(),
        command,
        transferSyntaxUid: context.transferSyntax,
      });
    } catch (error) {
      return { refused: statusForError(error, 'store'), comment: commentForError(error) };
    }
  }

  private async storeFragment(
    receiving: Extract<Receiving, { kind: 'store' }>,
    event: DatasetEvent,
  ): Promise<void> {
    const sink = await receiving.sink;
    let outcome: { status: number; errorComment?: string | undefined } | undefined;
    if ('refused' in sink) {
      if (event.last) outcome = { status: sink.refused, errorComment: sink.comment };
    } else {
      try {
        await sink.write(event.data);
        if (event.last) outcome = await sink.end();
      } catch (error) {
        await sink.abort().catch(() => undefined);
        const refused = {
          refused: statusForError(error, 'store'),
          comment: commentForError(error),
        };
        // The rest of this data set is discarded; the failure is answered at its end.
        receiving.sink = Promise.resolve(refused);
        if (event.last) outcome = { status: refused.refused, errorComment: refused.comment };
      }
    }
    if (outcome === undefined) return;
    if (this.receiving === receiving) this.receiving = undefined;
    this.respondStore(receiving.contextId, receiving.command, outcome.status, outcome.errorComment);
  }

  private respondStore(
    contextId: number,
    command: CommandOf<'C-STORE-RQ'>,
    status: number,
    errorComment: string | undefined,
  ): void {
    this.connection
      .sendMessage(contextId, {
        kind: 'C-STORE-RSP',
        messageIdBeingRespondedTo: command.messageId,
        affectedSopClassUid: command.affectedSopClassUid,
        affectedSopInstanceUid: command.affectedSopInstanceUid,
        status,
        errorComment: statusCategory(status) === 'failure' ? errorComment : undefined,
      })
      .catch(() => undefined); // the association is ending; onEnded reports it
  }

  private associationInfo(): AssociationInfo {
    return {
      id: this.info.id,
      callingAeTitle: this.rq.callingAeTitle,
      calledAeTitle: this.rq.calledAeTitle,
      remoteAddress: this.info.remoteAddress,
      remotePort: this.info.remotePort,
      negotiated: this.negotiated,
    };
  }

  private protocolError(reason: string): void {
    this.localFailure ??= new DicomClientError('ASSOCIATION_ABORTED', this.peer, reason);
    this.abortConnection(reason);
  }

  // --- DIMSE timeout --------------------------------------------------------------------------

  private armDimseTimer(): void {
    const timeoutMs = this.options.dimseTimeoutMs ?? 0;
    if (timeoutMs <= 0) return;
    this.clearDimseTimer();
    this.dimseTimer = setTimeout(() => {
      const pending = this.current;
      this.localFailure ??= new DicomClientError(
        'DIMSE_TIMEOUT',
        this.peer,
        `no response to ${pending?.operation ?? 'the request'} within ${timeoutMs} ms`,
      );
      this.abortConnection('DIMSE timeout');
    }, timeoutMs);
  }

  /** Anything from the peer while a request is outstanding restarts the DIMSE timer. */
  private touchDimseTimer(): void {
    if (this.dimseTimer !== undefined) this.armDimseTimer();
  }

  private clearDimseTimer(): void {
    if (this.dimseTimer !== undefined) clearTimeout(this.dimseTimer);
    this.dimseTimer = undefined;
  }
}

// ---------------------------------------------------------------------------------------------

/** `JPEG 2000 Image Compression (1.2.840.10008.1.2.4.91)`, or the bare UID when unknown. */
function uidName(uid: string): string {
  const name = lookupUid(uid)?.name;
  return name === undefined ? uid : `${name} (${uid})`;
}

function peerName(options: Pick<DicomClientOptions, 'calledAeTitle' | 'host' | 'port'>): string {
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return `${options.calledAeTitle}@${host}:${options.port}`;
}

/** TCP connect, then the TLS handshake when asked; typed errors that name the peer. */
function openSocket(options: DicomClientOptions): Promise<Socket> {
  const peer = peerName(options);
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let tcpConnected = false;
    const socket =
      options.tls === undefined
        ? tcpConnect({ host: options.host, port: options.port })
        : tlsConnect({ ...options.tls, host: options.host, port: options.port });
    const ready = options.tls === undefined ? 'connect' : 'secureConnect';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new DicomClientError(
          'CONNECT_TIMEOUT',
          peer,
          `${tcpConnected ? 'TLS handshake' : 'connection'} not complete within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const onError = (error: Error & { code?: string }): void => {
      clearTimeout(timer);
      socket.destroy();
      // 'connect ECONNREFUSED 127.0.0.1:104' -> 'ECONNREFUSED 127.0.0.1:104'
      const message = error.message.replace(/^connect /, '');
      const detail =
        error.code !== undefined && !message.includes(error.code)
          ? `${error.code}: ${message}`
          : message;
      reject(
        tcpConnected && options.tls !== undefined
          ? new DicomClientError('TLS_FAILED', peer, `TLS handshake failed (${detail})`, {
              cause: error,
            })
          : new DicomClientError('CONNECT_FAILED', peer, `cannot connect (${detail})`, {
              cause: error,
            }),
      );
    };
    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.once('error', onError);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function sopClassOf(target: QueryTarget, operation: 'find' | 'move' | 'get'): string {
  return 'sopClassUid' in target
    ? target.sopClassUid
    : queryRetrieveSopClass(target.root, operation);
}

function statusOf(command: Command): number {
  return 'status' in command ? command.status : Status.Success;
}

function progressOf(command: Command): RetrieveProgress {
  const counts = 'subOperations' in command ? command.subOperations : {};
  return {
    status: statusOf(command),
    remaining: counts.remaining,
    completed: counts.completed,
    failed: counts.failed,
    warning: counts.warning,
  };
}

const RESPONSE_KINDS: ReadonlySet<CommandKind> = new Set<CommandKind>([
  'C-ECHO-RSP',
  'C-STORE-RSP',
  'C-FIND-RSP',
  'C-MOVE-RSP',
  'C-GET-RSP',
]);

function isResponseKind(kind: CommandKind): boolean {
  return RESPONSE_KINDS.has(kind);
}

function parseDataset(bytes: Uint8Array, transferSyntaxUid: string): Dataset {
  const parser = new DicomParser({
    input: 'dataset',
    transferSyntaxUid: transferSyntaxUid === '' ? IMPLICIT_VR_LITTLE_ENDIAN : transferSyntaxUid,
  });
  parser.write(bytes);
  return parser.end().dataset;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function join(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
