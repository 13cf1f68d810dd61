import type { Dataset } from '../../dicom/dataset.js';
import type { CommandOf, SubOperations } from '../dimse/command.js';
import type { NegotiatedAssociation } from '../negotiation/index.js';

/** Who is on the other end of an association, for handlers, logs and access decisions. */
export interface AssociationInfo {
  /** A process-unique number, for logs. */
  readonly id: number;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly negotiated: NegotiatedAssociation;
}

/**
 * A handler's way to answer with a particular DIMSE status: throw it. Anything else a handler
 * throws becomes a failure status chosen in one place (see status-for-error.ts).
 */
export class DimseStatusError extends Error {
  readonly status: number;
  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DimseStatusError';
    this.status = status;
  }
}

// --- C-ECHO ----------------------------------------------------------------------------------

export type EchoHandler = (association: AssociationInfo) => Promise<number> | number;

// --- C-STORE ---------------------------------------------------------------------------------

export interface StoreRequest {
  readonly association: AssociationInfo;
  readonly command: CommandOf<'C-STORE-RQ'>;
  /** The transfer syntax of the presentation context: the data set bytes are in it. */
  readonly transferSyntaxUid: string;
}

/** Where a received data set goes, fragment by fragment. */
export interface StoreSink {
  /** Takes the next bytes; the connection waits for the promise (back-pressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** The data set is complete: make it durable and say how it went. */
  end(): Promise<StoreOutcome>;
  /** The data set will not complete (abort, disconnect, error): remove every trace of it. */
  abort(): Promise<void>;
}

export interface StoreOutcome {
  readonly status: number;
  readonly errorComment?: string | undefined;
}

/** Opens a sink for one C-STORE; throwing refuses it with a status (the data is discarded). */
export type StoreHandler = (request: StoreRequest) => Promise<StoreSink>;

// --- C-FIND ----------------------------------------------------------------------------------

export interface QueryRequest<K extends 'C-FIND-RQ' | 'C-MOVE-RQ' | 'C-GET-RQ'> {
  readonly association: AssociationInfo;
  readonly command: CommandOf<K>;
  /** The identifier: query keys and return keys (PS3.4 C.4.1.1.3). */
  readonly identifier: Dataset;
  /** Aborted when the peer sends C-CANCEL or the association ends. */
  readonly signal: AbortSignal;
}

/**
 * Yields each match (sent as a Pending response); the final Success (or Cancel, when the signal
 * fired) is sent when the iteration ends. Throw DimseStatusError for another final status.
 */
export type FindHandler = (request: QueryRequest<'C-FIND-RQ'>) => AsyncIterable<Dataset>;

// --- C-MOVE and C-GET ------------------------------------------------------------------------

/** The final answer of a retrieval: its status comes from the counts unless given. */
export interface RetrieveResult extends SubOperations {
  readonly status?: number | undefined;
  /** SOP Instance UIDs that failed (PS3.4 C.4.2.1.4: Failed SOP Instance UID List). */
  readonly failedSopInstanceUids?: readonly string[] | undefined;
}

/**
 * Performs the C-STORE sub-operations to `command.moveDestination` itself, yielding progress as
 * it goes (sent as Pending responses) and returning the totals.
 */
export type MoveHandler = (
  request: QueryRequest<'C-MOVE-RQ'>,
) => AsyncGenerator<SubOperations, RetrieveResult>;

/** One object a C-GET sends back on the same association. */
export interface OutgoingInstance {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** The data set bytes, in `transferSyntaxUid`, streamed. */
  readonly dataset: () => AsyncIterable<Uint8Array>;
}

export interface GetRequest extends QueryRequest<'C-GET-RQ'> {
  /**
   * Sends one instance as a C-STORE sub-operation on this association and resolves to the
   * peer's status. Never transcodes: without an accepted context for the instance's SOP class
   * and transfer syntax, it resolves to a failure without sending.
   */
  readonly store: (instance: OutgoingInstance) => Promise<number>;
}

export type GetHandler = (request: GetRequest) => AsyncGenerator<SubOperations, RetrieveResult>;

export interface ServiceHandlers {
  readonly echo?: EchoHandler | undefined;
  readonly store?: StoreHandler | undefined;
  readonly find?: FindHandler | undefined;
  readonly move?: MoveHandler | undefined;
  readonly get?: GetHandler | undefined;
}
