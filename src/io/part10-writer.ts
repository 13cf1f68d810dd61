import type { DicomError } from '../dicom/errors.js';
import type { ParseResult } from '../dicom/parse/index.js';
import { encodeFileMetaHeader, type FileMetaInfo } from '../dicom/write/part10.js';
import { DurableFile } from './durable-file.js';
import { HeaderReader } from './header-reader.js';

/** Writes are gathered to this size before they reach the file system (fewer syscalls per object). */
const WRITE_BATCH = 256 * 1024;

/**
 * Writes a received data set verbatim behind a fresh file meta group (PS3.10 7.1), streaming:
 * memory is one write batch plus the parsed header, whatever the object's size. The header (up to
 * Pixel Data) is parsed as the bytes pass, so the caller can check and index the object without
 * reading the file again.
 */
export class Part10Writer {
  private readonly file: DurableFile;
  private readonly headerReader: HeaderReader;
  private batch: Uint8Array[] = [];
  private batchLength = 0;

  private readonly writeBatch: number;
  private readonly eagerBatch: number | undefined;
  /** The write running in the background (eager mode); settles, never rejects. */
  private running: Promise<void> | undefined;
  private runningLength = 0;
  private eagerScheduled = false;
  /** A background write failed: every later call throws this. */
  private failure: { error: unknown } | undefined;

  private constructor(
    file: DurableFile,
    info: FileMetaInfo,
    writeBatch: number,
    eagerBatch: number | undefined,
  ) {
    this.file = file;
    this.writeBatch = writeBatch;
    this.eagerBatch = eagerBatch;
    this.headerReader = new HeaderReader(info.transferSyntaxUid);
  }

  static async create(
    directory: string,
    info: FileMetaInfo,
    options: {
      directoryExists?: boolean;
      /**
       * Bytes gathered before they are written (default 256 KiB): a larger batch means fewer
       * file system round trips per object for more memory per object being received.
       */
      writeBatch?: number;
      /**
       * Eager mode: as soon as this many bytes are gathered and no write is running, they are
       * written in the background, so the file fills while the data arrive and little is left
       * to write at the end; `write` waits only when `writeBatch` bytes are gathered.
       */
      eagerBatch?: number;
    } = {},
  ): Promise<Part10Writer> {
    const file = await DurableFile.create(directory, options);
    const writer = new Part10Writer(
      file,
      info,
      options.writeBatch ?? WRITE_BATCH,
      options.eagerBatch,
    );
    const meta = encodeFileMetaHeader(info);
    writer.datasetOffset = meta.length;
    writer.push(meta);
    return writer;
  }

  /** Where the data set starts in the file: the length of preamble, prefix and meta group. */
  datasetOffset = 0;

  /** Bytes of the file so far (meta header included). */
  get size(): number {
    return this.file.bytesWritten + this.runningLength + this.batchLength;
  }

  /** Appends data set bytes; resolves when they may be released (back-pressure for the socket). */
  async write(chunk: Uint8Array): Promise<void> {
    this.headerReader.write(chunk);
    this.push(chunk);
    this.rethrow();
    if (this.eagerBatch !== undefined && !this.eagerScheduled && this.running === undefined) {
      // Started once the bytes already received are handed over (setImmediate runs after the
      // pending socket reads and their microtasks): an object that is already all here goes out
      // in one write at commit, one that is still arriving is written while it arrives.
      this.eagerScheduled = true;
      setImmediate(() => {
        this.eagerScheduled = false;
        if (this.running === undefined && this.batchLength >= (this.eagerBatch ?? 0)) {
          this.startWrite();
        }
      });
    }
    if (this.batchLength >= this.writeBatch) await this.flush();
  }

  /**
   * The header as parsed from the stream so far, once the data set is complete; or the parse
   * error when the data set is not valid DICOM (it is still written, verbatim).
   */
  header(): { result: ParseResult } | { error: DicomError } {
    return this.headerReader.header();
  }

  async commit(destination: string, options: { fsync?: boolean } = {}): Promise<void> {
    await this.flush();
    await this.file.commit(destination, options);
  }

  async abort(): Promise<void> {
    // The file is closed only once no write uses its descriptor.
    await this.settled();
    this.batch = [];
    this.batchLength = 0;
    await this.file.abort();
  }

  private push(chunk: Uint8Array): void {
    this.batch.push(chunk);
    this.batchLength += chunk.length;
  }

  /** Writes everything gathered; resolves when no write is running. */
  private async flush(): Promise<void> {
    await this.settled();
    this.rethrow();
    if (this.batchLength === 0) return;
    this.startWrite();
    await this.settled();
    this.rethrow();
  }

  /** Resolves when no write runs (an eager write may chain another one). */
  private async settled(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  /**
   * Starts one writev of the gathered views (no copy into a joined buffer); only one runs at a
   * time, since each writes at the position the previous one reached. In eager mode, what was
   * gathered meanwhile follows at once.
   */
  private startWrite(): void {
    const batch = this.batch;
    this.runningLength = this.batchLength;
    this.batch = [];
    this.batchLength = 0;
    const running: Promise<void> = this.file.writev(batch).then(
      () => {
        this.running = undefined;
        this.runningLength = 0;
        if (this.eagerBatch !== undefined && this.batchLength >= this.eagerBatch) {
          this.startWrite();
        }
      },
      (error: unknown) => {
        this.running = undefined;
        this.runningLength = 0;
        this.failure ??= { error };
      },
    );
    this.running = running;
  }
}
