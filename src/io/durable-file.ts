import { randomBytes } from 'node:crypto';
import { open, rename, unlink, mkdir, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DirectorySync } from './directory-sync.js';

/** Temporary files start with this, so a crash leaves them recognisable and never at a final name. */
export const TEMP_PREFIX = '.niffler-tmp-';

/**
 * A file written under a temporary name beside its destination and made durable before it gets
 * its real name: write, fsync the file, rename, fsync the directory (so the rename itself survives
 * a power cut). Until `commit` resolves the destination does not exist; `abort` removes every trace.
 */
export class DurableFile {
  private handle: FileHandle | undefined;
  private position = 0;
  private finished = false;

  private constructor(
    readonly tempPath: string,
    handle: FileHandle,
  ) {
    this.handle = handle;
  }

  /**
   * Creates the temporary file in `directory`, made first unless the caller knows it exists
   * (a receiver's temporary directory: one system call less per object).
   */
  static async create(
    directory: string,
    options: { directoryExists?: boolean } = {},
  ): Promise<DurableFile> {
    if (options.directoryExists !== true) await mkdir(directory, { recursive: true });
    const tempPath = join(directory, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const handle = await open(tempPath, 'wx', 0o640);
    return new DurableFile(tempPath, handle);
  }

  get bytesWritten(): number {
    return this.position;
  }

  async write(chunk: Uint8Array): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) throw new Error('write after commit or abort');
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, this.position);
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }

  /** Writes the chunks in order with as few system calls as the OS allows (writev). */
  async writev(chunks: readonly Uint8Array[]): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) throw new Error('write after commit or abort');
    if (chunks.length === 1) return this.write(chunks[0]!);
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    const { bytesWritten } = await handle.writev(chunks as Uint8Array[], this.position);
    this.position += bytesWritten;
    if (bytesWritten === total) return;
    // A short write (rare for regular files): the rest, chunk by chunk.
    let skip = bytesWritten;
    for (const chunk of chunks) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      await this.write(chunk.subarray(skip));
      skip = 0;
    }
  }

  /** Makes the file durable under `destination` (in the same directory tree, same file system). */
  async commit(destination: string, options: { fsync?: boolean } = {}): Promise<void> {
    const handle = this.take();
    const fsync = options.fsync ?? true;
    try {
      if (fsync) await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    // The data are written (and synced when asked): closing and renaming may overlap, one
    // thread-pool round trip less per file. The temporary file's own directory exists: no
    // mkdir for the usual same-directory commit.
    const closed = handle.close();
    try {
      if (dirname(destination) !== dirname(this.tempPath)) {
        await mkdir(dirname(destination), { recursive: true });
      }
      await rename(this.tempPath, destination);
    } finally {
      await closed;
    }
    if (fsync) await syncDirectory(dirname(destination));
    if (fsync && dirname(destination) !== dirname(this.tempPath)) {
      await syncDirectory(dirname(this.tempPath));
    }
  }

  /** Closes and removes the temporary file; safe to call more than once. */
  async abort(): Promise<void> {
    if (this.finished) return;
    const handle = this.take();
    await handle.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }

  private take(): FileHandle {
    if (this.handle === undefined || this.finished)
      throw new Error(`${basename(this.tempPath)} already finished`);
    const handle = this.handle;
    this.handle = undefined;
    this.finished = true;
    return handle;
  }
}

/** Shared by every DurableFile and DurableDirectories of the process; keeps no descriptors. */
const directories = new DirectorySync({ maxOpen: 0 });

/**
 * fsync of a directory makes the names in it (a rename, a new file) durable (POSIX).
 *
 * Group commit (DirectorySync): callers that arrive while an fsync of the same directory runs
 * share the next one (which starts after the running one, so after their rename); N concurrent
 * commits cost at most two directory fsyncs at a time, not N.
 */
export function syncDirectory(directory: string): Promise<void> {
  return directories.sync(directory);
}
