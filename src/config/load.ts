// Loading the configuration at start: file, then environment, then secrets, then validation of
// the whole, then relative paths resolved and everything frozen. Every problem found on the way is
// collected and thrown at once, as one ConfigError.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deepFreeze, type DeepReadonly } from '../util/deep-freeze.js';
import { ConfigError, type ConfigProblem, type ConfigSource } from './errors.js';
import { readEnvOverrides, setIn, type EnvOverride } from './env.js';
import { mapMarkedLeaves, type PathSegment } from './introspect.js';
import { configSchema, type ConfigOutput } from './schema.js';
import { resolveSecrets } from './secrets.js';
import { detectFormat, parseConfigText, type ParsedConfigText } from './source.js';
import { validateConfig } from './validate.js';
import { parsePeerAddress } from './values.js';

/** The validated, deeply frozen configuration. */
export type Config = DeepReadonly<ConfigOutput>;

/** Names the config file when `file` is not given (for containers and services). */
export const CONFIG_FILE_VARIABLE = 'NIFFLER_CONFIG';

export interface LoadConfigOptions {
  /** The config file, YAML or JSON; relative to `cwd`. None: NIFFLER_CONFIG, else defaults. */
  readonly file?: string | undefined;
  /** The environment; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** The directory relative paths without a config file are resolved in; default the cwd. */
  readonly cwd?: string | undefined;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Things that work but deserve a look (a secret written in the file...), one line each. */
  readonly warnings: readonly string[];
  /** The absolute path of the config file read, if any. */
  readonly file: string | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function startsWith(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => String(s) === String(path[i]));
}

/** Warns about a password inside a database URL written in the config file. */
function urlPasswordWarning(input: unknown, source: ConfigSource): string | undefined {
  const url =
    isPlainObject(input) && isPlainObject(input.database) ? input.database.url : undefined;
  if (typeof url !== 'string' || source.kind !== 'file') return undefined;
  try {
    if (new URL(url).password === '') return undefined;
  } catch {
    return undefined;
  }
  return (
    `${source.file}${source.line === undefined ? '' : `:${source.line}`}: database.url: the URL ` +
    'carries a password in the config file; prefer NIFFLER_DATABASE_URL, or ' +
    'NIFFLER_SECRET_DATABASE_PASSWORD with a URL without one'
  );
}

/**
 * Reads, merges, validates and freezes the configuration:
 *   1. the config file (YAML or JSON by extension, else by content), if any; its relative paths
 *      are resolved against its own directory;
 *   2. environment overrides (env.ts), whose relative paths are resolved against `cwd`;
 *   3. secrets (secrets.ts);
 *   4. validation of the result against the schema; defaults fill what is missing, and the
 *      relative paths among them are resolved against the config file's directory (or `cwd`).
 * Throws ConfigError: CONFIG_UNREADABLE when the file cannot be read, CONFIG_INVALID with every
 * problem found otherwise. Reads nothing but the files named, and `env`.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const fileFromEnv = env[CONFIG_FILE_VARIABLE];
  const fileOption = options.file ?? (fileFromEnv === '' ? undefined : fileFromEnv);
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];

  // 1. The file.
  let file: string | undefined;
  let parsed: ParsedConfigText | undefined;
  let fromFile: unknown = {};
  if (fileOption !== undefined) {
    file = path.resolve(cwd, fileOption);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new ConfigError(
        'CONFIG_UNREADABLE',
        `cannot read config file ${fileOption} (${code})`,
        [],
        {
          cause: error,
        },
      );
    }
    parsed = parseConfigText(text, fileOption, detectFormat(fileOption, text));
    if (parsed.problems.length > 0) throw ConfigError.invalid(parsed.problems, fileOption);
    fromFile = parsed.value;
    if (!isPlainObject(fromFile)) {
      throw ConfigError.invalid(
        [
          {
            path: '',
            message: 'the file must hold a mapping of sections (dicom, storage, ...)',
            source: { kind: 'file', file: fileOption, line: 1 },
          },
        ],
        fileOption,
      );
    }
  }
  const baseDir = file === undefined ? cwd : path.dirname(file);
  const merged = mapMarkedLeaves(configSchema, fromFile, 'path', (leaf) =>
    path.resolve(baseDir, leaf),
  ) as Record<string, unknown>;

  // 2. The environment.
  const envResult = readEnvOverrides(env, configSchema, merged, cwd);
  problems.push(...envResult.problems);
  const applied: EnvOverride[] = [];
  const expandPeer = (v: unknown): unknown =>
    typeof v === 'string' ? (parsePeerAddress(v) ?? v) : v;
  for (const override of envResult.overrides) {
    if (setIn(merged, override.path, override.value, expandPeer)) {
      applied.push(override);
    } else {
      problems.push({
        path: override.path.join('.'),
        message: 'cannot be set: a value that is not an object stands in its way',
        source: { kind: 'env', variable: override.variable },
      });
    }
  }

  // Where a value came from: the deepest environment override covering it, else the file.
  const sourceOf = (keyPath: readonly PathSegment[]): ConfigSource => {
    let variable: string | undefined;
    let depth = -1;
    for (const o of applied) {
      if (o.path.length > depth && startsWith(keyPath, o.path)) {
        variable = o.variable;
        depth = o.path.length;
      }
    }
    if (variable !== undefined) return { kind: 'env', variable };
    if (parsed !== undefined && fileOption !== undefined) {
      const { line, found } = parsed.lineOf(keyPath);
      if (found > 0 || keyPath.length === 0) return { kind: 'file', file: fileOption, line };
    }
    return { kind: 'default' };
  };

  // 3. Secrets.
  const secrets = resolveSecrets(configSchema, merged, {
    env,
    readFile: (f) => readFileSync(f, 'utf8'),
    sourceOf,
  });
  problems.push(...secrets.problems);
  warnings.push(...secrets.warnings);
  const urlWarning = urlPasswordWarning(fromFile, sourceOf(['database', 'url']));
  if (urlWarning !== undefined) warnings.push(urlWarning);

  // 4. Validation, all at once.
  const result = validateConfig(merged, sourceOf);
  if (!result.ok) problems.push(...result.problems);
  if (problems.length > 0 || !result.ok) {
    throw ConfigError.invalid(problems, fileOption ?? 'defaults and environment');
  }
  const resolved = mapMarkedLeaves(configSchema, result.data, 'path', (leaf) =>
    path.resolve(baseDir, leaf),
  ) as ConfigOutput;
  return { config: deepFreeze(resolved), warnings, file };
}
