import { DirectorySync } from './directory-sync.js';

/** Temporary files start with this, so a crash leaves them recognisable and never at a final name. */
export const TEMP_PREFIX = '.niffler-tmp-';

/** Shared by every writer of the process; keeps no descriptors. */
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
