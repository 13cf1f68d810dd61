// Reading what peers wrote, for byte-for-byte comparisons of data sets (the part after the file
// meta group, which is what travels in a C-STORE).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import { makeTag } from '../../src/dicom/tag.js';
import { transferSyntaxOf } from '../../src/dicom/transfer-syntax.js';
import { readStrings } from '../../src/dicom/values/strings.js';

const MEDIA_STORAGE_SOP_INSTANCE_UID = makeTag(0x0002, 0x0003);
const SOP_INSTANCE_UID = makeTag(0x0008, 0x0018);
const AFTER_SOP_INSTANCE_UID = makeTag(0x0008, 0x0019);

export interface DicomFileParts {
  readonly path: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** Everything after the file meta group, as stored. */
  readonly dataset: Buffer;
}

/** Splits a Part 10 file into its SOP Instance UID, transfer syntax and data set bytes. */
export async function readParts(file: string): Promise<DicomFileParts> {
  const bytes = await readFile(file);
  const head = parseBuffer(bytes, { untilTag: AFTER_SOP_INSTANCE_UID });
  const uidOf = (tag: number, meta: boolean): string | undefined => {
    const dataset = meta ? head.meta : head.dataset;
    const element = dataset.get(tag);
    return element?.kind === 'value' ? readStrings(dataset, element)[0] : undefined;
  };
  const sopInstanceUid =
    uidOf(MEDIA_STORAGE_SOP_INSTANCE_UID, true) ?? uidOf(SOP_INSTANCE_UID, false) ?? '';
  return {
    path: file,
    sopInstanceUid,
    transferSyntaxUid: head.transferSyntaxUid,
    dataset: bytes.subarray(head.datasetOffset),
  };
}

/** Every file a peer wrote into `directory` (recursively), by SOP Instance UID. */
export async function filesByInstance(directory: string): Promise<Map<string, DicomFileParts>> {
  const out = new Map<string, DicomFileParts>();
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const parts = await readParts(path.join(entry.parentPath, entry.name));
    out.set(parts.sopInstanceUid, parts);
  }
  return out;
}

/**
 * The data set bytes a faithful sender puts on the wire for `file`: its own, plus the NUL pad a
 * deflated data set of odd length needs (PS3.5 A.5), which some files lack.
 */
export async function wireDataset(file: string): Promise<Buffer> {
  const parts = await readParts(file);
  const pad = transferSyntaxOf(parts.transferSyntaxUid).deflated && parts.dataset.length % 2 === 1;
  return pad ? Buffer.concat([parts.dataset, Buffer.alloc(1)]) : parts.dataset;
}

const DATA_SET_TRAILING_PADDING = makeTag(0xfffc, 0xfffc);

/**
 * A data set without its Data Set Trailing Padding (FFFC,FFFC), which PS3.10 7.2 lets any
 * application drop: DCMTK's senders do. `dataset` must not be deflated (offsets
 * would be in the inflated stream).
 */
export function withoutTrailingPadding(dataset: Buffer, transferSyntaxUid: string): Buffer {
  const parsed = parseBuffer(dataset, { input: 'dataset', transferSyntaxUid, bulkThreshold: 0 });
  const padding = parsed.dataset.get(DATA_SET_TRAILING_PADDING);
  return padding === undefined ? dataset : dataset.subarray(0, padding.offset);
}
