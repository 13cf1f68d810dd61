// The dependency-direction rules for src/ and the pure function that checks them.
// `scripts/check-layers.ts` is the CLI wrapper (`npm run check:layers`).
import path from 'node:path';
import ts from 'typescript';

// ---------------------------------------------------------------------------------------------
// The rules, as data. Change the architecture here (and in the README's architecture section).
// ---------------------------------------------------------------------------------------------

/** Layers from lowest to highest: a module may import its own layer and the layers before it. */
export const LAYER_ORDER = [
  'dicom',
  'io',
  'net',
  'store',
  'metadata',
  'receive',
  'retrieve',
  'export',
  'deid',
  'analytics',
  'pipelines',
  'web',
  'cli',
] as const;

/** Shared layers: every layer may import them; each of them may import only the ones listed. */
export const SHARED_LAYERS: Readonly<Record<string, readonly string[]>> = {
  config: ['util'],
  util: [],
};

/**
 * Pure folders (prefixes under src/): no I/O. They may not import the modules in IO_MODULES, nor
 * a module of their own layer that is not pure (net/pdu may not reach into net/transport).
 */
export const PURE_PREFIXES = [
  'src/dicom/',
  'src/net/pdu/',
  'src/net/ul/',
  'src/net/dimse/',
  'src/net/negotiation/',
] as const;

/** Node built-ins that do I/O (matched with or without `node:` and with any subpath). */
export const IO_MODULES = [
  'fs',
  'net',
  'tls',
  'child_process',
  'dgram',
  'http',
  'https',
  'http2',
  'dns',
  'cluster',
  'worker_threads',
  'readline',
  'inspector',
  'repl',
  'os',
] as const;

// ---------------------------------------------------------------------------------------------

export interface Violation {
  /** Repository-relative path, forward slashes. */
  file: string;
  /** 1-based line of the import. */
  line: number;
  /** The importing module's layer, `dicom (pure)` for a pure module. */
  layer: string;
  /** What it may not import: a layer with the specifier, or a built-in. */
  target: string;
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line}: ${v.layer} may not import ${v.target}`;
}

interface ModuleImport {
  specifier: string;
  line: number;
}

/** Every static import, `export ... from`, `import x = require()`, `import()` and `import('x')` type. */
export function findImports(file: string, source: string): ModuleImport[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: ModuleImport[] = [];
  const add = (node: ts.Node | undefined): void => {
    if (node && ts.isStringLiteralLike(node)) {
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      found.push({ specifier: node.text, line });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The layer of a repository-relative path under src/, '' for a file directly in src/. */
export function layerOf(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'src') return undefined;
  return parts.length === 2 ? '' : parts[1];
}

function isPure(file: string): boolean {
  return PURE_PREFIXES.some((prefix) => file.startsWith(prefix));
}

function isKnownLayer(layer: string): boolean {
  return (LAYER_ORDER as readonly string[]).includes(layer) || layer in SHARED_LAYERS;
}

/** `node:fs/promises` -> `fs`; undefined for anything that is not an I/O built-in. */
function ioBuiltin(specifier: string): string | undefined {
  const name = specifier.replace(/^node:/, '').split('/')[0] ?? '';
  return (IO_MODULES as readonly string[]).includes(name) ? name : undefined;
}

/** Why `from` (a layer) may not import `to` (a layer), or undefined if it may. */
function layerRule(from: string, to: string): string | undefined {
  if (to === '') return 'the package entry (src/*.ts)';
  if (!isKnownLayer(to)) return `src/${to}/, which is not a layer`;
  const shared = SHARED_LAYERS[from];
  if (shared) return from === to || shared.includes(to) ? undefined : to;
  if (to in SHARED_LAYERS) return undefined;
  const order = LAYER_ORDER as readonly string[];
  return order.indexOf(to) <= order.indexOf(from) ? undefined : to;
}

/**
 * Checks one module. `file` is repository-relative with forward slashes (`src/net/pdu/codec.ts`);
 * files outside src/ have no rules. Only literal specifiers are checked.
 */
export function checkModule(file: string, source: string): Violation[] {
  const layer = layerOf(file);
  if (layer === undefined) return [];
  const pure = isPure(file);
  const label = pure ? `${layer} (pure)` : layer === '' ? 'src' : layer;
  const violations: Violation[] = [];
  const report = (line: number, target: string): void => {
    violations.push({ file, line, layer: label, target });
  };

  if (layer !== '' && !isKnownLayer(layer)) {
    report(1, `anything: src/${layer}/ is not a layer (add it to LAYER_ORDER or SHARED_LAYERS)`);
    return violations;
  }

  for (const { specifier, line } of findImports(file, source)) {
    if (!specifier.startsWith('.') && !specifier.startsWith('/')) {
      // A package or a built-in: only the pure folders are restricted.
      if (pure && ioBuiltin(specifier) !== undefined) report(line, specifier);
      continue;
    }
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    const targetLayer = layerOf(resolved);
    if (targetLayer === undefined) {
      report(line, `${specifier} (outside src/)`);
      continue;
    }
    if (layer === '') continue; // the package entry may re-export any layer
    const broken = layerRule(layer, targetLayer);
    if (broken !== undefined) {
      report(line, `${broken} (${specifier})`);
    } else if (pure && targetLayer === layer && !isPure(resolved)) {
      report(line, `${resolved.replace(/^src\//, '')}, which is not pure (${specifier})`);
    }
  }
  return violations;
}

/** Checks a set of modules; violations sorted by file and line. */
export function checkLayers(modules: Iterable<{ file: string; source: string }>): Violation[] {
  const all: Violation[] = [];
  for (const { file, source } of modules) all.push(...checkModule(file, source));
  return all.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}
