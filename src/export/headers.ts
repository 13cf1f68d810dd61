/**
 * One object's header as metadata.csv columns (the original's metadata.csv, with its habits:
 * one column per attribute keyword, multiple values joined with a backslash as DICOM writes them).
 *
 * - Top-level attributes: their PS3.6 keyword (`StudyDate`); an attribute the dictionary does not
 *   name: its tag as 8 hex digits (`00191000`).
 * - Private attributes: `GGGGxxEE_CREATOR` (the element without its block number, then the
 *   Private Creator, letters and digits only), so the same private attribute gets the same column
 *   whichever block a file put it in. The original named them by dictionary name, which collided.
 * - Sequences: `Keyword.N.ChildKeyword` for item N (0-based), recursively; the first
 *   MAX_ITEMS items and MAX_DEPTH levels (a 1000-frame enhanced object would otherwise give
 *   tens of thousands of columns).
 * - Binary values (OB, OW, OF, OD, OL, OV, UN) and Pixel Data are left out: they are not text.
 *
 * Which attributes are kept is decided by a HeaderFilter (public/private, PHI). Pure.
 */
import {
  formatTag,
  isPrivateTag,
  lookupTag,
  privateCreatorTagFor,
  readBinary,
  readStrings,
  tagElement,
  tagForKeyword,
  tagGroup,
  type Dataset,
  type Element,
  type Tag,
} from '../dicom/index.js';
import { isPhi } from './phi.js';

export const MAX_ITEMS = 8;
export const MAX_DEPTH = 3;
/** Longer text values (an LT or UT report) are cut here, with an ellipsis. */
export const MAX_VALUE_LENGTH = 65_536;

/** What a row keeps. */
export interface HeaderFilter {
  /** Keep private attributes. */
  readonly privateAttributes: boolean;
  /** Keep PHI attributes (phi.ts); otherwise they never reach the row. */
  readonly phi: boolean;
  /** Only these top-level attributes (a featureset); undefined: every attribute. */
  readonly only?: ReadonlySet<Tag> | undefined;
  /** With `only`: private attributes named by creator (`CREATOR:0019xx0B`) are kept too. */
  readonly onlyPrivate?: readonly PrivateAttribute[] | undefined;
}

/** A private attribute by its creator, whatever block the creator holds in a file. */
export interface PrivateAttribute {
  readonly creator: string;
  readonly group: number;
  /** The element's low byte (`0B` in `0019xx0B`). */
  readonly offset: number;
}

function selected(element: Element, filter: HeaderFilter): boolean {
  if (filter.only === undefined || filter.only.has(element.tag)) return true;
  const { tag } = element;
  if (!isPrivateTag(tag) || privateCreatorTagFor(tag) === undefined) return false;
  const creator = element.privateCreator?.trim();
  return (filter.onlyPrivate ?? []).some(
    (p) =>
      p.group === tagGroup(tag) && p.offset === (tagElement(tag) & 0xff) && p.creator === creator,
  );
}

const BINARY_ONLY = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN']);
const NUMERIC_BINARY = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'SV', 'UV']);

function hex8(tag: Tag): string {
  return formatTag(tag).replace(/[(),]/g, '');
}

/** Printable name for a private creator: letters, digits and underscores. */
function creatorName(text: string): string {
  return (
    text
      .trim()
      .replace(/[^A-Za-z0-9]+/g, '_')
      .replace(/^_|_$/g, '') || 'UNKNOWN'
  );
}

/** The column-name part for one element (no path). */
export function attributeName(element: Element): string {
  const { tag } = element;
  if (isPrivateTag(tag)) {
    const block = privateCreatorTagFor(tag);
    const group = tagGroup(tag).toString(16).toUpperCase().padStart(4, '0');
    if (block === undefined) return hex8(tag);
    const low = (tagElement(tag) & 0xff).toString(16).toUpperCase().padStart(2, '0');
    return `${group}xx${low}_${creatorName(element.privateCreator ?? '')}`;
  }
  const keyword = lookupTag(tag)?.keyword;
  return keyword === undefined || keyword === '' ? hex8(tag) : keyword;
}

function text(dataset: Dataset, element: Element): string | undefined {
  if (element.kind !== 'value' || element.bytes === undefined) return undefined;
  const vr = element.vr;
  if (BINARY_ONLY.has(vr)) return undefined;
  try {
    let value: string;
    if (NUMERIC_BINARY.has(vr)) {
      value = Array.from(readBinary(dataset, element) as ArrayLike<number | bigint>, String).join(
        '\\',
      );
    } else if (vr === 'AT') {
      const words = readBinary(dataset, { ...element, vr: 'US' }) as Uint16Array;
      const parts: string[] = [];
      for (let i = 0; i + 1 < words.length; i += 2) {
        parts.push(
          words[i]!.toString(16).toUpperCase().padStart(4, '0') +
            words[i + 1]!.toString(16).toUpperCase().padStart(4, '0'),
        );
      }
      value = parts.join('\\');
    } else {
      value = readStrings(dataset, element).join('\\');
    }
    if (value === '') return undefined;
    return value.length > MAX_VALUE_LENGTH ? `${value.slice(0, MAX_VALUE_LENGTH)}…` : value;
  } catch {
    return undefined;
  }
}

function keep(element: Element, filter: HeaderFilter): boolean {
  const { tag } = element;
  // Pixel data, item tags, and group lengths (PS3.5 7.2: encoding detail, not data).
  if (tagGroup(tag) === 0x7fe0 || tagGroup(tag) === 0xfffe || tagElement(tag) === 0) return false;
  if (isPrivateTag(tag)) {
    // Private creators only name blocks: their text is in the column names.
    if (!filter.privateAttributes || (tagElement(tag) >= 0x10 && tagElement(tag) <= 0xff)) {
      return false;
    }
  }
  if (filter.phi) return true;
  return !isPhi(tag, element.vr, lookupTag(tag)?.keyword ?? '');
}

/**
 * The columns of a dataset as `name -> value`, in tag order. Empty values are left out (an
 * absent column and an empty one read the same in a CSV).
 */
export function headerColumns(dataset: Dataset, filter: HeaderFilter): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (scope: Dataset, prefix: string, depth: number): void => {
    for (const element of scope.sorted()) {
      if (depth === 0 && !selected(element, filter)) continue;
      if (!keep(element, filter)) continue;
      const name = prefix + attributeName(element);
      if (element.kind === 'sequence') {
        if (depth + 1 >= MAX_DEPTH + 1) continue;
        element.items.slice(0, MAX_ITEMS).forEach((item, i) => {
          visit(item.dataset, `${name}.${i}.`, depth + 1);
        });
        continue;
      }
      const value = text(scope, element);
      if (value !== undefined) out.set(name, value);
    }
  };
  visit(dataset, '', 0);
  return out;
}

/**
 * A sort key for a column name, so that columns come out in tag order whatever order files were
 * processed in: each part of the path as its tag (or item number) in fixed-width hex.
 */
export function columnSortKey(name: string): string {
  return name
    .split('.')
    .map((part) => {
      // A tag written as 8 hex digits first: item numbers are short (MAX_ITEMS).
      if (/^[0-9A-F]{8}$/.test(part)) return `t${part}`;
      if (/^\d+$/.test(part)) return `i${part.padStart(6, '0')}`;
      const privateMatch = /^([0-9A-F]{4})xx([0-9A-F]{2})_(.*)$/.exec(part);
      if (privateMatch) return `t${privateMatch[1]}xx${privateMatch[2]}${privateMatch[3]}`;
      const tag = tagForKeyword(part);
      return tag === undefined ? `z${part}` : `t${hex8(tag)}`;
    })
    .join('/');
}
