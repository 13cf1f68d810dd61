// The installed entry point (bin/niffler.js -> dist/cli/main.js) starts and answers --help.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'node:test';

const bin = fileURLToPath(new URL('../../bin/niffler.js', import.meta.url));

it('bin/niffler.js --help exits 0 and prints a usage', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [bin, '--help']);
  assert.match(stdout, /niffler/i);
});
