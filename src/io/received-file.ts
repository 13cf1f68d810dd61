/**
 * The file writer of every received object (the receiver, `store-scp`, `get --out`): the data set,
 * verbatim, behind a fresh file meta group (PS3.10 7.1), under a temporary name; the header (up to
 * Pixel Data) parsed as the bytes pass, unless built without `parseHeader`. It makes as few system calls and thread-pool round trips
 * as the benchmarks ask for (bench/receiver.bench.ts, bench/store-scp.bench.ts).
 *
 * Durable (the default), every call goes to libuv's thread pool: fdatasync waits for the disk and
 * must not hold the event loop.
 * - bytes are gathered, not copied, up to FLUSH_AT and written with one writev; an object below
 *   that size (a CT slice, an MR image) costs open + writev + fdatasync + close, all at seal();
 *   a larger one streams in FLUSH_AT pieces, each written in the background while the next one
 *   arrives; the sender waits only when two pieces are held, so memory stays bounded (2 x
 *   FLUSH_AT) whatever the object's size;
 * - the file is opened when the object starts arriving (the open overlaps the transfer) and
 *   closed after seal in the background (the link that follows needs only the name);
 * - raw descriptors and callbacks rather than FileHandle promises (measured: FileHandle's
 *   bookkeeping was a visible share of the event loop's time per object);
 * - fdatasync, not fsync: it flushes the data and the metadata needed to read it back (the size),
 *   which is what durability needs; timestamps may lag.
 *
 * Not durable (`fsync: false`: store-scp --no-fsync, receiver `storage.fsync: false`), nothing
 * waits for the disk: every call is a copy into the page cache or a change of a name, made at once
 * on the calling thread, and the bytes go out every SYNC_FLUSH_AT, while they are still in the
 * CPU's cache. Measured with 2000 CT objects, 4 associations (store-scp --no-fsync, README):
 * - one 512 KB writev of bytes received earlier cost the kernel about twice the system time of
 *   the same bytes written 64 KB at a time as they came (1.85 s against 0.95 s per 2000);
 * - the thread pool's round trips (open, writev, close, rename) were most of each object's time
 *   between its last byte and its response.
 * (The durable path keeps FLUSH_AT: with fdatasync, 64 KB pieces were slower, 2.9 s against 2.6 s.)
 *
 * The chunks given to write() are kept until they are written: the caller must not reuse them.
 */
import { randomBytes } from 'node:crypto';
import {
  close,
  closeSync,
  fdatasync,
  mkdirSync,
  open,
  openSync,
  rename,
  renameSync,
  unlink,
  unlinkSync,
  writev,
  writevSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DicomError } from '../dicom/errors.js';
import type { ParseResult } from '../dicom/parse/index.js';
import { encodeFileMetaHeader, type FileMetaInfo } from '../dicom/write/part10.js';
import { syncDirectory, TEMP_PREFIX } from './durable-file.js';
import { HeaderReader } from './header-reader.js';

/**
 * Bytes gathered before they are written (one writev); an object below it (a CT or MR image) is
 * written once. Two may be held, so the writer holds at most 2 MiB of an object (plus the chunk
 * that filled the second).
 */
const FLUSH_AT = 1024 * 1024;
/** The same when nothing is fsynced: written as they come, a socket read or two at a time. */
const SYNC_FLUSH_AT = 64 * 1024;
const DONE = Promise.resolve();
/**
 * Temporary names: a random tag per process and a counter, unique within the directory (one per
 * receiver process, temp-area.ts) without a random draw per object.
 */
const PROCESS_TAG = randomBytes(4).toString('hex');
let sequence = 0;
/** writev takes at most IOV_MAX (1024 on Linux) buffers per call. */
const MAX_IOV = 1024;

export interface ReceivedFileOptions {
  /**
   * Make the file durable: fdatasync at seal, fsync of the destination's directory at rename
   * (default true). False: page-cache writes made on the calling thread (see above).
   */
  readonly fsync?: boolean | undefined;
  /** Bytes gathered before a write (default FLUSH_AT, or SYNC_FLUSH_AT without fsync). */
  readonly flushAt?: number | undefined;
  /**
   * Parse the header as the bytes pass, for `header()` (default true). A writer that only stores
   * (store-scp, get --out) saves the parse: about a tenth of its CPU time per CT object.
   */
  readonly parseHeader?: boolean | undefined;
}

export class ReceivedFile {
  readonly tempPath: string;
  /** Where the data set starts in the file: the length of preamble, prefix and meta group. */
  readonly datasetOffset: number;
  private readonly headerReader: HeaderReader | undefined;
  private readonly fsync: boolean;
  private readonly flushAt: number;
  private batch: Uint8Array[] = [];
  private batchLength = 0;
  /** Bytes handed to write() so far (meta group included), written or not. */
  private accepted = 0;
  /** Where the next writev goes. */
  private written = 0;
  /** Durable: the descriptor, opened as soon as the object starts arriving (overlapping its transfer). */
  private readonly opening: Promise<number> | undefined;
  /** Without fsync: the descriptor, opened at once (undefined when that failed: see `failure`). */
  private readonly fd: number | undefined;
  /** The close after seal, not awaited by seal (the data is durable once fdatasync returns). */
  private closing: Promise<void> | undefined;
  /**
   * The last of the writes under way, each chained after the one before (they write at the
   * position it reached); rejects when any of them failed. Abort waits for it: the descriptor
   * must not be closed under a write. Durable files only.
   */
  private flushing: Promise<void> | undefined;
  /** Without fsync: the open or write that failed. */
  private failure: { error: Error } | undefined;
  /** The seal under way or done: abort waits for it, since it uses the descriptor. */
  private sealing: Promise<void> | undefined;
  /** open → sealed (data durable, still under the temporary name) → released or aborted. */
  private state: 'open' | 'sealed' | 'done' = 'open';

  constructor(directory: string, info: FileMetaInfo, options: ReceivedFileOptions = {}) {
    this.fsync = options.fsync ?? true;
    this.flushAt = options.flushAt ?? (this.fsync ? FLUSH_AT : SYNC_FLUSH_AT);
    this.tempPath = join(directory, `${TEMP_PREFIX}${PROCESS_TAG}-${(sequence++).toString(36)}`);
    if (options.parseHeader ?? true) this.headerReader = new HeaderReader(info.transferSyntaxUid);
    const meta = encodeFileMetaHeader(info);
    this.datasetOffset = meta.length;
    this.push(meta);
    // A failure to open is reported by the write or seal that needs the descriptor.
    if (this.fsync) {
      this.opening = this.create();
      this.opening.catch(() => undefined);
    } else {
      try {
        this.fd = this.createNow();
      } catch (error) {
        this.failure = { error: asError(error) };
      }
    }
  }

  /** Bytes of the file so far (meta header included). */
  get size(): number {
    return this.accepted;
  }

  /**
   * Appends data set bytes; resolves when more may come (back-pressure for the socket): at once
   * unless a full batch is already being written when the next one is full.
   */
  write(chunk: Uint8Array): Promise<void> {
    if (this.state !== 'open' || this.sealing !== undefined) {
      throw new Error('write after seal or abort');
    }
    this.headerReader?.write(chunk);
    this.push(chunk);
    if (this.batchLength < this.flushAt) return DONE;
    if (!this.fsync) return this.attempt(() => this.flush());
    const previous = this.flushing;
    this.flush();
    return previous ?? DONE;
  }

  /**
   * The header as parsed from the stream, once the data set is complete; or the parse error when
   * the data set is not valid DICOM (it is still written, verbatim).
   */
  header(): { result: ParseResult } | { error: DicomError } {
    if (this.headerReader === undefined)
      throw new Error('header() of a writer built without parseHeader');
    return this.headerReader.header();
  }

  /**
   * Writes what is gathered and fdatasyncs (unless built without fsync): the bytes are durable
   * under the temporary name when it resolves. The descriptor is closed in the background (a hard
   * link needs only the name); release and abort wait for that close.
   */
  seal(): Promise<void> {
    if (this.state !== 'open' || this.sealing !== undefined) {
      return Promise.reject(new Error('seal after seal or abort'));
    }
    this.sealing = this.fsync ? this.sealDurable() : this.sealNow();
    return this.sealing;
  }

  private async sealDurable(): Promise<void> {
    this.flush();
    await this.flushing;
    const fd = await this.opening!;
    this.state = 'sealed';
    try {
      await call<void>((cb) => fdatasync(fd, cb));
    } finally {
      this.closing = call<void>((cb) => close(fd, cb));
      this.closing.catch(() => undefined);
    }
  }

  private sealNow(): Promise<void> {
    return this.attempt(() => {
      this.flush();
      this.state = 'sealed';
      closeSync(this.fd!);
    });
  }

  /**
   * After seal: gives the file its real name (replacing a file of that name), then, when durable,
   * fsyncs the destination's directory so the name survives a power cut. The rename overlaps
   * the close. On failure the temporary file is removed.
   */
  async rename(destination: string): Promise<void> {
    if (this.state !== 'sealed') throw new Error('rename before seal');
    this.state = 'done';
    if (!this.fsync) {
      try {
        renameSync(this.tempPath, destination);
      } catch (error) {
        unlinkQuietly(this.tempPath);
        throw error;
      }
      return;
    }
    try {
      await call<void>((cb) => rename(this.tempPath, destination, cb));
    } catch (error) {
      await this.closing?.catch(() => undefined);
      await call<void>((cb) => unlink(this.tempPath, cb)).catch(() => undefined);
      throw error;
    }
    await this.closing?.catch(() => undefined);
    await syncDirectory(dirname(destination));
  }

  /** After seal and a link under the real name: removes the temporary name. */
  async release(): Promise<void> {
    if (this.state !== 'sealed') throw new Error('release before seal');
    this.state = 'done';
    if (!this.fsync) {
      unlinkSync(this.tempPath);
      return;
    }
    await this.closing?.catch(() => undefined);
    await call<void>((cb) => unlink(this.tempPath, cb));
  }

  /**
   * Closes and removes the temporary file (if it was made); safe to call more than once. A seal
   * under way finishes first (it owns the descriptor until it has handed it to the close).
   */
  async abort(): Promise<void> {
    await this.sealing?.catch(() => undefined);
    if (this.state === 'done') return;
    const sealed = this.state === 'sealed';
    this.state = 'done';
    this.batch = [];
    this.batchLength = 0;
    if (!this.fsync) {
      if (this.fd === undefined) return; // never made
      if (!sealed) closeQuietly(this.fd);
      unlinkQuietly(this.tempPath);
      return;
    }
    let fd: number;
    try {
      fd = await this.opening!;
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
    this.accepted += chunk.length;
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

  /** create(), on this thread. */
  private createNow(): number {
    try {
      return openSync(this.tempPath, 'wx', 0o640);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(dirname(this.tempPath), { recursive: true });
      return openSync(this.tempPath, 'wx', 0o640);
    }
  }

  /**
   * Starts writing what is gathered, after the writes already under way; without fsync, writes it
   * now (and throws when that fails).
   */
  private flush(): void {
    if (this.batchLength === 0) return;
    const buffers = this.batch;
    const length = this.batchLength;
    this.batch = [];
    this.batchLength = 0;
    if (!this.fsync) {
      this.writeNow(this.fd!, buffers, length);
      return;
    }
    const after = this.flushing ?? DONE;
    const flushing = after.then(() => this.writeOut(buffers, length));
    // Reported by the write, seal or abort that awaits it, never as an unhandled rejection.
    flushing.catch(() => undefined);
    this.flushing = flushing;
  }

  /**
   * Without fsync: runs a step now. Its failure is kept: the bytes of the failed write are lost,
   * so every later write and the seal fail with the same error.
   */
  private attempt(step: () => void): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    try {
      step();
      return DONE;
    } catch (error) {
      this.failure = { error: asError(error) };
      return Promise.reject(this.failure.error);
    }
  }

  private async writeOut(buffers: Uint8Array[], length: number): Promise<void> {
    const fd = await this.opening!;
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

  /** writeOut(), on this thread. */
  private writeNow(fd: number, buffers: Uint8Array[], length: number): void {
    while (length > 0) {
      const slice = buffers.length > MAX_IOV ? buffers.slice(0, MAX_IOV) : buffers;
      const done = writevSync(fd, slice, this.written);
      this.written += done;
      length -= done;
      buffers = remainder(buffers, done);
    }
  }
}

/** What a system call threw (node:fs throws Errors; anything else is wrapped). */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing to do: the descriptor is gone either way.
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or its directory with it.
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
