import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { corpusPath, corpusRoot, readManifest } from '../helpers/corpus.js';

const BIN = fileURLToPath(new URL('../../bin/niffler.js', import.meta.url));

function niffler(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const rows = readManifest();
const wellFormed = rows.filter((row) => !row.malformed).map(corpusPath);
const CT_SMALL = `${corpusRoot}/pydicom/test_files/CT_small.dcm`;

describe('niffler dump', () => {
  test('prints a dcmdump-like listing', () => {
    const { status, stdout, stderr } = niffler('dump', CT_SMALL);
    assert.equal(status, 0, stderr);
    assert.match(stdout, /^\(0010,0010\) PN \[CompressedSamples\^CT1\] +# +\d+, 1 PatientName$/m);
    assert.match(stdout, /^\(0002,0010\) UI =ExplicitVRLittleEndian/m);
  });

  test('--json prints the DICOM JSON model with BulkDataURI above 1 KiB and InlineBinary below', () => {
    const { status, stdout } = niffler('dump', '--json', CT_SMALL);
    assert.equal(status, 0);
    const json = JSON.parse(stdout) as Record<
      string,
      { vr: string; Value?: unknown[]; BulkDataURI?: string; InlineBinary?: string }
    >;
    assert.deepEqual(json['00100010'], {
      vr: 'PN',
      Value: [{ Alphabetic: 'CompressedSamples^CT1' }],
    });
    assert.deepEqual(json['00280010'], { vr: 'US', Value: [128] });
    const pixels = json['7FE00010']!;
    assert.equal(pixels.vr, 'OW');
    assert.match(pixels.BulkDataURI ?? '', /^file:\/\/.*CT_small\.dcm\?offset=\d+&length=32768$/);
    assert.equal(json['00020010'], undefined, 'the file meta group is not part of the dataset');
  });

  test('every well-formed corpus file dumps, as text and as JSON', () => {
    const text = niffler('dump', ...wellFormed);
    assert.equal(text.status, 0, text.stderr);
    assert.equal(text.stderr, '');
    const json = niffler('dump', '--json', ...wellFormed);
    assert.equal(json.status, 0, json.stderr);
    const documents = JSON.parse(json.stdout) as unknown[];
    assert.equal(documents.length, wellFormed.length);
  });

  test('a malformed file: exit 2 and one line naming the file and what is wrong, no stack trace', () => {
    const truncated = `${corpusRoot}/pydicom/test_files/rtplan_truncated.dcm`;
    const { status, stderr } = niffler('dump', truncated);
    assert.equal(status, 2);
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(
      lines[0]!,
      /^niffler dump: .*rtplan_truncated\.dcm: .*\(tag \(300A,012C\), offset 2092\) \[TRUNCATED\]$/,
    );
  });

  test('a missing file and an empty file each get their line; the other files still dump', () => {
    const empty = `${corpusRoot}/niffler/png-extraction/input/no-img.dcm`;
    const { status, stdout, stderr } = niffler('dump', '/nonexistent.dcm', CT_SMALL, empty);
    assert.equal(status, 2);
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2, stderr);
    assert.match(lines[0]!, /^niffler dump: \/nonexistent\.dcm: ENOENT/);
    assert.match(lines[1]!, /no-img\.dcm: empty file/);
    assert.match(stdout, /CompressedSamples/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });

  test('every malformed corpus file: a clear error line or a dump, never a crash', () => {
    for (const row of rows.filter((r) => r.malformed)) {
      const { status, stderr } = niffler('dump', corpusPath(row));
      assert.ok(status === 0 || status === 2, `${row.path}: exit ${status}`);
      if (status === 2) {
        assert.equal(stderr.trimEnd().split('\n').length, 1, `${row.path}: ${stderr}`);
        assert.ok(stderr.includes(row.path), stderr);
      }
    }
  });
});
