import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { DicomParser, type ParseOptions, type ParseResult } from '../dicom/parse/index.js';

export interface ReadOptions extends ParseOptions {
  /** Size of the first read; most headers fit in it. Default 64 KiB. */
  readonly firstChunk?: number | undefined;
  /** Size of later reads. Default 1 MiB. */
  readonly chunkSize?: number | undefined;
}

const FIRST_CHUNK = 64 * 1024;
const CHUNK = 1024 * 1024;

/**
 * Reads a DICOM file through the incremental parser: it reads only what the parser asks for,
 * seeks past bulk values (with `bulkThreshold`) and stops at `untilTag`, so reading the header of
 * a 2 GB file touches a few chunks. Each chunk is a fresh buffer because kept values are views.
 */
export async function readDicomFile(path: string, options: ReadOptions = {}): Promise<ParseResult> {
  const parser = new DicomParser(options);
  const handle = await open(path, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    let position = 0;
    let size = options.firstChunk ?? FIRST_CHUNK;
    while (!parser.done) {
      // Never skip past the end: a value cut short must stay pending so end() reports it.
      const skip = Math.min(parser.skippable, fileSize - position);
      if (skip > 0) {
        parser.skipped(skip);
        position += skip;
      }
      const buffer = Buffer.allocUnsafeSlow(size);
      const { bytesRead } = await handle.read(buffer, 0, size, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      parser.write(bytesRead === size ? buffer : buffer.subarray(0, bytesRead));
      if (bytesRead < size) break;
      size = options.chunkSize ?? CHUNK;
    }
    return parser.end();
  } finally {
    await handle.close();
  }
}

/** The same as readDicomFile, synchronously (for tools and benchmarks that read many small files). */
export function readDicomFileSync(path: string, options: ReadOptions = {}): ParseResult {
  const parser = new DicomParser(options);
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    let position = 0;
    let size = options.firstChunk ?? FIRST_CHUNK;
    while (!parser.done) {
      // Never skip past the end: a value cut short must stay pending so end() reports it.
      const skip = Math.min(parser.skippable, fileSize - position);
      if (skip > 0) {
        parser.skipped(skip);
        position += skip;
      }
      const buffer = Buffer.allocUnsafeSlow(size);
      const bytesRead = readSync(fd, buffer, 0, size, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      parser.write(bytesRead === size ? buffer : buffer.subarray(0, bytesRead));
      if (bytesRead < size) break;
      size = options.chunkSize ?? CHUNK;
    }
    return parser.end();
  } finally {
    closeSync(fd);
  }
}
