/**
 * fsync of the directories new names went into, shared: objects stored at the same time mostly
 * land in one directory (a series), and one fsync that starts after each of their links makes
 * all of them durable. A caller whose link is done joins the sync that has not started yet, or
 * queues one behind the sync already running (which may have started before its link). The same
 * coalescing as the SQLite WAL flush (store/database.ts, WalSync), per directory.
 *
 * Descriptors of recently synced directories are kept open (at most MAX_OPEN), so a sync is one
 * fsync rather than open, fsync, close. A kept descriptor can outlive its directory: retention
 * removes an emptied directory, and a later object (here or in another receiver) makes a new one
 * under the same path, which an fsync through the old descriptor would not cover. So each fsync
 * runs beside an fstat of the same descriptor; a removed directory has no links left (st_nlink
 * 0), and then the directory is opened afresh and synced again.
 */
import { close, constants, fstat, fsync, open } from 'node:fs';

/** Directory descriptors kept open by default (least recently synced closed first). */
const MAX_OPEN = 64;

interface Pending {
  running: Promise<void> | undefined;
  queued: Promise<void> | undefined;
}

export class DirectorySync {
  private readonly pending = new Map<string, Pending>();
  /** Open descriptors by directory, least recently used first (Map order). */
  private readonly open = new Map<string, number>();
  private readonly maxOpen: number;

  /** `maxOpen` 0 keeps none: each sync is open, fsync, close. */
  constructor(options: { maxOpen?: number } = {}) {
    this.maxOpen = options.maxOpen ?? MAX_OPEN;
  }

  /** Resolves once an fsync of `directory` that started after this call has completed. */
  sync(directory: string): Promise<void> {
    let state = this.pending.get(directory);
    if (state === undefined) {
      state = { running: undefined, queued: undefined };
      this.pending.set(directory, state);
    }
    if (state.queued !== undefined) return state.queued;
    const entry = state;
    const start = async (): Promise<void> => {
      await entry.running?.catch(() => undefined);
      entry.queued = undefined;
      const run = this.syncNow(directory);
      entry.running = run;
      try {
        await run;
      } finally {
        if (entry.running === run) entry.running = undefined;
        if (entry.running === undefined && entry.queued === undefined) {
          this.pending.delete(directory);
        }
      }
    };
    entry.queued = start();
    return entry.queued;
  }

  /** Forgets a directory's descriptor (it was removed, or found missing). */
  forget(directory: string): void {
    const fd = this.open.get(directory);
    if (fd === undefined) return;
    this.open.delete(directory);
    close(fd, () => undefined);
  }

  /** Closes every kept descriptor (at shutdown). */
  close(): void {
    for (const directory of [...this.open.keys()]) this.forget(directory);
  }

  private async syncNow(directory: string): Promise<void> {
    const kept = this.open.get(directory);
    if (kept !== undefined) {
      this.open.delete(directory);
      let current = false;
      try {
        const [, links] = await Promise.all([fsyncFd(kept), linksOf(kept)]);
        current = links > 0;
      } catch {
        // Fall through: sync through a fresh descriptor.
      }
      if (current) {
        this.keep(directory, kept);
        return;
      }
      close(kept, () => undefined);
    }
    const fd = await openDirectory(directory);
    try {
      await fsyncFd(fd);
    } catch (error) {
      close(fd, () => undefined);
      throw error;
    }
    this.keep(directory, fd);
  }

  private keep(directory: string, fd: number): void {
    const previous = this.open.get(directory);
    if (previous !== undefined && previous !== fd) close(previous, () => undefined);
    this.open.delete(directory);
    this.open.set(directory, fd);
    if (this.open.size > this.maxOpen) {
      const [oldest] = this.open.keys();
      if (oldest !== undefined) this.forget(oldest);
    }
  }
}

function openDirectory(directory: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    open(directory, constants.O_RDONLY | constants.O_DIRECTORY, (error, fd) =>
      error === null ? resolve(fd) : reject(error),
    );
  });
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    fsync(fd, (error) => (error === null ? resolve() : reject(error)));
  });
}

function linksOf(fd: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    fstat(fd, (error, stats) => (error === null ? resolve(stats.nlink) : reject(error)));
  });
}
