import { DicomParser } from '../../dicom/parse/index.js';
import type { Dataset } from '../../dicom/dataset.js';
import { DicomError } from '../../dicom/errors.js';
import { IMPLICIT_VR_LITTLE_ENDIAN } from '../../dicom/transfer-syntax.js';
import { formatTag, makeTag, type Tag } from '../../dicom/tag.js';

/**
 * DIMSE-C command sets (PS3.7 9.3 and Annex E) as typed values. A command set is always encoded
 * in implicit VR little endian (PS3.7 6.3.1), starting with Command Group Length.
 */

/** Command Field values (PS3.7 E.1-1). */
export const CommandField = {
  'C-STORE-RQ': 0x0001,
  'C-STORE-RSP': 0x8001,
  'C-GET-RQ': 0x0010,
  'C-GET-RSP': 0x8010,
  'C-FIND-RQ': 0x0020,
  'C-FIND-RSP': 0x8020,
  'C-MOVE-RQ': 0x0021,
  'C-MOVE-RSP': 0x8021,
  'C-ECHO-RQ': 0x0030,
  'C-ECHO-RSP': 0x8030,
  'C-CANCEL-RQ': 0x0fff,
} as const;

export type CommandKind = keyof typeof CommandField;

/** Priority (0000,0700), PS3.7 E.1-1. */
export const Priority = { Medium: 0x0000, High: 0x0001, Low: 0x0002 } as const;

/** Command Data Set Type (0000,0800): this value means "no data set"; any other means one follows. */
const NO_DATASET = 0x0101;
const DATASET_PRESENT = 0x0000;

export const Tags = {
  CommandGroupLength: makeTag(0x0000, 0x0000),
  AffectedSOPClassUID: makeTag(0x0000, 0x0002),
  RequestedSOPClassUID: makeTag(0x0000, 0x0003),
  CommandField: makeTag(0x0000, 0x0100),
  MessageID: makeTag(0x0000, 0x0110),
  MessageIDBeingRespondedTo: makeTag(0x0000, 0x0120),
  MoveDestination: makeTag(0x0000, 0x0600),
  Priority: makeTag(0x0000, 0x0700),
  CommandDataSetType: makeTag(0x0000, 0x0800),
  Status: makeTag(0x0000, 0x0900),
  OffendingElement: makeTag(0x0000, 0x0901),
  ErrorComment: makeTag(0x0000, 0x0902),
  ErrorID: makeTag(0x0000, 0x0903),
  AffectedSOPInstanceUID: makeTag(0x0000, 0x1000),
  RequestedSOPInstanceUID: makeTag(0x0000, 0x1001),
  NumberOfRemainingSuboperations: makeTag(0x0000, 0x1020),
  NumberOfCompletedSuboperations: makeTag(0x0000, 0x1021),
  NumberOfFailedSuboperations: makeTag(0x0000, 0x1022),
  NumberOfWarningSuboperations: makeTag(0x0000, 0x1023),
  MoveOriginatorApplicationEntityTitle: makeTag(0x0000, 0x1030),
  MoveOriginatorMessageID: makeTag(0x0000, 0x1031),
} as const;

interface Request {
  readonly messageId: number;
  readonly affectedSopClassUid: string;
}

interface Response {
  readonly messageIdBeingRespondedTo: number;
  readonly affectedSopClassUid?: string | undefined;
  readonly status: number;
  readonly errorComment?: string | undefined;
  readonly offendingElements?: readonly Tag[] | undefined;
}

/** Sub-operation counts of C-MOVE and C-GET responses (PS3.7 9.3.4.2, 9.3.3.2). */
export interface SubOperations {
  readonly remaining?: number | undefined;
  readonly completed?: number | undefined;
  readonly failed?: number | undefined;
  readonly warning?: number | undefined;
}

export type Command =
  | ({ readonly kind: 'C-ECHO-RQ' } & Request)
  | ({ readonly kind: 'C-ECHO-RSP' } & Response)
  | ({
      readonly kind: 'C-STORE-RQ';
      readonly affectedSopInstanceUid: string;
      readonly priority: number;
      readonly moveOriginatorAeTitle?: string | undefined;
      readonly moveOriginatorMessageId?: number | undefined;
    } & Request)
  | ({
      readonly kind: 'C-STORE-RSP';
      readonly affectedSopInstanceUid?: string | undefined;
    } & Response)
  | ({ readonly kind: 'C-FIND-RQ'; readonly priority: number } & Request)
  | ({ readonly kind: 'C-FIND-RSP' } & Response)
  | ({
      readonly kind: 'C-MOVE-RQ';
      readonly priority: number;
      readonly moveDestination: string;
    } & Request)
  | ({ readonly kind: 'C-MOVE-RSP'; readonly subOperations: SubOperations } & Response)
  | ({ readonly kind: 'C-GET-RQ'; readonly priority: number } & Request)
  | ({ readonly kind: 'C-GET-RSP'; readonly subOperations: SubOperations } & Response)
  | { readonly kind: 'C-CANCEL-RQ'; readonly messageIdBeingRespondedTo: number };

export type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>;

export function isResponse(command: Command): boolean {
  return command.kind.endsWith('-RSP');
}

/** The message ID a command carries or answers. */
export function messageIdOf(command: Command): number {
  return 'messageId' in command ? command.messageId : command.messageIdBeingRespondedTo;
}

// -------------------------------------------------------------------------------------------------
// Encoding

type Field = readonly [Tag, 'UI' | 'US' | 'AE' | 'LO' | 'AT', string | number | readonly number[]];

/** Encodes a command set; `hasDataset` says whether a data set follows (Command Data Set Type). */
export function encodeCommand(command: Command, hasDataset: boolean): Uint8Array {
  const fields = fieldsOf(command);
  fields.push([Tags.CommandField, 'US', CommandField[command.kind]]);
  fields.push([Tags.CommandDataSetType, 'US', hasDataset ? DATASET_PRESENT : NO_DATASET]);
  fields.sort((a, b) => a[0] - b[0]);
  // Written in place, one buffer per command: a C-STORE response is encoded per object received,
  // and a buffer per value cost more than the rest of its encoding (bench/store-scp.bench.ts).
  const lengths = fields.map(([, vr, value]) => valueLength(vr, value));
  let length = 0;
  for (const bytes of lengths) length += 8 + bytes;
  const out = new Uint8Array(12 + length);
  const view = new DataView(out.buffer);
  // Command Group Length (0000,0000) UL: the bytes after it (PS3.7 E.1-1).
  view.setUint32(0, 0, true);
  view.setUint32(4, 4, true);
  view.setUint32(8, length, true);
  let at = 12;
  for (let i = 0; i < fields.length; i++) {
    const [tag, vr, value] = fields[i]!;
    const bytes = lengths[i]!;
    view.setUint16(at, tag >>> 16, true);
    view.setUint16(at + 2, tag & 0xffff, true);
    view.setUint32(at + 4, bytes, true);
    writeValue(view, out, at + 8, vr, value, bytes);
    at += 8 + bytes;
  }
  return out;
}

function fieldsOf(command: Command): Field[] {
  const fields: Field[] = [];
  const add = (tag: Tag, vr: Field[1], value: Field[2] | undefined): void => {
    if (value !== undefined) fields.push([tag, vr, value]);
  };
  if ('messageId' in command) {
    add(Tags.MessageID, 'US', command.messageId);
    add(Tags.AffectedSOPClassUID, 'UI', command.affectedSopClassUid);
  } else {
    add(Tags.MessageIDBeingRespondedTo, 'US', command.messageIdBeingRespondedTo);
  }
  if ('status' in command) {
    add(Tags.AffectedSOPClassUID, 'UI', command.affectedSopClassUid);
    add(Tags.Status, 'US', command.status);
    add(Tags.ErrorComment, 'LO', command.errorComment?.slice(0, 64));
    add(Tags.OffendingElement, 'AT', command.offendingElements);
  }
  switch (command.kind) {
    case 'C-STORE-RQ':
      add(Tags.AffectedSOPInstanceUID, 'UI', command.affectedSopInstanceUid);
      add(Tags.Priority, 'US', command.priority);
      add(Tags.MoveOriginatorApplicationEntityTitle, 'AE', command.moveOriginatorAeTitle);
      add(Tags.MoveOriginatorMessageID, 'US', command.moveOriginatorMessageId);
      break;
    case 'C-STORE-RSP':
      add(Tags.AffectedSOPInstanceUID, 'UI', command.affectedSopInstanceUid);
      break;
    case 'C-FIND-RQ':
    case 'C-GET-RQ':
      add(Tags.Priority, 'US', command.priority);
      break;
    case 'C-MOVE-RQ':
      add(Tags.Priority, 'US', command.priority);
      add(Tags.MoveDestination, 'AE', command.moveDestination);
      break;
    case 'C-MOVE-RSP':
    case 'C-GET-RSP': {
      const counts = command.subOperations;
      add(Tags.NumberOfRemainingSuboperations, 'US', counts.remaining);
      add(Tags.NumberOfCompletedSuboperations, 'US', counts.completed);
      add(Tags.NumberOfFailedSuboperations, 'US', counts.failed);
      add(Tags.NumberOfWarningSuboperations, 'US', counts.warning);
      break;
    }
    case 'C-ECHO-RQ':
    case 'C-ECHO-RSP':
    case 'C-FIND-RSP':
    case 'C-CANCEL-RQ':
      break;
  }
  return fields;
}

/** The even length of a value (PS3.5 7.1.1: every value has an even length). */
function valueLength(vr: Field[1], value: Field[2]): number {
  if (vr === 'US') return 2;
  if (vr === 'AT') return 4 * (value as readonly number[]).length;
  const length = String(value).length;
  return length + (length % 2);
}

function writeValue(
  view: DataView,
  out: Uint8Array,
  at: number,
  vr: Field[1],
  value: Field[2],
  length: number,
): void {
  if (vr === 'US') {
    view.setUint16(at, value as number, true);
    return;
  }
  if (vr === 'AT') {
    const tags = value as readonly number[];
    for (let i = 0; i < tags.length; i++) {
      view.setUint16(at + 4 * i, tags[i]! >>> 16, true);
      view.setUint16(at + 4 * i + 2, tags[i]! & 0xffff, true);
    }
    return;
  }
  const text = String(value);
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i) & 0xff;
  // UI pads with NUL, the other string VRs with a space (PS3.5 6.2); AE titles are 16 at most.
  if (text.length < length) out[at + text.length] = vr === 'UI' ? 0 : 0x20;
}

// -------------------------------------------------------------------------------------------------
// Decoding

export class DimseError extends Error {
  readonly code: 'MALFORMED_COMMAND' | 'UNKNOWN_COMMAND';
  constructor(code: DimseError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DimseError';
    this.code = code;
  }
}

export interface DecodedCommand {
  readonly command: Command;
  readonly hasDataset: boolean;
}

const KIND_BY_FIELD = new Map<number, CommandKind>(
  Object.entries(CommandField).map(([kind, field]) => [field, kind as CommandKind]),
);

/** Decodes a command set received in P-DATA command fragments. */
export function decodeCommand(bytes: Uint8Array): DecodedCommand {
  const reader = new CommandReader(scanCommand(bytes) ?? parseCommand(bytes));
  const field = reader.us(Tags.CommandField, true)!;
  const kind = KIND_BY_FIELD.get(field);
  if (kind === undefined) {
    throw new DimseError(
      'UNKNOWN_COMMAND',
      `unknown command field 0x${field.toString(16).padStart(4, '0')}`,
    );
  }
  const hasDataset = reader.us(Tags.CommandDataSetType, false) !== NO_DATASET;
  return { command: reader.command(kind), hasDataset };
}

/**
 * The values of a command set in its usual form: group 0000 elements in ascending order, implicit
 * VR, each of a defined length within the bytes. Anything else (undefined, when the form is not
 * that) goes through the data set parser, which reads what is readable and names what is not. A
 * command arrives with every object received; the parser's generality cost it about 25 µs.
 */
function scanCommand(bytes: Uint8Array): Map<Tag, Uint8Array> | undefined {
  const values = new Map<Tag, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let previous = -1;
  let at = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) return undefined;
    const group = view.getUint16(at, true);
    const tag = makeTag(group, view.getUint16(at + 2, true));
    const length = view.getUint32(at + 4, true);
    const end = at + 8 + length;
    if (group !== 0 || tag <= previous || end > bytes.length) return undefined;
    values.set(tag, bytes.subarray(at + 8, end));
    previous = tag;
    at = end;
  }
  return values;
}

/** Every element's value, read by the data set parser (a command set in any form it reads). */
function parseCommand(bytes: Uint8Array): Map<Tag, Uint8Array> {
  let dataset: Dataset;
  try {
    const parser = new DicomParser({
      input: 'dataset',
      transferSyntaxUid: IMPLICIT_VR_LITTLE_ENDIAN,
    });
    parser.write(bytes);
    dataset = parser.end().dataset;
  } catch (cause) {
    const detail = cause instanceof DicomError ? `: ${cause.message}` : '';
    throw new DimseError('MALFORMED_COMMAND', `unreadable command set${detail}`, { cause });
  }
  const values = new Map<Tag, Uint8Array>();
  for (const [tag, element] of dataset.elements) {
    if (element.kind === 'value' && element.bytes !== undefined) values.set(tag, element.bytes);
  }
  return values;
}

class CommandReader {
  constructor(private readonly values: ReadonlyMap<Tag, Uint8Array>) {}

  command(kind: CommandKind): Command {
    if (kind === 'C-CANCEL-RQ') {
      return { kind, messageIdBeingRespondedTo: this.us(Tags.MessageIDBeingRespondedTo, true)! };
    }
    if (kind.endsWith('-RQ')) {
      const base = {
        messageId: this.us(Tags.MessageID, true)!,
        affectedSopClassUid: this.text(Tags.AffectedSOPClassUID, true)!,
      };
      const priority = this.us(Tags.Priority, false) ?? Priority.Medium;
      switch (kind) {
        case 'C-ECHO-RQ':
          return { kind, ...base };
        case 'C-STORE-RQ':
          return {
            kind,
            ...base,
            priority,
            affectedSopInstanceUid: this.text(Tags.AffectedSOPInstanceUID, true)!,
            moveOriginatorAeTitle: this.text(Tags.MoveOriginatorApplicationEntityTitle, false),
            moveOriginatorMessageId: this.us(Tags.MoveOriginatorMessageID, false),
          };
        case 'C-FIND-RQ':
        case 'C-GET-RQ':
          return { kind, ...base, priority };
        case 'C-MOVE-RQ':
          return {
            kind,
            ...base,
            priority,
            moveDestination: this.text(Tags.MoveDestination, true)!,
          };
        default:
          break;
      }
    }
    const response = {
      messageIdBeingRespondedTo: this.us(Tags.MessageIDBeingRespondedTo, true)!,
      affectedSopClassUid: this.text(Tags.AffectedSOPClassUID, false),
      status: this.us(Tags.Status, true)!,
      errorComment: this.text(Tags.ErrorComment, false),
      offendingElements: this.tags(Tags.OffendingElement),
    };
    switch (kind) {
      case 'C-STORE-RSP':
        return {
          kind,
          ...response,
          affectedSopInstanceUid: this.text(Tags.AffectedSOPInstanceUID, false),
        };
      case 'C-MOVE-RSP':
      case 'C-GET-RSP':
        return {
          kind,
          ...response,
          subOperations: {
            remaining: this.us(Tags.NumberOfRemainingSuboperations, false),
            completed: this.us(Tags.NumberOfCompletedSuboperations, false),
            failed: this.us(Tags.NumberOfFailedSuboperations, false),
            warning: this.us(Tags.NumberOfWarningSuboperations, false),
          },
        };
      default:
        return { kind: kind as 'C-ECHO-RSP' | 'C-FIND-RSP', ...response };
    }
  }

  us(tag: Tag, required: boolean): number | undefined {
    const bytes = this.bytes(tag, required);
    if (bytes === undefined) return undefined;
    if (bytes.length < 2) throw this.malformed(tag, 'is shorter than 2 bytes');
    return bytes[0]! | (bytes[1]! << 8);
  }

  text(tag: Tag, required: boolean): string | undefined {
    const bytes = this.bytes(tag, required);
    if (bytes === undefined) return undefined;
    let text = '';
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
    return text.replace(/[\0 ]+$/, '').replace(/^ +/, '');
  }

  tags(tag: Tag): Tag[] | undefined {
    const bytes = this.bytes(tag, false);
    if (bytes === undefined) return undefined;
    const out: Tag[] = [];
    for (let i = 0; i + 4 <= bytes.length; i += 4) {
      out.push(makeTag(bytes[i]! | (bytes[i + 1]! << 8), bytes[i + 2]! | (bytes[i + 3]! << 8)));
    }
    return out;
  }

  private bytes(tag: Tag, required: boolean): Uint8Array | undefined {
    const value = this.values.get(tag);
    if (value !== undefined) return value;
    if (required) throw this.malformed(tag, 'is missing');
    return undefined;
  }

  private malformed(tag: Tag, what: string): DimseError {
    return new DimseError('MALFORMED_COMMAND', `command element ${formatTag(tag)} ${what}`);
  }
}
