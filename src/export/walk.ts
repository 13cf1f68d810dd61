/**
 * The input files of an export: each INPUT that is a file, and every file under each INPUT that is
 * a folder, at any depth and with any name (the original globbed `*.dcm` at one fixed depth, and
 * users' files named otherwise were silently not found, issue #363). Folders are read as streams
 * (fs.opendir), so a folder of a million files costs one directory buffer, not a million names.
 * Symbolic links to files are followed; links to folders are not (no cycles). Hidden entries
 * (a leading dot) and the output folder are skipped.
 */
import { opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ExportError } from './errors.js';

export interface WalkOptions {
  /** Absolute folders never entered (the output folder, when it lies inside an input). */
  readonly exclude?: readonly string[];
}

/** Absolute paths of the input files, in directory order. Throws NO_INPUT for a missing INPUT. */
export async function* walkInputs(
  inputs: readonly string[],
  options: WalkOptions = {},
): AsyncGenerator<string> {
  const exclude = new Set((options.exclude ?? []).map((p) => path.resolve(p)));
  for (const input of inputs) {
    const absolute = path.resolve(input);
    let info;
    try {
      info = await stat(absolute);
    } catch (error) {
      throw new ExportError(
        'NO_INPUT',
        `input ${input} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        { cause: error },
      );
    }
    if (info.isDirectory()) yield* walkFolder(absolute, exclude);
    else yield absolute;
  }
}

async function* walkFolder(folder: string, exclude: ReadonlySet<string>): AsyncGenerator<string> {
  if (exclude.has(folder)) return;
  const dir = await opendir(folder);
  for await (const entry of dir) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      yield* walkFolder(full, exclude);
    } else if (entry.isFile()) {
      yield full;
    } else if (entry.isSymbolicLink()) {
      try {
        if ((await stat(full)).isFile()) yield full;
      } catch {
        // A dangling link: nothing to export.
      }
    }
  }
}
