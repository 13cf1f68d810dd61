/**
 * The receive path's file writer: a received data set, verbatim, behind a fresh file meta group
 * (PS3.10 7.1), under a temporary name in the receiver's temporary directory; the header (up to
 * Pixel Data) parsed as the bytes pass. It does what io/part10-writer.ts does for `store-scp`,
 * with as few system calls as the receiver's throughput asks for (bench/receiver.bench.ts):
 *
 * - bytes are gathered, not copied, up to FLUSH_AT and written with one writev; an object below
 *   that size (a CT slice, an MR image) costs open + writev + fdatasync + close, all at seal();
 *   a larger one streams in FLUSH_AT pieces, so memory stays bounded whatever its size;
 * - the file is opened when the object starts arriving (the open overlaps the transfer) and
 *   closed after seal in the background (the link that follows needs only the name);
 * - raw descriptors and callbacks rather than FileHandle promises (measured: FileHandle's
 *   bookkeeping was a visible share of the event loop's time per object);
 * - fdatasync, not fsync: it flushes the data and the metadata needed to read it back (the size),
 *   which is what durability needs; timestamps may lag.
 *
 * The chunks given to write() are kept until they are written: the caller must not reuse them.
 */
import { randomBytes } from 'node:crypto';
import { close, fdatasync, open, unlink, writev } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DicomError } from '../dicom/errors.js';
import type { ParseResult } from '../dicom/parse/index.js';
import { encodeFileMetaHeader, type FileMetaInfo } from '../dicom/write/part10.js';
import { TEMP_PREFIX } from '../io/durable-file.js';
import { HeaderReader } from '../io/header-reader.js';

/** Bytes gathered before they are written (one writev); an object below it is written once. */
const FLUSH_AT = 2 * 1024 * 1024;
const DONE = Promise.resolve();
/**
 * Temporary names: a random tag per process and a counter, unique within the directory (one per
 * receiver process, temp-area.ts) without a random draw per object.
 */
const PROCESS_TAG = randomBytes(4).toString('hex');
let sequence = 0;
/** writev takes at most IOV_MAX (1024 on Linux) buffers per call. */
const MAX_IOV = 1024;

export class ReceivedFile {
  readonly tempPath: string;
  /** Where the data set starts in the file: the length of preamble, prefix and meta group. */
  readonly datasetOffset: number;
  private readonly headerReader: HeaderReader;
  private batch: Uint8Array[] = [];
  private batchLength = 0;
  private written = 0;
  /** The descriptor, opened as soon as the object starts arriving (overlapping its transfer). */
  private readonly opening: Promise<number>;
  /** The close after seal, not awaited by seal (the data is durable once fdatasync returns). */
  private closing: Promise<void> | undefined;
  /** A write under way (abort waits for it: the descriptor must not be closed under it). */
  private flushing: Promise<void> | undefined;
  /** open → sealed (data durable, still under the temporary name) → released or aborted. */
  private state: 'open' | 'sealed' | 'done' = 'open';

  constructor(directory: string, info: FileMetaInfo) {
    this.tempPath = join(directory, `${TEMP_PREFIX}${PROCESS_TAG}-${(sequence++).toString(36)}`);
    this.headerReader = new HeaderReader(info.transferSyntaxUid);
    const meta = encodeFileMetaHeader(info);
    this.datasetOffset = meta.length;
    this.push(meta);
    this.opening = this.create();
    // Its failure is reported by the write or seal that needs the descriptor.
    this.opening.catch(() => undefined);
  }

  /** Bytes of the file so far (meta header included). */
  get size(): number {
    return this.written + this.batchLength;
  }

  /** Appends data set bytes; resolves when more may come (back-pressure for the socket). */
  write(chunk: Uint8Array): Promise<void> {
    if (this.state !== 'open') throw new Error('write after seal or abort');
    this.headerReader.write(chunk);
    this.push(chunk);
    if (this.batchLength < FLUSH_AT) return DONE;
    const flushing = this.flush();
    this.flushing = flushing;
    return flushing;
  }

  /**
   * The header as parsed from the stream, once the data set is complete; or the parse error when
   * the data set is not valid DICOM (it is still written, verbatim).
   */
  header(): { result: ParseResult } | { error: DicomError } {
    return this.headerReader.header();
  }

  /**
   * Writes what is gathered and fdatasyncs (unless told not to): the bytes are durable under the
   * temporary name when it resolves. The descriptor is closed in the background (a hard link
   * needs only the name); release and abort wait for that close.
   */
  async seal(options: { fsync?: boolean } = {}): Promise<void> {
    if (this.state !== 'open') throw new Error('seal after seal or abort');
    await this.flush();
    const fd = await this.opening;
    this.state = 'sealed';
    try {
      if (options.fsync ?? true) await call<void>((cb) => fdatasync(fd, cb));
    } finally {
      this.closing = call<void>((cb) => close(fd, cb));
      this.closing.catch(() => undefined);
    }
  }

  /** After seal and a link under the real name: removes the temporary name. */
  async release(): Promise<void> {
    if (this.state !== 'sealed') throw new Error('release before seal');
    this.state = 'done';
    await this.closing?.catch(() => undefined);
    await call<void>((cb) => unlink(this.tempPath, cb));
  }

  /** Closes and removes the temporary file (if it was made); safe to call more than once. */
  async abort(): Promise<void> {
    if (this.state === 'done') return;
    const sealed = this.state === 'sealed';
    this.state = 'done';
    this.batch = [];
    this.batchLength = 0;
    let fd: number;
    try {
      fd = await this.opening;
    } catch {
      return; // never made
    }
    await this.flushing?.catch(() => undefined);
    if (sealed) await this.closing?.catch(() => undefined);
    else await call<void>((cb) => close(fd, cb)).catch(() => undefined);
    await call<void>((cb) => unlink(this.tempPath, cb)).catch(() => undefined);
  }

  private push(chunk: Uint8Array): void {
    this.batch.push(chunk);
    this.batchLength += chunk.length;
  }

  /**
   * Opens the temporary file. Its directory is made at the receiver's start; if someone removed
   * it since, it is made again.
   */
  private async create(): Promise<number> {
    const make = (): Promise<number> => call<number>((cb) => open(this.tempPath, 'wx', 0o640, cb));
    return make().catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dirname(this.tempPath), { recursive: true });
      return make();
    });
  }

  private async flush(): Promise<void> {
    if (this.batchLength === 0) return;
    const fd = await this.opening;
    let buffers = this.batch;
    let length = this.batchLength;
    this.batch = [];
    this.batchLength = 0;
    while (length > 0) {
      const slice = buffers.length > MAX_IOV ? buffers.slice(0, MAX_IOV) : buffers;
      const sliceLength = slice === buffers ? length : slice.reduce((n, b) => n + b.length, 0);
      const done = await call<number>((cb) =>
        writev(fd, slice as NodeJS.ArrayBufferView[], this.written, cb),
      );
      this.written += done;
      length -= done;
      buffers = done === sliceLength ? buffers.slice(slice.length) : remainder(buffers, done);
    }
  }
}

/** The buffers after the first `skip` bytes (a short write). */
function remainder(buffers: Uint8Array[], skip: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip === 0 ? buffer : buffer.subarray(skip));
    skip = 0;
  }
  return rest;
}

/** A Node callback API as a promise, without util.promisify's per-call overhead. */
function call<T>(
  run: (callback: (error: NodeJS.ErrnoException | null, value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((error, value) => (error === null ? resolve(value) : reject(error)));
  });
}
