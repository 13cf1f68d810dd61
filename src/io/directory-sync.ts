/**
 * fsync of the directories new names went into, shared: objects stored at the same time mostly
 * land in one directory (a series), and one fsync that starts after each of their links makes
 * all of them durable. A caller whose link is done joins the sync that has not started yet, or
 * queues one behind the sync already running (which may have started before its link): a
 * CoalescedFlush per directory, as the SQLite WAL flush (store/database.ts, WalSync) has one.
 *
 * Descriptors of recently synced directories are kept open (at most MAX_OPEN), so a sync is one
 * fsync rather than open, fsync, close. A kept descriptor can outlive its directory: retention
 * removes an emptied directory, and a later object (here or in another receiver) makes a new one
 * under the same path, which an fsync through the old descriptor would not cover. So each fsync
 * runs beside an fstat of the same descriptor; a removed directory has no links left (st_nlink
 * 0), and then the directory is opened afresh and synced again.
 */
import { close, constants, fstat, fsync, open } from 'node:fs';
import { CoalescedFlush } from '../util/coalesced-flush.js';

/** Directory descriptors kept open by default (least recently synced closed first). */
const MAX_OPEN = 64;

export class DirectorySync {
  private readonly pending = new Map<string, CoalescedFlush>();
  /** Open descriptors by directory, least recently used first (Map order). */
  private readonly open = new Map<string, number>();
  private readonly maxOpen: number;

  /** `maxOpen` 0 keeps none: each sync is open, fsync, close. */
  constructor(options: { maxOpen?: number } = {}) {
    this.maxOpen = options.maxOpen ?? MAX_OPEN;
  }

  /** Resolves once an fsync of `directory` that started after this call has completed. */
  sync(directory: string): Promise<void> {
    let flush = this.pending.get(directory);
    if (flush === undefined) {
      // Forgotten once idle: the map holds only the directories being synced.
      const created = new CoalescedFlush(
        () => this.syncNow(directory),
        () => this.pending.delete(directory),
      );
      this.pending.set(directory, created);
      flush = created;
    }
    return flush.request();
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
