import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Where objects are written while they arrive: `<root>/.niffler-tmp/<host>-<pid>-<random>/`, one
 * directory per receiver process, inside the storage root so that giving a file its real name is
 * a link on the same file system. The path template never renders a component that starts with
 * `.niffler` (path-template.ts), so no stored object can land here.
 *
 * One directory per process because several receivers may share a storage root (NFS): each
 * sweeps only what a dead process left (see recovery.ts), never what a live one is writing.
 */
export const TEMP_ROOT = '.niffler-tmp';

/** `<host>-<pid>-<random>`: whose directory it is, readable by a sweeper on the same host. */
export function tempAreaName(pid = process.pid, host = hostname()): string {
  const safeHost = host.replace(/[^A-Za-z0-9.]/g, '_').slice(0, 64) || 'host';
  return `${safeHost}-${pid}-${randomBytes(4).toString('hex')}`;
}

/** Creates this process's temporary directory under `root` and returns its absolute path. */
export async function createTempArea(root: string, name = tempAreaName()): Promise<string> {
  const directory = join(root, TEMP_ROOT, name);
  await mkdir(directory, { recursive: true, mode: 0o750 });
  return directory;
}
