/**
 * Query keys as people type them (`PatientID=123`, `StudyDate=20240101-20241231`, `0010,0010`)
 * and the C-FIND/C-MOVE/C-GET identifier built from them (PS3.4 C.4.1.1.3).
 */
import { Dataset, EXPLICIT_LITTLE, type SequenceElement } from '../../dicom/dataset.js';
import { lookupTag, tagForKeyword } from '../../dicom/dictionary/index.js';
import { DicomError } from '../../dicom/errors.js';
import { formatTag, makeTag, parseTag, SPECIFIC_CHARACTER_SET, type Tag } from '../../dicom/tag.js';
import { setNumbers, setStrings } from '../../dicom/write/edit.js';
import { STRING_VRS } from '../../dicom/vr.js';
import type { QueryLevel } from './query-models.js';

const QUERY_RETRIEVE_LEVEL = makeTag(0x0008, 0x0052);
const NUMBER_VRS = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD']);

export interface QueryKey {
  readonly tag: Tag;
  /** The dictionary keyword, or `GGGG,EEEE` for a tag without one. */
  readonly name: string;
  /** The matching value; undefined for a return key (universal match, PS3.4 C.2.2.2.3). */
  readonly value: string | undefined;
}

export class QueryKeyError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`query key '${key}': ${message}`);
    this.name = 'QueryKeyError';
    this.key = key;
  }
}

/** Parses `Keyword`, `Keyword=Value`, `GGGG,EEEE` or `(GGGG,EEEE)=Value`. */
export function parseQueryKey(text: string): QueryKey {
  const equals = text.indexOf('=');
  const key = (equals < 0 ? text : text.slice(0, equals)).trim();
  const value = equals < 0 ? undefined : text.slice(equals + 1);
  const tag = tagForKeyword(key) ?? parseTag(key);
  if (tag === undefined) {
    throw new QueryKeyError(text, `'${key}' is neither a data dictionary keyword nor GGGG,EEEE`);
  }
  const entry = lookupTag(tag);
  if (entry === undefined) {
    throw new QueryKeyError(text, `${formatTag(tag)} is not in the data dictionary`);
  }
  const name = entry.keyword === '' ? formatTag(tag) : entry.keyword;
  return { tag, name, value };
}

/**
 * The identifier for `keys`, with QueryRetrieveLevel set when `level` is given. Values that are
 * not plain ASCII get Specific Character Set ISO_IR 192 (UTF-8). A sequence key is a return key
 * only (an empty sequence: universal match).
 */
export function buildIdentifier(keys: readonly QueryKey[], level?: QueryLevel): Dataset {
  const identifier = new Dataset(EXPLICIT_LITTLE);
  const needsUtf8 = keys.some((key) => key.value !== undefined && /[^\x20-\x7e]/.test(key.value));
  if (needsUtf8) setStrings(identifier, SPECIFIC_CHARACTER_SET, ['ISO_IR 192']);
  if (level !== undefined) setStrings(identifier, QUERY_RETRIEVE_LEVEL, [level]);
  for (const key of keys) {
    if (key.tag === QUERY_RETRIEVE_LEVEL && level !== undefined) continue;
    const vr = lookupTag(key.tag)!.vr;
    const label = key.value === undefined ? key.name : `${key.name}=${key.value}`;
    try {
      if (vr === 'SQ') {
        if (key.value !== undefined && key.value !== '') {
          throw new QueryKeyError(label, 'a sequence can only be a return key (no value)');
        }
        const element: SequenceElement = {
          kind: 'sequence',
          tag: key.tag,
          vr,
          wireVR: vr,
          offset: -1,
          length: 0,
          items: [],
        };
        identifier.elements.set(key.tag, element);
      } else if (STRING_VRS.has(vr)) {
        setStrings(identifier, key.tag, key.value === undefined ? [] : [key.value], vr);
      } else if (NUMBER_VRS.has(vr)) {
        const numbers = (key.value ?? '')
          .split('\\')
          .filter((v) => v !== '')
          .map(Number);
        if (numbers.some((n) => Number.isNaN(n))) {
          throw new QueryKeyError(label, `'${key.value ?? ''}' is not a number`);
        }
        setNumbers(identifier, key.tag, numbers, vr);
      } else {
        throw new QueryKeyError(label, `VR ${vr} cannot be a query key`);
      }
    } catch (error) {
      if (error instanceof DicomError) throw new QueryKeyError(label, error.message);
      throw error;
    }
  }
  return identifier;
}
