import { link, mkdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { syncDirectory } from './durable-file.js';

/** How many `~n` names linkUnique tries before it gives up (a hash collision storm, a bug). */
const MAX_VARIANTS = 1000;

/**
 * `name.dcm` -> `name~1.dcm`, `name` -> `name~1`: the n-th alternative of a file name, for a
 * second file that wants a name already taken. The suffix goes before the last extension so the
 * file keeps it.
 */
export function variantName(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}~${n}${name.slice(dot)}` : `${name}~${n}`;
}

/**
 * Gives `source` a second name, `directory/name`, never replacing a file already there: a hard
 * link fails with EEXIST instead (POSIX link(2)), so two writers racing for one name both keep
 * their files, one under `name~1`. Returns the name given. The directory must exist; making the
 * new name durable (fsync of the directory) is the caller's job.
 */
export async function linkUnique(source: string, directory: string, name: string): Promise<string> {
  for (let n = 0; n < MAX_VARIANTS; n++) {
    const candidate = variantName(name, n);
    try {
      await link(source, join(directory, candidate));
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`${join(directory, name)}: ${MAX_VARIANTS} files already hold this name`);
}

/**
 * Creates directories under a root and makes their names durable: a new directory's entry lives
 * in its parent, which must be fsynced too, or a power cut can lose the directory together with
 * the fsynced file inside it. Directories made durable once (by us, or found and synced) are
 * remembered, so the common case (the series directory exists) costs one mkdir call.
 */
export class DurableDirectories {
  private readonly known = new Set<string>();
  /** Directories being made durable: a second caller waits for the first, never skips ahead. */
  private readonly making = new Map<string, Promise<void>>();

  constructor(
    private readonly root: string,
    private readonly fsync: boolean,
    /** How many directories to remember before starting afresh (memory bound). */
    private readonly remember = 100_000,
  ) {}

  /** Makes `directory` (inside the root) exist durably. */
  ensure(directory: string): Promise<void> {
    if (this.known.has(directory)) return Promise.resolve();
    let making = this.making.get(directory);
    if (making === undefined) {
      making = this.make(directory).finally(() => this.making.delete(directory));
      this.making.set(directory, making);
    }
    return making;
  }

  private async make(directory: string): Promise<void> {
    await mkdir(directory, { recursive: true });
    if (this.fsync) {
      // Whether we created it or another writer did, sync each parent entry up to the root: a
      // directory another process has just made may not be durable yet. The directories are
      // remembered only once the whole chain is synced: one remembered earlier would let a
      // concurrent store answer before the entries above it were durable.
      const inside = relative(this.root, directory);
      const synced: string[] = [];
      let current = directory;
      for (let depth = inside === '' ? 0 : inside.split(sep).length; depth > 0; depth--) {
        const parent = dirname(current);
        if (this.known.has(current)) break;
        await syncDirectory(parent);
        synced.push(current);
        current = parent;
      }
      for (const made of synced) this.note(made);
    }
    this.note(directory);
  }

  /**
   * Forgets a directory and its parents (it was removed: a purge took the last file out of it,
   * and maybe its emptied parents too).
   */
  forget(directory: string): void {
    for (let dir = directory; dir.startsWith(this.root) && dir !== this.root; dir = dirname(dir)) {
      this.known.delete(dir);
      // A make under way may have run its mkdir before the removal: the next ensure starts anew.
      this.making.delete(dir);
    }
  }

  private note(directory: string): void {
    if (this.known.size >= this.remember) this.known.clear();
    this.known.add(directory);
  }
}
