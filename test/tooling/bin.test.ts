// The installed entry point (bin/niffler.js -> dist/cli/main.js) starts, answers --help and
// prints its version.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'node:test';

const bin = fileURLToPath(new URL('../../bin/niffler.js', import.meta.url));

it('bin/niffler.js --help exits 0 and prints a usage', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [bin, '--help']);
  assert.match(stdout, /niffler/i);
});

it('bin/niffler.js --version and -V print the package.json version and exit 0', async () => {
  const pkg = JSON.parse(
    await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  for (const flag of ['--version', '-V']) {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, flag]);
    assert.equal(stdout, `${pkg.version}\n`);
    assert.equal(stderr, '');
  }
});
