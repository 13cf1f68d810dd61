// Validation against the schema, with every zod issue turned into a ConfigProblem that names its
// key: unknown keys one by one with a "did you mean", record keys with what is wrong with them.
import type * as z from 'zod';
import { closestMatch } from '../util/did-you-mean.js';
import type { ConfigProblem, ConfigSource } from './errors.js';
import { formatPath, objectKeys, schemaAt, unwrap, type PathSegment } from './introspect.js';
import { configSchema, type ConfigOutput } from './schema.js';

/** Keys of the original Niffler's system.json and config.json files (niffler.md 2.1, 2.2). */
const ORIGINAL_NIFFLER_KEYS = new Set([
  'DCM4CHEBin',
  'SrcAet',
  'QueryAet',
  'DestAet',
  'NightlyOnly',
  'StartHour',
  'EndHour',
  'NifflerID',
  'MaxNifflerProcesses',
  'NifflerSystem',
  'StorageFolder',
  'FilePath',
  'CsvFile',
  'ExtractionType',
  'NumberOfQueryAttributes',
  'FirstAttr',
  'FirstIndex',
  'DateFormat',
  'SendEmail',
  'YourEmail',
]);

export type SourceLookup = (path: readonly PathSegment[]) => ConfigSource;

export type ValidationResult =
  | { readonly ok: true; readonly data: ConfigOutput }
  | { readonly ok: false; readonly problems: ConfigProblem[] };

/** A short rendering of a rejected value; nothing for secrets, objects and lists. */
function shown(path: readonly PathSegment[], input: unknown): string {
  const schema = schemaAt(configSchema, path);
  if (schema !== undefined && unwrap(schema).meta?.kind === 'secret') return '';
  if (typeof input === 'string') {
    // A URL's password is a secret too (database.url).
    const safe = input.replace(/\/\/([^/@:\s]*):[^/@\s]*@/, '//$1:***@');
    const text = safe.length > 60 ? `${safe.slice(0, 57)}...` : safe;
    return `, got ${JSON.stringify(text)}`;
  }
  if (typeof input === 'number' || typeof input === 'boolean' || input === null) {
    return `, got ${String(input)}`;
  }
  return '';
}

const SHOW_INPUT = new Set([
  'invalid_type',
  'too_big',
  'too_small',
  'invalid_value',
  'invalid_format',
]);

function unknownKeyMessage(objectPath: readonly PathSegment[], key: string): string {
  if (objectPath.length === 0 && ORIGINAL_NIFFLER_KEYS.has(key)) {
    return (
      "unknown key: this is a key of the original Niffler's system.json or config.json, " +
      'which must be converted to this format first'
    );
  }
  const schema = schemaAt(configSchema, objectPath);
  const known = schema === undefined ? [] : objectKeys(schema);
  const near = closestMatch(key, known);
  if (near !== undefined) return `unknown key; did you mean "${near}"?`;
  return known.length > 0 && known.length <= 16
    ? `unknown key (known keys: ${known.join(', ')})`
    : 'unknown key';
}

function issueProblems(issue: z.core.$ZodIssue, sourceOf: SourceLookup): ConfigProblem[] {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  const at = (p: readonly PathSegment[], message: string): ConfigProblem => ({
    path: formatPath(p),
    message,
    source: sourceOf(p),
  });
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => at([...path, key], unknownKeyMessage(path, key)));
    case 'invalid_key': {
      const name = String(path[path.length - 1] ?? '');
      const inner = issue.issues.map((i) => i.message).join('; ');
      return [at(path, `invalid name ${JSON.stringify(name)}: ${inner}`)];
    }
    case 'invalid_type':
      if (issue.input === undefined) return [at(path, 'required')];
      return [at(path, `${issue.message}${shown(path, issue.input)}`)];
    default: {
      const got = SHOW_INPUT.has(issue.code) ? shown(path, issue.input) : '';
      return [at(path, `${issue.message}${got}`)];
    }
  }
}

/** Validates `input` against the schema; every problem is reported, none stops the others. */
export function validateConfig(input: unknown, sourceOf: SourceLookup): ValidationResult {
  const result = configSchema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, problems: result.error.issues.flatMap((i) => issueProblems(i, sourceOf)) };
}
