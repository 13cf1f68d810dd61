// Building the command tree (program() in src/cli/main.ts) loads only commander and the
// commands' declarations; every action imports its implementation when it runs. This follows
// the static value imports from main.ts (not `import type`, not `import()`) and fails when one
// reaches a module that would make every niffler command load more (the database, the network
// stack, sharp...): what start-up costs is measured in the commit that made it lazy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What program() may load: bare specifiers, and modules as repository paths. */
const ALLOWED_PACKAGES = new Set(['commander', 'node:fs']);
const ALLOWED_MODULES = [
  /^src\/cli\/main\.ts$/,
  /^src\/cli\/commands\/[a-z-]+\.ts$/,
  /^src\/cli\/(errors|net-options|version)\.ts$/,
  /^src\/export\/levels\.ts$/,
  /^src\/net\/services\/query-levels\.ts$/,
];

/** The specifiers a module loads when it is evaluated: value imports and re-exports. */
function valueImports(file: string): string[] {
  const source = readFileSync(path.join(ROOT, file), 'utf8');
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  for (const node of sf.statements) {
    if (ts.isImportDeclaration(node)) {
      if (node.importClause?.isTypeOnly === true) continue;
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      if (node.isTypeOnly) continue;
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return found;
}

it('program() loads only commander and the light CLI modules; actions are imported when they run', () => {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = ['src/cli/main.ts'];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of valueImports(file)) {
      if (!specifier.startsWith('.')) {
        packages.add(specifier);
        continue;
      }
      const target = path.posix
        .normalize(path.posix.join(path.posix.dirname(file), specifier))
        .replace(/\.js$/, '.ts');
      queue.push(target);
    }
  }
  const heavy = [...seen].filter((file) => !ALLOWED_MODULES.some((re) => re.test(file)));
  assert.deepEqual(heavy, [], 'modules program() should not load');
  assert.deepEqual(
    [...packages].filter((name) => !ALLOWED_PACKAGES.has(name)),
    [],
    'packages program() should not load',
  );
  // The walk did reach the commands (a broken walk would pass the checks above).
  assert.ok(
    seen.has('src/cli/commands/retrieve.ts') && seen.has('src/cli/net-options.ts'),
    'the walk reached the commands',
  );
});
