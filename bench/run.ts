// `npm run bench [-- FILTER...]`: runs each bench/*.bench.ts in its own process, one at a time
// (benchmarks must not compete for the two cores), and prints every RATIO line again at the end.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const scripts = readdirSync(BENCH)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();
if (scripts.length === 0) {
  console.error(`bench: no bench/*.bench.ts matches ${filters.join(' ') || '(any)'}`);
  process.exit(2);
}
const ratios: string[] = [];
let failed = 0;
for (const script of scripts) {
  console.log(`\n=== ${script}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(BENCH, script)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, TCP_NODELAY: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(run.stdout);
  for (const line of run.stdout.split('\n')) if (line.startsWith('RATIO ')) ratios.push(line);
  if (run.status !== 0) {
    failed++;
    console.error(`bench: ${script} failed (exit ${run.status ?? run.signal})`);
  }
}
console.log('\n=== ratios');
for (const line of ratios) console.log(line);
process.exit(failed > 0 ? 1 : 0);
