// Parsing a config file's text (YAML or JSON) into a value, with the line of each key for error
// messages. Pure: the loader reads the file.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { ConfigProblem } from './errors.js';
import type { PathSegment } from './introspect.js';

export type ConfigFormat = 'yaml' | 'json';

export interface ParsedConfigText {
  readonly format: ConfigFormat;
  /** The parsed value; undefined when there are problems. An empty file is `{}`. */
  readonly value: unknown;
  /** Syntax problems, each with its line. */
  readonly problems: readonly ConfigProblem[];
  /**
   * The line where `path` is written, or where its nearest written ancestor is, with how many
   * segments of the path were found (0: nothing of it is in the file).
   */
  lineOf(path: readonly PathSegment[]): { line: number | undefined; found: number };
}

/** JSON for `.json`, YAML for `.yaml`/`.yml`; otherwise JSON when the text starts with `{`. */
export function detectFormat(file: string, text: string): ConfigFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return /^\s*\{/.test(text.replace(/^\uFEFF/, '')) ? 'json' : 'yaml';
}

/**
 * Parses config text. `display` names the file in problems. YAML is read as YAML 1.2 (core
 * schema: `yes` and `on` are strings, not booleans) with unique keys; JSON with JSON.parse. Line
 * numbers for JSON come from reading the same text as YAML, of which JSON is a subset.
 */
export function parseConfigText(
  text: string,
  display: string,
  format: ConfigFormat,
): ParsedConfigText {
  const source = text.replace(/^\uFEFF/, '');
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (path: readonly PathSegment[]): { line: number | undefined; found: number } =>
    doc.errors.length > 0 ? { line: undefined, found: 0 } : locate(doc, lineCounter, path);
  const problem = (message: string, line: number | undefined): ConfigProblem => ({
    path: '',
    message,
    source: { kind: 'file', file: display, line },
  });

  if (format === 'json') {
    try {
      const value: unknown = JSON.parse(source);
      // JSON.parse keeps the last of two equal keys without a word: refuse them, as in YAML.
      const duplicates = doc.errors
        .filter((e) => e.code === 'DUPLICATE_KEY')
        .map((e) => problem('duplicate key', lineCounter.linePos(e.pos[0]).line));
      if (duplicates.length > 0) return { format, value: undefined, problems: duplicates, lineOf };
      return { format, value, problems: [], lineOf };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const position = /at position (\d+)/.exec(message)?.[1];
      const line =
        position === undefined ? undefined : source.slice(0, Number(position)).split('\n').length;
      return {
        format,
        value: undefined,
        problems: [problem(`invalid JSON: ${message}`, line)],
        lineOf,
      };
    }
  }

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) =>
      problem(`invalid YAML: ${e.message}`, lineCounter.linePos(e.pos[0]).line),
    );
    return { format, value: undefined, problems, lineOf };
  }
  const value: unknown = doc.toJS({ maxAliasCount: 1000 });
  return { format, value: value ?? {}, problems: [], lineOf };
}

function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
): { line: number | undefined; found: number } {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  let found = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) break;
      offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = (item as { range?: [number, number, number] }).range?.[0];
      node = item;
    } else {
      break;
    }
    found++;
  }
  return { line: offset === undefined ? undefined : lineCounter.linePos(offset).line, found };
}
