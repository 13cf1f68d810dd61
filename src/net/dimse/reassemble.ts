import type { Pdv } from '../pdu/types.js';
import { decodeCommand, DimseError, type Command } from './command.js';

/** Command sets are small; anything larger is a broken or hostile peer (PS3.7 E.2). */
const MAX_COMMAND_LENGTH = 64 * 1024;

export type DimseEvent =
  | {
      readonly type: 'command';
      readonly contextId: number;
      readonly command: Command;
      readonly hasDataset: boolean;
    }
  /** A piece of the data set that follows the command, passed on as it arrives. */
  | {
      readonly type: 'dataset';
      readonly contextId: number;
      readonly data: Uint8Array;
      readonly last: boolean;
    };

/**
 * Turns received PDVs into DIMSE events (PS3.7 E.2, PS3.8 annex E): command fragments are joined
 * and decoded; data set fragments are streamed out, never joined, so memory is bounded by the PDU
 * size whatever the size of the object. Message order is enforced: a data set only after a
 * command that announced one, on the same presentation context.
 */
export class DimseReassembler {
  private command: Uint8Array[] = [];
  private commandLength = 0;
  private commandContext: number | undefined;
  /** The context of the data set being received, if any. */
  private datasetContext: number | undefined;

  accept(pdv: Pdv): DimseEvent[] {
    if (pdv.command) return this.acceptCommand(pdv);
    if (this.datasetContext === undefined) {
      throw new DimseError(
        'MALFORMED_COMMAND',
        'data set fragment received without a command that announces one',
      );
    }
    if (pdv.presentationContextId !== this.datasetContext) {
      throw new DimseError(
        'MALFORMED_COMMAND',
        `data set fragment on presentation context ${pdv.presentationContextId}, expected ${this.datasetContext}`,
      );
    }
    const contextId = this.datasetContext;
    if (pdv.last) this.datasetContext = undefined;
    return [{ type: 'dataset', contextId, data: pdv.data, last: pdv.last }];
  }

  /** True while a data set is still arriving (a disconnect now loses a partial object). */
  get inDataset(): boolean {
    return this.datasetContext !== undefined;
  }

  private acceptCommand(pdv: Pdv): DimseEvent[] {
    if (this.datasetContext !== undefined) {
      throw new DimseError(
        'MALFORMED_COMMAND',
        'command fragment received in the middle of a data set',
      );
    }
    if (this.commandContext !== undefined && pdv.presentationContextId !== this.commandContext) {
      throw new DimseError(
        'MALFORMED_COMMAND',
        'command fragments on different presentation contexts',
      );
    }
    this.commandContext = pdv.presentationContextId;
    this.commandLength += pdv.data.length;
    if (this.commandLength > MAX_COMMAND_LENGTH) {
      throw new DimseError(
        'MALFORMED_COMMAND',
        `command set longer than ${MAX_COMMAND_LENGTH} bytes`,
      );
    }
    this.command.push(pdv.data);
    if (!pdv.last) return [];
    const bytes =
      this.command.length === 1 ? this.command[0]! : join(this.command, this.commandLength);
    const contextId = pdv.presentationContextId;
    this.command = [];
    this.commandLength = 0;
    this.commandContext = undefined;
    const { command, hasDataset } = decodeCommand(bytes);
    if (hasDataset) this.datasetContext = contextId;
    return [{ type: 'command', contextId, command, hasDataset }];
  }
}

function join(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
