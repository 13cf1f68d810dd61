// `niffler pixels FILE --raw OUT`: the decoded bytes on disk, or exit 2 with one line naming the
// file and the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { corpusRoot } from '../helpers/corpus.js';
import { readRefs } from '../helpers/corpus-ref.js';

const BIN = fileURLToPath(new URL('../../bin/niffler.js', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'niffler-pixels-'));
after(() => rmSync(work, { recursive: true, force: true }));

function niffler(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const refs = new Map(readRefs().map((row) => [row.path, row]));

describe('niffler pixels', () => {
  const files = [
    'pydicom-data/emri_small_jpeg_2k_lossless.dcm', // 10 frames of JPEG 2000
    'pydicom/test_files/SC_rgb_rle_32bit_2frame.dcm', // RLE, 32-bit RGB
    'cornerstone3D/TestPattern_JPEG-Baseline_YBR422.dcm', // lossy colour JPEG -> RGB
    'pydicom/test_files/MR_small_bigendian.dcm', // explicit big endian
    'pydicom-data/liver_nonbyte_aligned.dcm', // 1-bit, frames not byte aligned
  ];
  for (const file of files) {
    test(`writes the reference bytes of ${file}`, () => {
      const out = path.join(work, `${path.basename(file)}.raw`);
      const { status, stdout, stderr } = niffler('pixels', `${corpusRoot}/${file}`, '--raw', out);
      assert.equal(status, 0, stderr);
      assert.equal(stderr, '');
      assert.match(stdout, /^.+: \d+ frame\(s\) \d+x\d+x\d+ .+ bytes -> .+\n$/);
      const bytes = readFileSync(out);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), refs.get(file)?.rawSha256);
    });
  }

  function assertFails(file: string, pattern: RegExp): void {
    const out = path.join(work, 'never-written.raw');
    const { status, stdout, stderr } = niffler('pixels', file, '--raw', out);
    assert.equal(status, 2);
    assert.equal(stdout, '');
    const lines = stderr.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, stderr);
    assert.ok(lines[0]!.startsWith(`niffler pixels: ${file}: `), lines[0]);
    assert.match(lines[0]!, pattern);
    assert.equal(existsSync(out), false, 'nothing is written on failure');
  }

  test('no pixel data: exit 2, one line naming the file', () => {
    assertFails(`${corpusRoot}/pydicom/test_files/test-SR.dcm`, /no Pixel Data \[NO_PIXEL_DATA\]$/);
  });

  test('a transfer syntax no codec decodes: exit 2, one line naming it', () => {
    const source = readFileSync(`${corpusRoot}/pydicom/test_files/SC_rgb_small_odd_jpeg.dcm`);
    // The same length, so the file meta group length stays right: a UID no decoder knows.
    const patched = Buffer.from(
      source.toString('latin1').replace('1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.99'),
      'latin1',
    );
    const file = path.join(work, 'unknown-syntax.dcm');
    writeFileSync(file, patched);
    assertFails(
      file,
      /no decoder for transfer syntax 1\.2\.840\.10008\.1\.2\.4\.99 \[UNSUPPORTED_TRANSFER_SYNTAX\]$/,
    );
  });

  test('a codestream the codec rejects: exit 2 with the codec message', () => {
    assertFails(
      `${corpusRoot}/pydicom/test_files/JPEG2000-embedded-sequence-delimiter.dcm`,
      /JPEG 2000 decoder failed: .*Invalid number of tiles.* \(frame 1\) \[DECODE_FAILED\]$/,
    );
  });

  test('a truncated file and a missing file: exit 2', () => {
    assertFails(`${corpusRoot}/pydicom/test_files/MR_truncated.dcm`, /\[TRUNCATED\]$/);
    assertFails(path.join(work, 'missing.dcm'), /^niffler pixels: .*: ENOENT: /);
  });

  test('--raw is required', () => {
    const { status, stderr } = niffler('pixels', `${corpusRoot}/pydicom/test_files/CT_small.dcm`);
    assert.equal(status, 2);
    assert.match(stderr, /required option '--raw <out>'/);
  });
});
