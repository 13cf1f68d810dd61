// Environment overrides: `NIFFLER__SECTION__KEY=value` sets `section.key`, and the shortcut
// `NIFFLER_DATABASE_URL` sets `database.url`. Pure: takes the environment as a value.
//
// Names: the prefix `NIFFLER__`, then one segment per key separated by `__`; a camelCase key is
// written in UPPER_SNAKE (`NIFFLER__DICOM__AE_TITLE`), compared without regard to case and
// underscores. Below a map (`retrieve.pacs`) the segment is the entry's name: an entry already
// in the file whose name matches (same comparison) is the one changed, otherwise a new entry is
// made with the segment as its name. Lists are set whole, as JSON.
//
// Values: a key that holds text takes the value as it is (`null` excepted, for a key that can be
// null); any other key reads it as JSON when it parses (`11113`, `true`, `null`, `["a","b"]`,
// `{"aeTitle":"PACS"}`), else as a string, which validation may then refuse.
import path from 'node:path';
import type * as z from 'zod';
import { closestMatch } from '../util/did-you-mean.js';
import type { ConfigProblem } from './errors.js';
import {
  envName,
  envSegment,
  kindOf,
  mapMarkedLeaves,
  objectKeys,
  unwrap,
  type PathSegment,
} from './introspect.js';

export const ENV_PREFIX = 'NIFFLER__';
export const DATABASE_URL_VARIABLE = 'NIFFLER_DATABASE_URL';

export interface EnvOverride {
  readonly variable: string;
  readonly path: readonly string[];
  readonly value: unknown;
}

export interface EnvOverrides {
  /** Shallow paths first, so that a deeper override applies inside a section set as JSON. */
  readonly overrides: readonly EnvOverride[];
  readonly problems: readonly ConfigProblem[];
}

function squash(name: string): string {
  return name.toLowerCase().replace(/_/g, '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of a variable for a key of the given schema (see the header comment). */
function parseValue(schema: z.core.$ZodType, raw: string): unknown {
  const { nullable } = unwrap(schema);
  const kind = kindOf(schema);
  if (raw === 'null' && nullable) return null;
  if (kind === 'string' || kind === 'enum') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/**
 * The overrides the environment asks for. `current` is the configuration read so far (to match
 * map entries by name); `cwd` resolves relative paths given in the environment.
 */
export function readEnvOverrides(
  env: NodeJS.ProcessEnv,
  root: z.core.$ZodType,
  current: unknown,
  cwd: string,
): EnvOverrides {
  const overrides: EnvOverride[] = [];
  const problems: ConfigProblem[] = [];
  const fail = (variable: string, keyPath: string, message: string): void => {
    problems.push({ path: keyPath, message, source: { kind: 'env', variable } });
  };

  const names = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && env[name] !== undefined)
    .sort();
  for (const variable of names) {
    const raw = env[variable] ?? '';
    const segments = variable.slice(ENV_PREFIX.length).split('__');
    let schema: z.core.$ZodType = root;
    let value: unknown = current;
    const keys: string[] = [];
    let error: string | undefined;
    for (const segment of segments) {
      const kind = kindOf(schema);
      const core = unwrap(schema).core;
      const def = core._zod.def as unknown as {
        shape?: Record<string, z.core.$ZodType>;
        valueType?: z.core.$ZodType;
      };
      if (segment === '') {
        error = 'empty name segment (a key is separated from the next by exactly "__")';
      } else if (kind === 'object' && def.shape) {
        const known = objectKeys(schema);
        const key = known.find((k) => squash(k) === squash(segment));
        if (key === undefined) {
          const near = closestMatch(segment, known.map(envSegment));
          const where = keys.length === 0 ? 'the configuration' : keys.join('.');
          error =
            `${where} has no key "${segment}"` +
            (near === undefined ? '' : `; did you mean ${envName([...keys, near])}?`);
        } else {
          keys.push(key);
          schema = def.shape[key] ?? schema;
          value = isPlainObject(value) ? value[key] : undefined;
        }
      } else if (kind === 'record' && def.valueType) {
        const existing = isPlainObject(value) ? Object.keys(value) : [];
        const key = existing.find((k) => squash(k) === squash(segment)) ?? segment;
        keys.push(key);
        schema = def.valueType;
        value = isPlainObject(value) ? value[key] : undefined;
      } else if (kind === 'array') {
        error = `${keys.join('.')} is a list: set it whole, as JSON (${envName(keys)}='[...]')`;
      } else {
        error = `${keys.join('.')} has no keys below it`;
      }
      if (error !== undefined) break;
    }
    if (error !== undefined) {
      fail(variable, '', error);
      continue;
    }
    const parsed = mapMarkedLeaves(schema, parseValue(schema, raw), 'path', (leaf) =>
      path.resolve(cwd, leaf),
    );
    overrides.push({ variable, path: keys, value: parsed });
  }

  const shortcut = env[DATABASE_URL_VARIABLE];
  if (shortcut !== undefined) {
    const explicit = overrides.find((o) => o.path.join('.') === 'database.url');
    if (explicit && explicit.value !== shortcut) {
      fail(
        DATABASE_URL_VARIABLE,
        'database.url',
        `${DATABASE_URL_VARIABLE} and ${explicit.variable} disagree: set only one`,
      );
    } else if (!explicit) {
      overrides.push({
        variable: DATABASE_URL_VARIABLE,
        path: ['database', 'url'],
        value: shortcut,
      });
    }
  }

  overrides.sort((a, b) => a.path.length - b.path.length);
  return { overrides, problems };
}

/**
 * Sets `value` at `keys` inside `target`, making objects along the way. A value that is not an
 * object in the way is first given to `expand` (which turns `AET@HOST:PORT` into a peer object);
 * if that does not make it an object, nothing is set and false is returned.
 */
export function setIn(
  target: Record<string, unknown>,
  keys: readonly PathSegment[],
  value: unknown,
  expand: (value: unknown) => unknown = (v) => v,
): boolean {
  let node: Record<string, unknown> = target;
  for (const [i, key] of keys.entries()) {
    const name = String(key);
    if (i === keys.length - 1) {
      node[name] = value;
      return true;
    }
    let next = node[name];
    if (next === undefined || next === null) next = {};
    else if (!isPlainObject(next)) next = expand(next);
    if (!isPlainObject(next)) return false;
    node[name] = next;
    node = next;
  }
  return false;
}
