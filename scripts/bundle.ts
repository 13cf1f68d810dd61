// `npm run build`, second step: the CLI as a few ES module files in dist/bundle/, which
// bin/niffler.js loads. tsc's dist/ stays whole beside it (the export worker thread runs
// dist/export/worker.js; the package's modules stay importable one by one).
//
// Why: Node resolves and reads every module file one at a time. `niffler retrieve` loaded about
// 600 files, Kysely's and zod's most of them, and spent ~0.45 s before its first association;
// from the bundle it starts in about half that (README, "CLI start-up"). Code splitting keeps the
// commands lazy: each action's `import()` becomes a chunk loaded only when that command runs.
//
// Only pure-JavaScript packages are bundled (BUNDLED). The others stay imports of node_modules:
// native addons (better-sqlite3, sharp), packages that resolve their own files at run time
// (pino's transports, the codecs' WebAssembly), and those loaded only on a rare path (pg,
// nodemailer).
//
// Every output file sits one folder below dist/, as each source module sits one folder below
// src/: the few modules that find a file relative to their own location (package.json,
// featuresets/, the export worker) name it the same way from dist/bundle/ as from dist/<layer>/.
import { build, type Plugin } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const BUNDLED = new Set(['commander', 'kysely', 'yaml', 'zod', 'fflate']);

/** The package a bare specifier names ('@scope/name/sub' → '@scope/name'). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      return BUNDLED.has(packageName(args.path)) ? undefined : { path: args.path, external: true };
    });
  },
};

// Chunk names carry a content hash: a previous build's chunks would stay beside the new ones.
rmSync(path.join(ROOT, 'dist/bundle'), { recursive: true, force: true });

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  metafile: true,
  // commander and yaml are CommonJS: their require() of Node's built-in modules needs a real
  // require in an ES module.
  banner: {
    js: "import { createRequire as __nifflerRequire } from 'node:module'; const require = __nifflerRequire(import.meta.url);",
  },
  plugins: [externalPackages],
});

const outputs = Object.keys(result.metafile.outputs).filter((file) => file.endsWith('.js'));
const nested = outputs.filter((file) => path.dirname(file) !== 'dist/bundle');
if (nested.length > 0) {
  throw new Error(
    `bundle: outputs outside dist/bundle/ break relative paths: ${nested.join(', ')}`,
  );
}
