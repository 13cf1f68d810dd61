// The corpus must stay a verbatim copy of shared/corpus: every file listed, same size, same hash.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corpusPath, readManifest } from '../helpers/corpus.js';

describe('test corpus', () => {
  const rows = readManifest();

  it('lists 255 files, 12 of them deliberately malformed', () => {
    assert.equal(rows.length, 255);
    assert.equal(rows.filter((r) => r.malformed).length, 12);
    assert.equal(new Set(rows.map((r) => r.path)).size, rows.length);
  });

  it('has every file unchanged (size and sha256 as in MANIFEST.tsv)', () => {
    for (const row of rows) {
      const file = corpusPath(row);
      assert.equal(statSync(file).size, Number(row.size_bytes), row.path);
      const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
      assert.equal(sha256, row.sha256, row.path);
    }
  });
});
