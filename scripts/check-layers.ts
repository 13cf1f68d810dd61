// `npm run check:layers`: checks the dependency direction of every module in src/ against the
// rules in scripts/layers.ts. Prints one line per violation and exits 1, or a summary line.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLayers, formatViolation } from './layers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const entries = await readdir(path.join(root, 'src'), { recursive: true, withFileTypes: true });
const files = entries
  .filter((e) => e.isFile() && /\.[mc]?tsx?$/.test(e.name))
  .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
  .sort();

const modules = await Promise.all(
  files.map(async (file) => ({ file, source: await readFile(path.join(root, file), 'utf8') })),
);
const violations = checkLayers(modules);

for (const v of violations) console.log(formatViolation(v));
if (violations.length > 0) {
  console.log(`check:layers: ${violations.length} violation(s) in ${files.length} modules`);
  process.exitCode = 1;
} else {
  console.log(`check:layers: ${files.length} modules in src/, no layer violations`);
}
