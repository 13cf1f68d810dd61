// store-scp's option checks, through the built CLI: a bad --workers value is one clear line and a
// non-zero exit, before anything listens.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { NIFFLER_BIN, runTool } from '../helpers/scp-harness.js';

for (const value of ['0', '65', '1.5', 'two']) {
  it(`store-scp --workers ${value} is refused with the accepted range`, async () => {
    const result = await runTool(process.execPath, [
      NIFFLER_BIN,
      'store-scp',
      '--aet',
      'NIFFLER',
      '--port',
      '0',
      '--out',
      'unused',
      '--workers',
      value,
    ]);
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      new RegExp(`'${value.replace('.', '\\.')}' is not a number of workers \\(1-64\\)`),
    );
  });
}
