/**
 * What a receiver that died (kill -9, power cut) left in its temporary directory, cleaned up at
 * the next start. instance-store.ts keeps each object's temporary name until after its index
 * commit, so every leftover is one of:
 *   - a partial or unlinked file (link count 1): never acknowledged; deleted;
 *   - a file also linked under its final name (link count 2): the final name is found again by
 *     rendering the path template from the file's header and looking for the same inode under
 *     that name and its `~n` variants. If the index holds that path for that SOP Instance UID,
 *     the commit happened (the sender may or may not have heard Success): only the temporary
 *     name goes. Otherwise the commit never happened, nothing was acknowledged, and both go.
 * So after recovery the storage root holds no temporary file, and every file under a final name
 * is indexed (the one exception: a file another template would have named, if the template
 * changed between the crash and the restart, stays, unindexed but complete).
 *
 * Whose directory is it? `<host>-<pid>-<random>` (temp-area.ts): on this host, one whose process
 * is gone; on another host (a shared NFS root), one untouched for `staleMs`.
 */
import { lstat, readdir, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { PIXEL_DATA } from '../dicom/tag.js';
import { readStrings } from '../dicom/values/strings.js';
import { readDicomFile } from '../io/dicom-file.js';
import { variantName } from '../io/durable-link.js';
import { renderPath, type PathTemplate } from './path-template.js';
import { TEMP_ROOT } from './temp-area.js';
import { makeTag } from '../dicom/tag.js';

const SOP_INSTANCE_UID = makeTag(0x0008, 0x0018);
const MEDIA_STORAGE_SOP_INSTANCE_UID = makeTag(0x0002, 0x0003);

export interface RecoveryOptions {
  readonly root: string;
  readonly template: PathTemplate;
  /** This process's own temporary directory name (never swept). */
  readonly ownArea?: string | undefined;
  /** Whether the index holds `relativePath` for this SOP Instance UID. */
  readonly isIndexed: (sopInstanceUid: string, relativePath: string) => Promise<boolean>;
  /** Another host's directory untouched this long is presumed dead. Default one day. */
  readonly staleMs?: number | undefined;
  readonly clock?: (() => number) | undefined;
}

export interface RecoveryReport {
  /** Temporary directories swept. */
  readonly areas: number;
  /** Temporary files removed. */
  readonly tempFiles: number;
  /** Final names removed because their commit never happened. */
  readonly unindexed: number;
}

/** Sweeps every dead process's temporary directory under `root`. */
export async function recoverTempAreas(options: RecoveryOptions): Promise<RecoveryReport> {
  const base = path.join(options.root, TEMP_ROOT);
  let names: string[];
  try {
    names = await readdir(base);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { areas: 0, tempFiles: 0, unindexed: 0 };
    throw error;
  }
  const report = { areas: 0, tempFiles: 0, unindexed: 0 };
  for (const name of names) {
    if (name === options.ownArea) continue;
    const directory = path.join(base, name);
    if (!(await isDead(name, directory, options))) continue;
    const swept = await sweepArea(directory, options);
    report.areas++;
    report.tempFiles += swept.tempFiles;
    report.unindexed += swept.unindexed;
  }
  return report;
}

async function isDead(name: string, directory: string, options: RecoveryOptions): Promise<boolean> {
  const match = /^(.*)-(\d+)-[0-9a-f]+$/.exec(name);
  const ourHost =
    hostname()
      .replace(/[^A-Za-z0-9.]/g, '_')
      .slice(0, 64) || 'host';
  if (match !== null && match[1] === ourHost) {
    const pid = Number(match[2]);
    if (pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false; // alive (or at least a process with that pid is)
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  // Another host's: dead when nothing in it changed for staleMs.
  const now = (options.clock ?? Date.now)();
  const staleMs = options.staleMs ?? 86_400_000;
  let newest = (await stat(directory)).mtimeMs;
  for (const file of await readdir(directory).catch(() => [] as string[])) {
    const s = await lstat(path.join(directory, file)).catch(() => undefined);
    if (s !== undefined) newest = Math.max(newest, s.mtimeMs);
  }
  return now - newest > staleMs;
}

async function sweepArea(
  directory: string,
  options: RecoveryOptions,
): Promise<{ tempFiles: number; unindexed: number }> {
  let tempFiles = 0;
  let unindexed = 0;
  for (const file of await readdir(directory)) {
    const temp = path.join(directory, file);
    const info = await lstat(temp).catch(() => undefined);
    if (info === undefined) continue;
    if (!info.isFile()) {
      await rm(temp, { recursive: true, force: true });
      continue;
    }
    if (info.nlink > 1) {
      const linked = await findLink(temp, info.ino, info.dev, options.root, options.template);
      if (linked !== undefined) {
        const indexed = await options.isIndexed(linked.sopInstanceUid, linked.relativePath);
        if (!indexed) {
          await unlink(path.join(options.root, linked.relativePath));
          unindexed++;
        }
      }
    }
    await unlink(temp).catch(() => undefined);
    tempFiles++;
  }
  await rmdir(directory).catch(() => undefined);
  return { tempFiles, unindexed };
}

/** The final name sharing the temporary file's inode, from its header and the template. */
async function findLink(
  temp: string,
  ino: number,
  dev: number,
  root: string,
  template: PathTemplate,
): Promise<{ relativePath: string; sopInstanceUid: string } | undefined> {
  let header;
  try {
    header = await readDicomFile(temp, { untilTag: PIXEL_DATA, bulkThreshold: 64 * 1024 });
  } catch {
    return undefined;
  }
  const uidElement =
    header.dataset.get(SOP_INSTANCE_UID) ?? header.meta.get(MEDIA_STORAGE_SOP_INSTANCE_UID);
  let sopInstanceUid = '';
  if (uidElement?.kind === 'value') {
    try {
      sopInstanceUid = readStrings(header.dataset, uidElement)[0] ?? '';
    } catch {
      sopInstanceUid = '';
    }
  }
  const templatePath = renderPath(template, header.dataset);
  const directory = path.dirname(templatePath);
  const name = path.basename(templatePath);
  let misses = 0;
  for (let n = 0; n < 1000 && misses < 16; n++) {
    const candidate = variantName(name, n);
    const relativePath = directory === '.' ? candidate : `${directory}/${candidate}`;
    const s = await lstat(path.join(root, relativePath)).catch(() => undefined);
    if (s === undefined) {
      misses++;
      continue;
    }
    if (s.ino === ino && s.dev === dev) return { relativePath, sopInstanceUid };
  }
  return undefined;
}
