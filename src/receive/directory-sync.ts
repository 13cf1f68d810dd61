/**
 * fsync of the directories new names went into, shared: objects stored at the same time mostly
 * land in one directory (a series), and one fsync that starts after each of their links makes
 * all of them durable. A caller whose link is done joins the sync that has not started yet, or
 * queues one behind the sync already running (which may have started before its link). The same
 * coalescing as the SQLite WAL flush (store/database.ts, WalSync), per directory.
 *
 * No descriptor is kept open between syncs: retention may remove an emptied directory and a
 * later object recreate it, and an fsync through the old descriptor would not cover the new one.
 */
import { close, constants, fsync, open } from 'node:fs';

interface Pending {
  running: Promise<void> | undefined;
  queued: Promise<void> | undefined;
}

export class DirectorySync {
  private readonly pending = new Map<string, Pending>();

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
      const run = syncDirectory(directory);
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
}

/** open, fsync, close of a directory, with raw descriptors (cheaper than FileHandle). */
function syncDirectory(directory: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    open(directory, constants.O_RDONLY | constants.O_DIRECTORY, (openError, fd) => {
      if (openError !== null) {
        reject(openError);
        return;
      }
      fsync(fd, (syncError) => {
        close(fd, (closeError) => {
          const error = syncError ?? closeError;
          if (error === null) resolve();
          else reject(error);
        });
      });
    });
  });
}
