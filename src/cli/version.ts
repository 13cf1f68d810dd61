import { readFileSync } from 'node:fs';

/**
 * The version in package.json, one folder above src/ and dist/ (this module is src/cli/version.ts
 * or dist/cli/version.js, or inside the CLI bundle in dist/bundle/, as deep). Read, not imported:
 * a JSON import lies outside the build's rootDir (src/), and `--version` needs no more than this
 * one small file.
 */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === 'string' ? version : 'unknown';
}
