import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FeaturesetError, parseFeatureset, type Featureset } from './featureset.js';

/**
 * The featureset files Niffler ships (the original's defaults): `featuresets/` at the package
 * root, the same two levels up from src/metadata/, dist/metadata/ and the CLI bundle in
 * dist/bundle/.
 */
export const BUILTIN_FEATURESETS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../featuresets',
);

export interface FeaturesetSources {
  /** Include the shipped files (BUILTIN_FEATURESETS_DIR). */
  readonly builtin: boolean;
  /** A directory whose `*.txt` files are featuresets. */
  readonly directory?: string | null | undefined;
  /** More featureset files. */
  readonly files?: readonly string[] | undefined;
}

/**
 * Reads every featureset file named by `sources`, in order: built-in, directory (sorted), files.
 * A later file with the name of an earlier one replaces it (a site's `featureset.txt` overrides
 * the shipped one). Throws FeaturesetError naming the file (and line) that cannot be used.
 */
export function loadFeaturesets(sources: FeaturesetSources): {
  featuresets: Featureset[];
  warnings: string[];
} {
  const paths: string[] = [];
  if (sources.builtin) paths.push(...txtFiles(BUILTIN_FEATURESETS_DIR));
  if (sources.directory != null) paths.push(...txtFiles(sources.directory));
  paths.push(...(sources.files ?? []));
  const byName = new Map<string, Featureset>();
  const warnings: string[] = [];
  for (const file of paths) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new FeaturesetError(
        'FEATURESET_UNREADABLE',
        `${file}: cannot read the featureset file (${(error as Error).message})`,
        { cause: error },
      );
    }
    const name = path.basename(file).replace(/\.[^.]*$/, '');
    const parsed = parseFeatureset(name, text, file);
    warnings.push(...parsed.warnings);
    byName.set(name, parsed.featureset);
  }
  return { featuresets: [...byName.values()], warnings };
}

function txtFiles(directory: string): string[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    throw new FeaturesetError(
      'FEATURESET_UNREADABLE',
      `${directory}: cannot read the featureset directory (${(error as Error).message})`,
      { cause: error },
    );
  }
  return names
    .filter((name) => name.endsWith('.txt'))
    .sort()
    .map((name) => path.join(directory, name));
}
