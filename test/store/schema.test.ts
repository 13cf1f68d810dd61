// The schema check (scripts/check-schema.ts) as a test: numbered migrations, released ones
// unchanged, and the committed snapshot equal to what the migrations build.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSchema } from '../../scripts/check-schema.js';

describe('schema check', () => {
  it('finds the migrations in order and the snapshot up to date', async () => {
    const problems = await checkSchema();
    assert.deepEqual(problems, [], problems.join('\n'));
  });
});
