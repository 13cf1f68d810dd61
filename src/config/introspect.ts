// Reading the schema as data: the keys it has, their types, defaults and descriptions (for the
// generated documentation, environment overrides and "did you mean"), and walking a value along
// it (to resolve relative paths). Only the schema kinds schema.ts uses are handled.
import * as z from 'zod';
import { keyMeta, type KeyMeta } from './fields.js';

type Schema = z.core.$ZodType;
export type PathSegment = string | number;

interface Def {
  readonly type: string;
  readonly innerType?: Schema;
  readonly defaultValue?: unknown;
  readonly in?: Schema;
  readonly out?: Schema;
  readonly shape?: Readonly<Record<string, Schema>>;
  readonly element?: Schema;
  readonly keyType?: Schema;
  readonly valueType?: Schema;
  readonly entries?: Readonly<Record<string, string | number>>;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
}

interface CheckDef {
  readonly check: string;
  readonly value?: number;
  readonly inclusive?: boolean;
  readonly format?: string;
}

function defOf(schema: Schema): Def {
  return schema._zod.def;
}

/** A schema with its wrappers (default, nullable, optional, preprocess) peeled off. */
export interface Unwrapped {
  /** The innermost schema: object, record, array, string, number, boolean, enum... */
  readonly core: Schema;
  readonly nullable: boolean;
  readonly hasDefault: boolean;
  /** The default value; `{}` for a section, whose keys have their own defaults. */
  readonly defaultValue: unknown;
  readonly description: string | undefined;
  readonly meta: KeyMeta | undefined;
}

export function unwrap(schema: Schema): Unwrapped {
  let current = schema;
  let nullable = false;
  let hasDefault = false;
  let defaultValue: unknown;
  let description: string | undefined;
  for (;;) {
    description ??= z.globalRegistry.get(current)?.description;
    const def = defOf(current);
    if ((def.type === 'default' || def.type === 'prefault') && def.innerType) {
      if (!hasDefault) defaultValue = def.defaultValue;
      hasDefault = true;
      current = def.innerType;
    } else if ((def.type === 'nullable' || def.type === 'optional') && def.innerType) {
      if (def.type === 'nullable') nullable = true;
      current = def.innerType;
    } else if (def.type === 'pipe' && def.out && def.in && defOf(def.in).type === 'transform') {
      current = def.out; // z.preprocess(): the transform, then the schema that validates
    } else {
      break;
    }
  }
  return { core: current, nullable, hasDefault, defaultValue, description, meta: keyMeta(current) };
}

export function kindOf(schema: Schema): string {
  return defOf(unwrap(schema).core).type;
}

/** The keys of an object schema, in order; [] for anything else. */
export function objectKeys(schema: Schema): string[] {
  const def = defOf(unwrap(schema).core);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** The schema one segment below `schema`: an object's key, a record's value, a list's item. */
export function childSchema(schema: Schema, segment: PathSegment): Schema | undefined {
  const def = defOf(unwrap(schema).core);
  switch (def.type) {
    case 'object':
      return typeof segment === 'string' && def.shape && Object.hasOwn(def.shape, segment)
        ? def.shape[segment]
        : undefined;
    case 'record':
      return def.valueType;
    case 'array':
      return def.element;
    default:
      return undefined;
  }
}

/** The schema at `path` below `root`, or undefined when the path leaves the schema. */
export function schemaAt(root: Schema, path: readonly PathSegment[]): Schema | undefined {
  let current: Schema | undefined = root;
  for (const segment of path) {
    if (current === undefined) return undefined;
    current = childSchema(current, segment);
  }
  return current;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `value` with every string leaf whose schema is marked `kind` replaced by `replace(leaf)`;
 * parts that do not match the schema's shape are returned as they are (validation reports them).
 * The input is not modified.
 */
export function mapMarkedLeaves(
  schema: Schema,
  value: unknown,
  kind: KeyMeta['kind'],
  replace: (leaf: string, path: readonly PathSegment[]) => string,
  path: readonly PathSegment[] = [],
): unknown {
  const { core, meta } = unwrap(schema);
  const def = defOf(core);
  if (typeof value === 'string') return meta?.kind === kind ? replace(value, path) : value;
  if (def.type === 'array' && def.element && Array.isArray(value)) {
    const element = def.element;
    return value.map((item, i) => mapMarkedLeaves(element, item, kind, replace, [...path, i]));
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const child =
      def.type === 'object' ? def.shape?.[key] : def.type === 'record' ? def.valueType : undefined;
    out[key] = child ? mapMarkedLeaves(child, item, kind, replace, [...path, key]) : item;
  }
  return out;
}

/** Every leaf marked `kind` reachable from `schema` through objects only (no records, lists). */
export function markedKeys(schema: Schema, kind: KeyMeta['kind']): string[][] {
  const found: string[][] = [];
  const visit = (s: Schema, path: string[]): void => {
    const { core, meta } = unwrap(s);
    const def = defOf(core);
    if (meta?.kind === kind) found.push(path);
    if (def.type === 'object' && def.shape) {
      for (const [key, child] of Object.entries(def.shape)) visit(child, [...path, key]);
    }
  };
  visit(schema, []);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/** `aeTitle` -> `AE_TITLE`, `maxPduLength` -> `MAX_PDU_LENGTH`. */
export function envSegment(key: string): string {
  if (key.startsWith('<')) return key.toUpperCase().replace(/ /g, '_'); // a documented placeholder
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .toUpperCase();
}

/** `['dicom', 'port']` -> `NIFFLER__DICOM__PORT`. */
export function envName(path: readonly string[]): string {
  return ['NIFFLER', ...path.map(envSegment)].join('__');
}

/** `['dicom', 'allowedPeers', 0, 'aeTitle']` -> `dicom.allowedPeers[0].aeTitle`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Documentation
// ---------------------------------------------------------------------------------------------

export interface KeyDoc {
  /** `dicom.port`, `retrieve.pacs.<name>.host`, `dicom.allowedPeers[].aeTitle`. */
  readonly key: string;
  /** Nesting depth: 1 for a section, 2 for its keys... */
  readonly depth: number;
  /** True for an object with keys of its own (documented by the entries that follow it). */
  readonly isObject: boolean;
  readonly type: string;
  /** Whether a value must be given: no default and not nullable. */
  readonly required: boolean;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  readonly description: string;
  /** The environment variable that sets it, undefined inside lists. */
  readonly env: string | undefined;
  readonly secret: boolean;
  readonly path: boolean;
}

function numberText(def: Def): string {
  let integer = false;
  let low: { value: number; inclusive: boolean } | undefined;
  let high: { value: number; inclusive: boolean } | undefined;
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    if (c.check === 'number_format' && c.format === 'safeint') integer = true;
    if (c.check === 'greater_than' && c.value !== undefined) {
      low = { value: c.value, inclusive: c.inclusive ?? false };
    }
    // Bounds of 1e9 and more only guard against absurd values: not worth documenting.
    if (c.check === 'less_than' && c.value !== undefined && c.value < 1e9) {
      high = { value: c.value, inclusive: c.inclusive ?? false };
    }
  }
  const name = integer ? 'integer' : 'number';
  if (low?.inclusive && high?.inclusive) return `${name} ${low.value}-${high.value}`;
  const parts = [name];
  if (low) parts.push(`${low.inclusive ? '>=' : '>'} ${low.value}`);
  if (high) parts.push(`${high.inclusive ? '<=' : '<'} ${high.value}`);
  return parts.join(' ');
}

function recordKeyName(def: Def): string {
  const type = def.keyType ? unwrap(def.keyType).meta?.type : undefined;
  return `<${type ?? 'key'}>`;
}

/** An item of a list or map: an object is shown with its keys. */
function itemText(schema: Schema): string {
  const keys = objectKeys(schema);
  return keys.length > 0 ? `{ ${keys.join(', ')} }` : typeText(schema);
}

/** The type as the documentation shows it. */
export function typeText(schema: Schema): string {
  const { core, nullable, meta } = unwrap(schema);
  const def = defOf(core);
  let text: string;
  switch (def.type) {
    case 'string':
      text = meta?.type ?? 'string';
      break;
    case 'number':
      text = meta?.type ?? numberText(def);
      break;
    case 'boolean':
      text = 'boolean';
      break;
    case 'enum':
      text = Object.values(def.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(' | ');
      break;
    case 'object':
      text = 'object';
      break;
    case 'array':
      text = def.element ? `list of ${itemText(def.element)}` : 'list';
      break;
    case 'record':
      text = `map ${recordKeyName(def)} -> ${def.valueType ? itemText(def.valueType) : 'value'}`;
      break;
    default:
      text = def.type;
  }
  return nullable ? `${text} or null` : text;
}

/** Every key of the schema, depth first in schema order, for the generated documentation. */
export function describeKeys(root: Schema): KeyDoc[] {
  const docs: KeyDoc[] = [];
  const visit = (
    schema: Schema,
    key: string,
    env: string[] | undefined,
    depth: number,
    entry: 'key' | 'map entry' | 'list item' = 'key',
  ): void => {
    const u = unwrap(schema);
    const def = defOf(u.core);
    const isObject = def.type === 'object';
    // A section: prefault({}), every key below has its own default.
    const isSection =
      isObject && u.hasDefault && typeof u.defaultValue === 'object' && u.defaultValue !== null;
    // A list item is documented by its keys alone; a map entry has its own line (and variable).
    if (entry !== 'list item') {
      docs.push({
        key,
        depth,
        isObject,
        type: typeText(schema),
        required: entry === 'key' && !u.hasDefault && !u.nullable,
        hasDefault: u.hasDefault && !isSection,
        defaultValue: isSection ? undefined : u.defaultValue,
        description: u.description ?? '',
        env: env ? envName(env) : undefined,
        secret: u.meta?.kind === 'secret',
        path: u.meta?.kind === 'path',
      });
    }
    if (isObject && def.shape) {
      for (const [name, child] of Object.entries(def.shape)) {
        visit(child, `${key}.${name}`, env ? [...env, name] : undefined, depth + 1);
      }
    } else if (def.type === 'record' && def.valueType && kindOf(def.valueType) === 'object') {
      const placeholder = recordKeyName(def);
      const childEnv = env ? [...env, placeholder] : undefined;
      visit(def.valueType, `${key}.${placeholder}`, childEnv, depth + 1, 'map entry');
    } else if (def.type === 'array' && def.element && kindOf(def.element) === 'object') {
      visit(def.element, `${key}[]`, undefined, depth + 1, 'list item');
    }
  };
  for (const [name, child] of Object.entries(defOf(unwrap(root).core).shape ?? {})) {
    visit(child, name, [name], 1);
  }
  return docs;
}
