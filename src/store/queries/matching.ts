/**
 * C-FIND key matching (PS3.4 C.2.2.2) as SQL conditions, one function per kind of key. Pure:
 * returns a Kysely expression or undefined (universal matching: no condition).
 *
 * - Single value matching: `=` (uses the index).
 * - Wildcard matching (`*`, `?`): LIKE on PostgreSQL (columns are C-collated, so `ABC*` uses
 *   the b-tree), GLOB on SQLite (its LIKE ignores ASCII case; GLOB, like DICOM, does not).
 *   A value of only `*` is universal matching.
 * - List of UID matching (C.2.2.2.2): an array, or a UID key whose value holds `\`.
 * - Range matching (C.2.2.2.5) on DA and TM keys: `from-to`, `from-`, `-to` or {from, to}.
 *   Values are DICOM text, so a range is a string comparison. A TM bound is read at its
 *   precision: `-1200` includes 12:00:59.9, `0830` alone matches the whole minute.
 *   Combined date-time matching (C.2.2.2.5.2) is not done: date and time keys match separately.
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import type { DialectName } from '../url.js';

/** A string key: one value (maybe with wildcards), or a list of values (UIDs). */
export type TextMatch = string | readonly string[];
/** Inclusive bounds in DICOM text form (YYYYMMDD, HHMMSS.FFFFFF); a missing one is open. */
export interface RangeMatch {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}
/** A DA or TM key: a value, a DICOM range text (`20200101-20201231`) or bounds. */
export type DateTimeMatch = string | RangeMatch;
/** An IS key: a number, or its text. */
export type NumberMatch = number | string;

export type KeyKind = 'text' | 'uid' | 'date' | 'time' | 'int';

const FALSE = sql<SqlBool>`1 = 0`;

function hasWildcard(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

/** A DICOM wildcard value as a LIKE pattern (escape character `\`). */
export function likePattern(value: string): string {
  return value
    .replace(/[\\%_]/g, '\\$&')
    .replaceAll('*', '%')
    .replaceAll('?', '_');
}

/** A DICOM wildcard value as a GLOB pattern (`[` is GLOB's only other special character). */
export function globPattern(value: string): string {
  return value.replaceAll('[', '[[]');
}

function textCondition(
  column: string,
  match: TextMatch,
  kind: 'text' | 'uid',
  dialect: DialectName,
): Expression<SqlBool> | undefined {
  const ref = sql.ref(column);
  let values: readonly string[];
  if (typeof match === 'string') {
    const value = match.trim();
    if (value === '' || /^\*+$/.test(value)) return undefined;
    if (kind === 'uid' && value.includes('\\')) {
      values = value.split('\\').map((v) => v.trim());
    } else if (kind === 'text' && hasWildcard(value)) {
      return dialect === 'postgres'
        ? sql<SqlBool>`${ref} like ${likePattern(value)}`
        : sql<SqlBool>`${ref} glob ${globPattern(value)}`;
    } else {
      return sql<SqlBool>`${ref} = ${value}`;
    }
  } else {
    values = match;
  }
  const list = values.filter((v) => v !== '');
  if (list.length === 0) return FALSE;
  if (list.length === 1) return sql<SqlBool>`${ref} = ${list[0]}`;
  return sql<SqlBool>`${ref} in (${sql.join(list)})`;
}

/** Reads `from-to`, `from-`, `-to`, or a single value (from = to). */
export function parseRange(value: DateTimeMatch): RangeMatch | undefined {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return undefined;
  const dash = text.indexOf('-');
  if (dash < 0) return { from: text, to: text };
  const from = text.slice(0, dash).trim();
  const to = text.slice(dash + 1).trim();
  return { ...(from !== '' && { from }), ...(to !== '' && { to }) };
}

/** The last instant a TM bound of any precision covers: `12` -> `125959.999999`. */
export function timeUpperBound(value: string): string {
  const [whole = '', fraction] = value.split('.');
  if (fraction !== undefined) return `${whole}.${fraction.padEnd(6, '9')}`;
  if (whole.length <= 2) return `${whole}5959.999999`;
  if (whole.length <= 4) return `${whole}59.999999`;
  return `${whole}.999999`;
}

function rangeCondition(
  column: string,
  match: DateTimeMatch,
  kind: 'date' | 'time',
): Expression<SqlBool> | undefined {
  const range = parseRange(match);
  if (range === undefined) return undefined;
  const ref = sql.ref(column);
  const { from, to } = range;
  if (kind === 'date' && from !== undefined && from === to) return sql<SqlBool>`${ref} = ${from}`;
  const parts: Expression<SqlBool>[] = [];
  if (from !== undefined) parts.push(sql<SqlBool>`${ref} >= ${from}`);
  if (to !== undefined) {
    parts.push(sql<SqlBool>`${ref} <= ${kind === 'time' ? timeUpperBound(to) : to}`);
  }
  if (parts.length === 0) return undefined;
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

function intCondition(column: string, match: NumberMatch): Expression<SqlBool> | undefined {
  if (typeof match === 'string' && (match.trim() === '' || /^\*+$/.test(match.trim()))) {
    return undefined;
  }
  const value = typeof match === 'number' ? match : Number(match.trim());
  if (!Number.isSafeInteger(value)) return FALSE;
  return sql<SqlBool>`${sql.ref(column)} = ${value}`;
}

/** The condition for one key, or undefined for universal matching. */
export function keyCondition(
  column: string,
  kind: KeyKind,
  match: TextMatch | DateTimeMatch | NumberMatch,
  dialect: DialectName,
): Expression<SqlBool> | undefined {
  switch (kind) {
    case 'text':
    case 'uid':
      if (typeof match !== 'string' && !Array.isArray(match)) return FALSE;
      return textCondition(column, match as TextMatch, kind, dialect);
    case 'date':
    case 'time':
      if (typeof match === 'number' || Array.isArray(match)) return FALSE;
      return rangeCondition(column, match as DateTimeMatch, kind);
    case 'int':
      if (typeof match !== 'number' && typeof match !== 'string') return FALSE;
      return intCondition(column, match);
  }
}
