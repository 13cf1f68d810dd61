// Secrets: passwords, tokens and keys (the keys schema.ts makes with `secret()`).
//
// A secret is never required in the config file. For a secret key `a.b.password` it is taken,
// first match wins, from:
//   1. the environment variable NIFFLER_SECRET_A_B_PASSWORD;
//   2. the file named by `a.b.passwordFile` (a Docker/Kubernetes secret; one trailing newline is
//      dropped);
//   3. the value written at `a.b.password` (in the config file, with a warning: config files get
//      copied, committed and mailed; or from NIFFLER__A__B__PASSWORD, without one).
// Writing both `password` and `passwordFile` in the configuration is an error: which one was
// meant cannot be guessed.
import type * as z from 'zod';
import { closestMatch } from '../util/did-you-mean.js';
import type { ConfigProblem, ConfigSource } from './errors.js';
import { setIn } from './env.js';
import { envSegment, formatPath, markedKeys } from './introspect.js';

export const SECRET_ENV_PREFIX = 'NIFFLER_SECRET_';

export interface SecretKey {
  /** `['database', 'password']`. */
  readonly path: readonly string[];
  /** `['database', 'passwordFile']`. */
  readonly filePath: readonly string[];
  /** `NIFFLER_SECRET_DATABASE_PASSWORD`. */
  readonly variable: string;
}

/** Every secret key of the schema, with its file key and its environment variable. */
export function secretKeys(root: z.core.$ZodType): SecretKey[] {
  return markedKeys(root, 'secret').map((path) => ({
    path,
    filePath: [...path.slice(0, -1), `${path[path.length - 1] ?? ''}File`],
    variable: SECRET_ENV_PREFIX + path.map(envSegment).join('_'),
  }));
}

function getIn(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export interface SecretContext {
  readonly env: NodeJS.ProcessEnv;
  /** Reads a secret file (already resolved to an absolute path). */
  readonly readFile: (file: string) => string;
  /** Where a key's value came from (file with line, environment), for problems and warnings. */
  readonly sourceOf: (path: readonly string[]) => ConfigSource;
}

export interface SecretResult {
  readonly problems: ConfigProblem[];
  readonly warnings: string[];
}

/**
 * Puts each secret's value into `input` (the merged configuration before validation) at its key,
 * following the order above.
 */
export function resolveSecrets(
  root: z.core.$ZodType,
  input: Record<string, unknown>,
  context: SecretContext,
): SecretResult {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const keys = secretKeys(root);

  for (const key of keys) {
    const keyName = formatPath(key.path);
    const fileKeyName = formatPath(key.filePath);
    const literal = getIn(input, key.path);
    const fileRef = getIn(input, key.filePath);
    const fromEnv = context.env[key.variable];
    const given = (v: unknown): boolean => v !== undefined && v !== null;

    if (given(literal) && given(fileRef)) {
      problems.push({
        path: keyName,
        message: `give either ${keyName} or ${fileKeyName}, not both`,
        source: context.sourceOf(key.path),
      });
      continue;
    }
    const source = context.sourceOf(key.path);
    if (typeof literal === 'string' && source.kind === 'file') {
      warnings.push(
        `${source.file}${source.line === undefined ? '' : `:${source.line}`}: ${keyName}: a ` +
          `secret written in the config file; prefer the environment variable ${key.variable} ` +
          `or ${fileKeyName}`,
      );
    }
    if (fromEnv !== undefined) {
      if (fromEnv === '') {
        problems.push({
          path: keyName,
          message: 'the secret is empty',
          source: { kind: 'env', variable: key.variable },
        });
      }
      setIn(input, key.path, fromEnv);
      continue;
    }
    if (typeof fileRef === 'string') {
      let text: string;
      try {
        text = context.readFile(fileRef);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        problems.push({
          path: fileKeyName,
          message: `cannot read the secret file ${fileRef} (${code})`,
          source: context.sourceOf(key.filePath),
        });
        continue;
      }
      const value = text.replace(/\r?\n$/, '');
      if (value === '') {
        problems.push({
          path: fileKeyName,
          message: `the secret file ${fileRef} is empty`,
          source: context.sourceOf(key.filePath),
        });
        continue;
      }
      setIn(input, key.path, value);
      continue;
    }
  }

  // A misspelt secret variable would be silently ignored: say so.
  const known = keys.map((k) => k.variable);
  for (const name of Object.keys(context.env).sort()) {
    if (!name.startsWith(SECRET_ENV_PREFIX) || known.includes(name)) continue;
    const near = closestMatch(name, known);
    warnings.push(
      `environment variable ${name} is not a known secret and is ignored` +
        (near === undefined ? ` (known: ${known.join(', ')})` : `; did you mean ${near}?`),
    );
  }
  return { problems, warnings };
}
