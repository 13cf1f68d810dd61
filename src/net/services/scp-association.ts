import type { Dataset } from '../../dicom/dataset.js';
import { DicomParser } from '../../dicom/parse/index.js';
import { transferSyntaxOf } from '../../dicom/transfer-syntax.js';
import { encodeDataset } from '../../dicom/write/encode.js';
import { Priority, type Command, type CommandOf, type SubOperations } from '../dimse/command.js';
import { Status, statusCategory } from '../dimse/status.js';
import type { CommandEvent, DatasetEvent, DicomConnection } from '../transport/connection.js';
import type {
  AssociationInfo,
  OutgoingInstance,
  RetrieveResult,
  ServiceHandlers,
  StoreSink,
} from './handlers.js';
import { commentForError, statusForError } from './status-for-error.js';

/** Identifiers are small; a larger one is a broken or hostile peer. */
const MAX_IDENTIFIER_LENGTH = 1024 * 1024;

/**
 * Data set bytes handed to the store sink and not yet written before the socket is paused: the
 * connection keeps reading (and the peer sending) while the sink writes the previous fragments,
 * yet memory stays bounded by this plus one PDU whatever the size of the object.
 */
const MAX_QUEUED_STORE_BYTES = 512 * 1024;

type Refusal = { refused: number; comment: string };

type Receiving =
  | {
      readonly kind: 'store';
      readonly command: CommandOf<'C-STORE-RQ'>;
      readonly contextId: number;
      /**
       * The sink, or the status that refused the store (its data are then discarded). Replaced by
       * a refusal when a write fails; later fragments then go nowhere.
       */
      sink: Promise<StoreSink | Refusal>;
      /** The fragments given to the sink, in order: settles when the last one queued is done. */
      tail: Promise<void>;
      /** Bytes queued on `tail` and not yet written. */
      queued: number;
    }
  | {
      readonly kind: 'identifier';
      readonly command: CommandOf<'C-FIND-RQ' | 'C-MOVE-RQ' | 'C-GET-RQ'>;
      readonly contextId: number;
      readonly chunks: Uint8Array[];
      length: number;
    };

/**
 * The service side of one accepted association: dispatches DIMSE requests to the handlers and
 * answers them. One request is performed at a time (we negotiate no asynchronous operations),
 * but C-CANCEL and the C-STORE responses of C-GET sub-operations are read while it runs.
 */
export class ScpAssociation {
  private receiving: Receiving | undefined;
  /** The running C-FIND/C-MOVE/C-GET, cancellable by message ID. */
  private readonly running = new Map<number, AbortController>();
  /** C-GET sub-operations waiting for their C-STORE-RSP, by message ID. */
  private readonly subOperations = new Map<number, (status: number) => void>();
  private nextMessageId = 1;

  constructor(
    private readonly connection: DicomConnection,
    private readonly info: AssociationInfo,
    private readonly handlers: ServiceHandlers,
    private readonly log: (message: string) => void,
  ) {}

  command(event: CommandEvent): void {
    const { command, contextId, hasDataset } = event;
    // PS3.8 9.3.5.1: a PDV names a presentation context that was accepted. Answering on another
    // one would be a protocol error of our own; the peer is broken, so the association ends.
    if (!this.info.negotiated.contexts.has(contextId)) {
      this.connection.abort(`${command.kind} on presentation context ${contextId}, never accepted`);
      return;
    }
    switch (command.kind) {
      case 'C-ECHO-RQ':
        void this.echo(contextId, command);
        return;
      case 'C-STORE-RQ':
        if (!hasDataset) {
          this.respond(contextId, storeResponse(command, Status.MistypedArgument, 'no data set'));
          return;
        }
        this.receiving = {
          kind: 'store',
          command,
          contextId,
          sink: this.openSink(contextId, command),
          tail: Promise.resolve(),
          queued: 0,
        };
        return;
      case 'C-FIND-RQ':
      case 'C-MOVE-RQ':
      case 'C-GET-RQ':
        if (!hasDataset) {
          this.respond(contextId, failure(command, Status.MistypedArgument, 'no identifier'));
          return;
        }
        this.receiving = { kind: 'identifier', command, contextId, chunks: [], length: 0 };
        return;
      case 'C-CANCEL-RQ':
        // PS3.7 9.3.2.3: a cancel for an operation no longer running is ignored.
        this.running.get(command.messageIdBeingRespondedTo)?.abort();
        return;
      case 'C-STORE-RSP': {
        const resolve = this.subOperations.get(command.messageIdBeingRespondedTo);
        this.subOperations.delete(command.messageIdBeingRespondedTo);
        resolve?.(command.status);
        return;
      }
      default:
        this.connection.abort(`unexpected ${command.kind} from the requestor`);
    }
  }

  dataset(event: DatasetEvent): void | Promise<void> {
    const receiving = this.receiving;
    if (receiving === undefined) return;
    if (receiving.kind === 'store') return this.queueFragment(receiving, event);
    receiving.length += event.data.length;
    if (receiving.length > MAX_IDENTIFIER_LENGTH) {
      this.connection.abort(`identifier longer than ${MAX_IDENTIFIER_LENGTH} bytes`);
      return;
    }
    receiving.chunks.push(event.data);
    if (!event.last) return;
    this.receiving = undefined;
    void this.query(receiving);
  }

  /** The association is over: abandon a partial object, stop running operations. */
  async ended(): Promise<void> {
    for (const controller of this.running.values()) controller.abort();
    for (const resolve of this.subOperations.values()) resolve(Status.ProcessingFailure);
    this.subOperations.clear();
    const receiving = this.receiving;
    this.receiving = undefined;
    if (receiving?.kind === 'store') {
      await receiving.tail;
      const sink = await receiving.sink;
      if (!('refused' in sink)) await sink.abort().catch(() => undefined);
    }
  }

  // --- C-ECHO -------------------------------------------------------------------------------

  private async echo(contextId: number, command: CommandOf<'C-ECHO-RQ'>): Promise<void> {
    let status: number;
    try {
      status = (await this.handlers.echo?.(this.info)) ?? Status.Success;
    } catch (error) {
      status = statusForError(error, 'query');
    }
    this.respond(contextId, {
      kind: 'C-ECHO-RSP',
      messageIdBeingRespondedTo: command.messageId,
      affectedSopClassUid: command.affectedSopClassUid,
      status,
    });
  }

  // --- C-STORE ------------------------------------------------------------------------------

  private async openSink(
    contextId: number,
    command: CommandOf<'C-STORE-RQ'>,
  ): Promise<StoreSink | Refusal> {
    const context = this.info.negotiated.contexts.get(contextId);
    if (context === undefined || context.abstractSyntax !== command.affectedSopClassUid) {
      return {
        refused: Status.DataSetDoesNotMatchSopClass,
        comment: 'SOP class differs from the presentation context',
      };
    }
    const handler = this.handlers.store;
    if (handler === undefined) {
      return { refused: Status.RefusedSopClassNotSupported, comment: 'storage not offered' };
    }
    try {
      return await handler({
        association: this.info,
        command,
        transferSyntaxUid: context.transferSyntax,
      });
    } catch (error) {
      return { refused: statusForError(error, 'store'), comment: commentForError(error) };
    }
  }

  /**
   * Queues a fragment for the sink. The socket is held (a promise is returned) only when more than
   * MAX_QUEUED_STORE_BYTES wait, and at the last fragment, so that nothing after the data set (the
   * next command, a release) is read before its response is sent.
   */
  private queueFragment(
    receiving: Extract<Receiving, { kind: 'store' }>,
    event: DatasetEvent,
  ): Promise<void> | undefined {
    const length = event.data.length;
    receiving.queued += length;
    if (event.last) this.receiving = undefined;
    const step = receiving.tail.then(() => this.storeFragment(receiving, event));
    receiving.tail = step.then(
      () => {
        receiving.queued -= length;
      },
      (error: unknown) => {
        receiving.queued -= length;
        this.connection.abort(`storing a fragment failed: ${commentForError(error)}`);
      },
    );
    if (event.last || receiving.queued > MAX_QUEUED_STORE_BYTES) return receiving.tail;
    return undefined;
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
        // Later fragments of this data set are discarded; the failure is answered at the end.
        const refusal: Refusal = {
          refused: statusForError(error, 'store'),
          comment: commentForError(error),
        };
        receiving.sink = Promise.resolve(refusal);
        if (!event.last) return;
        outcome = { status: refusal.refused, errorComment: refusal.comment };
      }
    }
    if (outcome === undefined) return;
    const { command, contextId } = receiving;
    if (statusCategory(outcome.status) === 'failure') {
      this.log(`C-STORE ${command.affectedSopInstanceUid} failed: ${outcome.errorComment ?? ''}`);
    }
    this.respond(contextId, storeResponse(command, outcome.status, outcome.errorComment));
  }

  // --- C-FIND, C-MOVE, C-GET ----------------------------------------------------------------

  private async query(receiving: Extract<Receiving, { kind: 'identifier' }>): Promise<void> {
    const { command, contextId } = receiving;
    const context = this.info.negotiated.contexts.get(contextId);
    let identifier: Dataset;
    try {
      const parser = new DicomParser({
        input: 'dataset',
        transferSyntaxUid: context?.transferSyntax ?? '1.2.840.10008.1.2',
      });
      for (const chunk of receiving.chunks) parser.write(chunk);
      identifier = parser.end().dataset;
    } catch (error) {
      this.respond(
        contextId,
        failure(command, Status.IdentifierDoesNotMatchSopClass, commentForError(error)),
      );
      return;
    }
    const controller = new AbortController();
    this.running.set(command.messageId, controller);
    try {
      switch (command.kind) {
        case 'C-FIND-RQ':
          await this.find(contextId, command, identifier, controller.signal);
          break;
        case 'C-MOVE-RQ':
          await this.retrieve(contextId, command, identifier, controller.signal);
          break;
        case 'C-GET-RQ':
          await this.retrieve(contextId, command, identifier, controller.signal);
          break;
      }
    } finally {
      this.running.delete(command.messageId);
    }
  }

  private async find(
    contextId: number,
    command: CommandOf<'C-FIND-RQ'>,
    identifier: Dataset,
    signal: AbortSignal,
  ): Promise<void> {
    const handler = this.handlers.find;
    if (handler === undefined) {
      this.respond(
        contextId,
        failure(command, Status.RefusedSopClassNotSupported, 'C-FIND not offered'),
      );
      return;
    }
    const encoding = encodingOfContext(this.info, contextId);
    let status: number = Status.Success;
    let comment: string | undefined;
    try {
      for await (const match of handler({ association: this.info, command, identifier, signal })) {
        if (signal.aborted) break;
        const bytes = encodeDataset(match, encoding);
        await this.connection.sendMessage(
          contextId,
          {
            kind: 'C-FIND-RSP',
            messageIdBeingRespondedTo: command.messageId,
            affectedSopClassUid: command.affectedSopClassUid,
            status: Status.Pending,
          },
          bytes,
        );
      }
      if (signal.aborted) status = Status.Cancel;
    } catch (error) {
      status = statusForError(error, 'query');
      comment = commentForError(error);
    }
    this.respond(contextId, {
      kind: 'C-FIND-RSP',
      messageIdBeingRespondedTo: command.messageId,
      affectedSopClassUid: command.affectedSopClassUid,
      status,
      errorComment: comment,
    });
  }

  private async retrieve(
    contextId: number,
    command: CommandOf<'C-MOVE-RQ' | 'C-GET-RQ'>,
    identifier: Dataset,
    signal: AbortSignal,
  ): Promise<void> {
    const kind = command.kind === 'C-MOVE-RQ' ? 'C-MOVE-RSP' : 'C-GET-RSP';
    const base = { association: this.info, identifier, signal };
    let generator: AsyncGenerator<SubOperations, RetrieveResult> | undefined;
    if (command.kind === 'C-MOVE-RQ' && this.handlers.move !== undefined) {
      generator = this.handlers.move({ ...base, command });
    } else if (command.kind === 'C-GET-RQ' && this.handlers.get !== undefined) {
      generator = this.handlers.get({
        ...base,
        command,
        store: (instance) => this.subOperation(command, instance),
      });
    }
    if (generator === undefined) {
      this.respond(
        contextId,
        failure(command, Status.RefusedSopClassNotSupported, `${command.kind} not offered`),
      );
      return;
    }
    let result: RetrieveResult;
    let comment: string | undefined;
    let last: SubOperations = {};
    try {
      for (;;) {
        const next = await generator.next();
        if (next.done === true) {
          result = next.value;
          break;
        }
        last = next.value;
        if (signal.aborted) continue; // PS3.4 C.4.2.3.1: no more pending responses after cancel
        await this.connection.sendMessage(contextId, {
          kind,
          messageIdBeingRespondedTo: command.messageId,
          affectedSopClassUid: command.affectedSopClassUid,
          status: Status.Pending,
          subOperations: next.value,
        });
      }
    } catch (error) {
      result = { ...last, status: statusForError(error, 'query') };
      comment = commentForError(error);
    }
    const status = result.status ?? finalRetrieveStatus(result, signal.aborted);
    // Final responses carry no Remaining count (PS3.4 C.4.2.1.6) unless cancelled.
    const { remaining, completed, failed, warning } = result;
    this.respond(contextId, {
      kind,
      messageIdBeingRespondedTo: command.messageId,
      affectedSopClassUid: command.affectedSopClassUid,
      status,
      errorComment: comment,
      subOperations: {
        remaining: status === Status.Cancel ? remaining : undefined,
        completed,
        failed,
        warning,
      },
    });
  }

  /** A C-STORE sub-operation of a C-GET on this association (PS3.4 C.4.3.3). */
  private async subOperation(
    command: CommandOf<'C-GET-RQ'>,
    instance: OutgoingInstance,
  ): Promise<number> {
    const context = [...this.info.negotiated.contexts.values()].find(
      (c) =>
        c.abstractSyntax === instance.sopClassUid &&
        c.transferSyntax === instance.transferSyntaxUid &&
        c.requestorRoles.scp,
    );
    if (context === undefined) return Status.RefusedSopClassNotSupported;
    const messageId = this.nextMessageId++;
    const response = new Promise<number>((resolve) => this.subOperations.set(messageId, resolve));
    await this.connection.sendMessage(
      context.id,
      {
        kind: 'C-STORE-RQ',
        messageId,
        affectedSopClassUid: instance.sopClassUid,
        affectedSopInstanceUid: instance.sopInstanceUid,
        priority: command.priority ?? Priority.Medium,
      },
      instance.dataset(),
    );
    return response;
  }

  private respond(contextId: number, response: Command): void {
    this.connection.sendMessage(contextId, response).catch((error: unknown) => {
      this.log(`cannot send ${response.kind}: ${commentForError(error)}`);
    });
  }
}

function storeResponse(
  command: CommandOf<'C-STORE-RQ'>,
  status: number,
  errorComment?: string,
): Command {
  return {
    kind: 'C-STORE-RSP',
    messageIdBeingRespondedTo: command.messageId,
    affectedSopClassUid: command.affectedSopClassUid,
    affectedSopInstanceUid: command.affectedSopInstanceUid,
    status,
    errorComment: statusCategory(status) === 'failure' ? errorComment : undefined,
  };
}

function failure(
  command: CommandOf<'C-FIND-RQ' | 'C-MOVE-RQ' | 'C-GET-RQ'>,
  status: number,
  errorComment: string,
): Command {
  const base = {
    messageIdBeingRespondedTo: command.messageId,
    affectedSopClassUid: command.affectedSopClassUid,
    status,
    errorComment,
  };
  switch (command.kind) {
    case 'C-FIND-RQ':
      return { kind: 'C-FIND-RSP', ...base };
    case 'C-MOVE-RQ':
      return { kind: 'C-MOVE-RSP', ...base, subOperations: {} };
    case 'C-GET-RQ':
      return { kind: 'C-GET-RSP', ...base, subOperations: {} };
  }
}

/** PS3.4 C.4.2.1.5: success, warning when some failed, failure when all failed. */
function finalRetrieveStatus(result: RetrieveResult, cancelled: boolean): number {
  if (cancelled) return Status.Cancel;
  const failed = result.failed ?? 0;
  const done = (result.completed ?? 0) + (result.warning ?? 0);
  if (failed === 0 && (result.warning ?? 0) === 0) return Status.Success;
  if (failed > 0 && done === 0) return Status.OutOfResourcesSubOperations;
  return Status.SubOperationsCompleteWithFailures;
}

function encodingOfContext(info: AssociationInfo, contextId: number) {
  const syntax = transferSyntaxOf(
    info.negotiated.contexts.get(contextId)?.transferSyntax ?? '1.2.840.10008.1.2',
  );
  return { explicitVR: syntax.explicitVR, littleEndian: syntax.littleEndian };
}
