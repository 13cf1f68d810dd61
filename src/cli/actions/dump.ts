import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BulkRef, EncapsulatedElement, ValueElement } from '../../dicom/dataset.js';
import { DicomError } from '../../dicom/errors.js';
import { formatDump } from '../../dicom/dump.js';
import { toDicomJson } from '../../dicom/json.js';
import type { ParseResult } from '../../dicom/parse/index.js';
import { readDicomFile } from '../../io/dicom-file.js';

/** Binary values above this size are not loaded: they become BulkDataURIs (PS3.18 F.2.7). */
const BULK_THRESHOLD = 1024;

/**
 * Dumps each file; a file that cannot be read gets one line on stderr naming it and what is
 * wrong, the others are still dumped, and the exit code is then 2.
 */
export async function dump(files: string[], json: boolean): Promise<number> {
  let failed = false;
  const documents: unknown[] = [];
  for (const file of files) {
    let result: ParseResult;
    try {
      result = await readDicomFile(file, { bulkThreshold: BULK_THRESHOLD });
    } catch (error) {
      failed = true;
      process.stderr.write(`niffler dump: ${file}: ${describe(error)}\n`);
      continue;
    }
    if (json) {
      documents.push(toDicomJson(result.dataset, { bulkDataUri: bulkUri(file, result) }));
    } else {
      process.stdout.write(`# ${file}\n${formatDump(result.meta, result.dataset)}\n`);
    }
  }
  if (json) {
    const output = files.length === 1 ? (documents[0] ?? {}) : documents;
    if (files.length > 1 || documents.length > 0) {
      process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    }
  }
  return failed ? 2 : 0;
}

/**
 * A value left in the file is referenced by a file URL with its byte range. In a deflated file
 * the offsets are in the inflated stream, which no reader can seek to: such values are left out.
 */
function bulkUri(file: string, result: ParseResult) {
  const url = pathToFileURL(resolve(file)).href;
  return (element: ValueElement | EncapsulatedElement): string | undefined => {
    const range = element.kind === 'value' ? element.bulk : fragmentRange(element);
    if (range === undefined || result.inflated) return undefined;
    return `${url}?offset=${range.offset}&length=${range.length}`;
  };
}

/** Encapsulated pixel data: the range of its items, item headers included (PS3.5 A.4). */
function fragmentRange(element: EncapsulatedElement): BulkRef | undefined {
  const first = element.fragments[0];
  const last = element.fragments.at(-1);
  if (first === undefined || last === undefined) return undefined;
  return { offset: first.offset, length: last.offset + 8 + last.length - first.offset };
}

function describe(error: unknown): string {
  if (error instanceof DicomError) return `${error.message} [${error.code}]`;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    // File system errors: ENOENT, EACCES, EISDIR...
    return `${error.code}: ${error.message.replace(/^[A-Z]+: /, '')}`;
  }
  return error instanceof Error ? error.message : String(error);
}
