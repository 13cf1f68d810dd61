import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Dataset } from '../../dicom/dataset.js';
import { DicomError } from '../../dicom/errors.js';
import { makeTag, type Tag } from '../../dicom/tag.js';
import { transferSyntaxOf } from '../../dicom/transfer-syntax.js';
import { readStrings } from '../../dicom/values/strings.js';
import { readDicomFile } from '../../io/dicom-file.js';
import type { OutgoingInstance } from './handlers.js';

const MEDIA_STORAGE_SOP_CLASS_UID = makeTag(0x0002, 0x0002);
const MEDIA_STORAGE_SOP_INSTANCE_UID = makeTag(0x0002, 0x0003);
const SOP_CLASS_UID = makeTag(0x0008, 0x0016);
const SOP_INSTANCE_UID = makeTag(0x0008, 0x0018);
/** The parser stops before this tag: SOP Class and Instance UID are all we need. */
const AFTER_SOP_INSTANCE_UID = makeTag(0x0008, 0x0019);

/** Reads of the data set for sending: large enough to fill a few PDUs per system call. */
const READ_CHUNK = 256 * 1024;

export type InstanceFileErrorCode =
  /** Not a DICOM file, or too damaged to find its data set. */
  | 'NOT_DICOM'
  /** Readable, but without a SOP Class UID or SOP Instance UID to send it under. */
  | 'NO_SOP_UIDS';

export class InstanceFileError extends Error {
  readonly code: InstanceFileErrorCode;
  readonly path: string;
  constructor(code: InstanceFileErrorCode, path: string, message: string, cause?: unknown) {
    super(`${path}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'InstanceFileError';
    this.code = code;
    this.path = path;
  }
}

/** A DICOM file ready to send: what the C-STORE needs, and where its data set starts. */
export interface InstanceFile extends OutgoingInstance {
  readonly path: string;
  /** Offset of the first data set byte in the file (after the file meta group). */
  readonly datasetOffset: number;
  /** Bytes `dataset()` yields: the rest of the file, plus a pad byte where PS3.5 A.5 wants one. */
  readonly datasetLength: number;
}

/**
 * Reads the head of a Part 10 file (or a bare data set) with our parser: the SOP Class and
 * Instance UIDs (from the data set, else the file meta group), the transfer syntax the data set
 * is really encoded in, and where it starts. `dataset()` then streams the file's own bytes from
 * there: never decoded or re-encoded, so a deflated data set is sent deflated and compressed
 * pixel data as they are.
 */
export async function readInstanceFile(path: string): Promise<InstanceFile> {
  let head;
  try {
    head = await readDicomFile(path, { untilTag: AFTER_SOP_INSTANCE_UID, firstChunk: 16 * 1024 });
  } catch (error) {
    if (error instanceof DicomError) {
      throw new InstanceFileError('NOT_DICOM', path, `not a DICOM file (${error.message})`, error);
    }
    throw error;
  }
  const sopClassUid =
    uid(head.dataset, SOP_CLASS_UID) ?? uid(head.meta, MEDIA_STORAGE_SOP_CLASS_UID);
  const sopInstanceUid =
    uid(head.dataset, SOP_INSTANCE_UID) ?? uid(head.meta, MEDIA_STORAGE_SOP_INSTANCE_UID);
  if (sopClassUid === undefined || sopInstanceUid === undefined) {
    const empty = head.meta.size === 0 && head.dataset.size === 0;
    throw new InstanceFileError(
      empty ? 'NOT_DICOM' : 'NO_SOP_UIDS',
      path,
      empty ? 'not a DICOM file (no elements)' : 'no SOP Class UID or SOP Instance UID',
    );
  }
  const datasetOffset = head.datasetOffset;
  const datasetLength = (await stat(path)).size - datasetOffset;
  // PS3.5 A.5: a deflated bit stream of odd length is padded with one NUL byte to even length.
  // Files that skipped the pad exist; DCMTK refuses odd fragments, so the pad is added here.
  const pad = transferSyntaxOf(head.transferSyntaxUid).deflated && datasetLength % 2 === 1;
  return {
    path,
    sopClassUid,
    sopInstanceUid,
    transferSyntaxUid: head.transferSyntaxUid,
    datasetOffset,
    datasetLength: datasetLength + (pad ? 1 : 0),
    dataset: () => {
      const stream = createReadStream(path, { start: datasetOffset, highWaterMark: READ_CHUNK });
      return pad ? withTrailingPad(stream) : stream;
    },
  };
}

async function* withTrailingPad(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* chunks;
  yield new Uint8Array(1);
}

function uid(dataset: Dataset, tag: Tag): string | undefined {
  const element = dataset.get(tag);
  if (element?.kind !== 'value') return undefined;
  try {
    const [value] = readStrings(dataset, element);
    return value === undefined || value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}
