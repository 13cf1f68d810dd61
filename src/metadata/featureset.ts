/**
 * Featureset files, the original Niffler's `conf/*.txt`: one featureset per file, named after
 * the file's stem (`featureset1.txt` -> `featureset1`), one attribute per line. Pure: text in,
 * entries and warnings out (featureset-files.ts reads the files).
 *
 * A line names an attribute as
 * - a keyword of the data dictionary: `SliceThickness`;
 * - a tag, in any of the spellings the original's files use: `0x0051100F`, `0x0051,0x100F`,
 *   `00100020`, `(0010,0020)`;
 * - a private attribute by its creator: `SIEMENS MR HEADER:0019xx0B` (group, `xx` for the block
 *   the creator reserves, the element's low byte): it is found in whatever block that creator
 *   holds in a given file.
 * Empty lines and lines starting with `#` are skipped (the original needed a newline after the
 * last line; here it does not matter). A keyword the dictionary does not know (the original's
 * files carry `PulseSeqName`) is kept as an entry that never matches, with a warning naming the
 * file and line: the original skipped such lines silently, and refusing to start over them would
 * punish users for their old files.
 */
import { dictionaryKeywords, lookupTag, tagForKeyword } from '../dicom/dictionary/index.js';
import { isPrivateTag, makeTag, tagHex, type Tag } from '../dicom/tag.js';
import { closestMatch } from '../util/did-you-mean.js';

export type FeatureEntry =
  | {
      readonly kind: 'tag';
      readonly tag: Tag;
      /** The key of its values: the keyword, or `GGGGEEEE` (a private tag is keyed by creator). */
      readonly key: string;
      readonly line: number;
    }
  | {
      readonly kind: 'private';
      readonly creator: string;
      readonly group: number;
      /** The element's low byte (`0B` in `0019xx0B`). */
      readonly offset: number;
      readonly line: number;
    }
  | { readonly kind: 'unknown'; readonly text: string; readonly line: number };

export interface Featureset {
  readonly name: string;
  /** Where it came from (a file path, or `builtin:<name>`), for messages. */
  readonly source: string;
  readonly entries: readonly FeatureEntry[];
}

export class FeaturesetError extends Error {
  readonly code: 'BAD_FEATURESET_NAME' | 'BAD_FEATURESET_LINE' | 'FEATURESET_UNREADABLE';
  constructor(code: FeaturesetError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FeaturesetError';
    this.code = code;
  }
}

/** A featureset name: a letter, then letters, digits or `_` (it names a database view). */
export const FEATURESET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

const PRIVATE_BY_CREATOR = /^(.+):([0-9a-fA-F]{4})xx([0-9a-fA-F]{2})$/i;
const HEX_TAG = /^(?:0x)?([0-9a-fA-F]{4}),?(?:0x)?([0-9a-fA-F]{4})$/;
const PAREN_TAG = /^\(([0-9a-fA-F]{4}),([0-9a-fA-F]{4})\)$/;

/** The key a public tag's values get: its keyword, else its hex. */
export function publicKey(tag: Tag): string {
  const keyword = lookupTag(tag)?.keyword ?? '';
  return keyword === '' ? tagHex(tag).toUpperCase() : keyword;
}

/** `SIEMENS MR HEADER:0019xx0B`: a private data element named by its creator. */
export function privateKey(creator: string, group: number, offset: number): string {
  const hex = (n: number, width: number): string =>
    n.toString(16).toUpperCase().padStart(width, '0');
  return `${creator}:${hex(group, 4)}xx${hex(offset, 2)}`;
}

/**
 * Reads one featureset's text. Throws FeaturesetError for a bad name or a line that is no
 * attribute spelling at all; returns warnings (source:line: ...) for unknown keywords.
 */
export function parseFeatureset(
  name: string,
  text: string,
  source: string,
): { featureset: Featureset; warnings: string[] } {
  if (!FEATURESET_NAME.test(name)) {
    throw new FeaturesetError(
      'BAD_FEATURESET_NAME',
      `${source}: featureset name ${JSON.stringify(name)} must be a letter then up to 47 ` +
        'letters, digits or _ (it becomes the name of a database view)',
    );
  }
  const entries: FeatureEntry[] = [];
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const item = raw.replace(/^\uFEFF/, '').trim();
    if (item === '' || item.startsWith('#')) return;
    const entry = parseLine(item, line);
    if (entry === undefined) {
      throw new FeaturesetError(
        'BAD_FEATURESET_LINE',
        `${source}:${line}: ${JSON.stringify(item)} is not a keyword, a tag (0x00100020, ` +
          '(0010,0020)) or a private attribute (CREATOR:0019xx0B)',
      );
    }
    if (entry.kind === 'unknown') {
      const guess = closestMatch(item, dictionaryKeywords());
      warnings.push(
        `${source}:${line}: ${item} is not a keyword of the data dictionary; it is ignored` +
          (guess === undefined ? '' : ` (did you mean ${guess}?)`),
      );
    }
    entries.push(entry);
  });
  return { featureset: { name, source, entries }, warnings };
}

function parseLine(item: string, line: number): FeatureEntry | undefined {
  const byCreator = PRIVATE_BY_CREATOR.exec(item);
  if (byCreator !== null) {
    const group = parseInt(byCreator[2]!, 16);
    if ((group & 1) === 0) return undefined;
    return {
      kind: 'private',
      creator: byCreator[1]!.trim(),
      group,
      offset: parseInt(byCreator[3]!, 16),
      line,
    };
  }
  const hex = HEX_TAG.exec(item) ?? PAREN_TAG.exec(item);
  if (hex !== null) {
    const tag = makeTag(parseInt(hex[1]!, 16), parseInt(hex[2]!, 16));
    return {
      kind: 'tag',
      tag,
      key: isPrivateTag(tag) ? tagHex(tag).toUpperCase() : publicKey(tag),
      line,
    };
  }
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(item)) return undefined;
  const tag = tagForKeyword(item);
  if (tag === undefined) return { kind: 'unknown', text: item, line };
  return { kind: 'tag', tag, key: item, line };
}
