// `niffler export png` end to end (the built CLI, as a user runs it) and exportPng() for the
// cases a CLI cannot drive deterministically (an interruption at a known point): layout and
// keyed pseudonyms, mapping.csv, metadata.csv without PHI, failures.csv reasons, levels, bits,
// header modes, and resume.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { exportPng, type PngExportOptions } from '../../src/export/run-png.js';
import { corpusRoot } from '../helpers/corpus.js';
import { readPng } from '../helpers/png.js';

const BIN = fileURLToPath(new URL('../../bin/niffler.js', import.meta.url));
const KEY = 'test-key-0123456789abcdef';
const ENV = { ...process.env, NIFFLER_SECRET_EXPORT_PSEUDONYM_KEY: KEY };

function niffler(args: string[], env: NodeJS.ProcessEnv = ENV) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The pseudonym the way the README documents it: HMAC-SHA-256(key, kind NUL value), 32 hex. */
function hmac(kind: string, value: string): string {
  return createHmac('sha256', KEY).update(`${kind}\0${value}`).digest('hex').slice(0, 32);
}

/** A minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF). */
function readCsv(file: string): { header: string[]; rows: Record<string, string>[] } {
  const text = readFileSync(file, 'utf8');
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  assert.equal(field + record.join(''), '', `${file} ends with CRLF`);
  const [header, ...rest] = records;
  assert.ok(header !== undefined, `${file} has a header`);
  for (const r of rest)
    assert.equal(r.length, header.length, `${file}: every row has every column`);
  return {
    header,
    rows: rest.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]!]))),
  };
}

const FILES = {
  ct: 'pydicom/test_files/CT_small.dcm',
  mr: 'pydicom/test_files/MR_small.dcm',
  multiframe: 'pydicom-data/emri_small.dcm',
  rgb: 'pydicom-data/SC_rgb.dcm',
  sr: 'pydicom/test_files/reportsi.dcm',
  truncated: 'pydicom/test_files/MR_truncated.dcm',
  corrupt: 'pydicom/test_files/JPEG2000-embedded-sequence-delimiter.dcm',
  jpeg: 'pydicom/test_files/JPEG-lossy.dcm',
} as const;

let work: string;
let input: string;
/** Input paths by FILES key, plus the made-up ones. */
const at: Record<string, string> = {};

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'niffler-export-png-'));
  input = path.join(work, 'in');
  // Nested at different depths, with names that are not *.dcm: all must be found.
  for (const [name, file] of Object.entries(FILES)) {
    const dir = path.join(input, name.length % 2 === 0 ? 'a/b' : 'c');
    mkdirSync(dir, { recursive: true });
    at[name] = path.join(dir, `${name}.${name === 'mr' ? 'IMA' : 'dcm'}`);
    copyFileSync(path.join(corpusRoot, file), at[name]);
  }
  at['text'] = path.join(input, 'notes.txt');
  writeFileSync(at['text'], 'not a DICOM file\n');
  at['empty'] = path.join(input, 'c', 'empty');
  writeFileSync(at['empty'], '');
  // A JPEG file relabelled with a transfer syntax nobody decodes (MPEG-4 AVC/H.264 High Profile
  // is 1.2.840.10008.1.2.4.102, one character longer, so an unused UID of the same length).
  const jpeg = readFileSync(at['jpeg']!);
  const from = Buffer.from('1.2.840.10008.1.2.4.51');
  const offset = jpeg.indexOf(from);
  assert.ok(offset > 0 && offset < 300, 'the JPEG file names its transfer syntax in the meta');
  at['unsupported'] = path.join(input, 'unsupported.dcm');
  writeFileSync(
    at['unsupported'],
    Buffer.concat([
      jpeg.subarray(0, offset),
      Buffer.from('1.2.840.10008.1.2.4.99'),
      jpeg.subarray(offset + from.length),
    ]),
  );
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('niffler export png: layout, CSVs, failures', () => {
  let out: string;
  before(() => {
    out = path.join(work, 'out-default');
    const run = niffler(['export', 'png', input, '--out', out, '--workers', '2']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /5 exported, 6 failed/);
  });

  test('folders and files are keyed pseudonyms at patient level', () => {
    const { rows } = readCsv(path.join(out, 'mapping.csv'));
    const ct = rows.filter((r) => r['source'] === at['ct']);
    assert.equal(ct.length, 1);
    // CT_small: PatientID 1CT1, SOP Instance UID below; no study or series folder at patient level.
    assert.equal(
      ct[0]!['png'],
      `extracted-images/${hmac('patient', '1CT1')}/${hmac('instance', '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322')}.png`,
    );
    for (const r of rows) {
      assert.ok(existsSync(path.join(out, r['png']!)), `${r['png']} exists`);
      assert.match(
        r['png']!,
        /^extracted-images\/([0-9a-f]{32}|no-patient-id)\/[0-9a-f]{32}(_\d{4})?\.png$/,
      );
    }
  });

  test('mapping.csv has one row per PNG; a multi-frame object has one PNG per frame', () => {
    const { header, rows } = readCsv(path.join(out, 'mapping.csv'));
    assert.deepEqual(header, ['source', 'png']);
    const frames = rows.filter((r) => r['source'] === at['multiframe']).map((r) => r['png']!);
    assert.equal(frames.length, 10);
    assert.deepEqual(
      frames.map((f) => f.slice(-9)),
      Array.from({ length: 10 }, (_, i) => `_${String(i + 1).padStart(4, '0')}.png`),
    );
    // emri_small has an empty PatientID.
    assert.ok(
      frames.every((f) => f.startsWith('extracted-images/no-patient-id/')),
      'no-patient-id folder',
    );
  });

  test('16-bit PNGs by default, grey or RGB', async () => {
    const { rows } = readCsv(path.join(out, 'mapping.csv'));
    const png = (key: string) => path.join(out, rows.find((r) => r['source'] === at[key])!['png']!);
    const ct = await readPng(png('ct'));
    assert.equal(ct.bits, 16);
    assert.equal(ct.channels, 1);
    assert.equal(Math.min(...ct.data), 0, 'min-max window: the smallest value is black');
    assert.equal(Math.max(...ct.data), 65535, 'and the largest white');
    const rgb = await readPng(png('rgb'));
    assert.equal(rgb.channels, 3);
    assert.equal(rgb.bits, 16);
  });

  test('failures.csv: one row per failed file with its reason', () => {
    const { header, rows } = readCsv(path.join(out, 'failures.csv'));
    assert.deepEqual(header, ['source', 'reason', 'detail']);
    const reasons: Record<string, string> = Object.fromEntries(
      rows.map((r) => [r['source']!, r['reason']!]),
    );
    assert.deepEqual(reasons, {
      [at['sr']!]: 'no-pixel-data',
      [at['truncated']!]: 'unreadable-file',
      [at['corrupt']!]: 'decode-error',
      [at['unsupported']!]: 'unsupported-syntax',
      [at['text']!]: 'unreadable-file',
      [at['empty']!]: 'unreadable-file',
    });
    const text = rows.find((r) => r['source'] === at['text'])!;
    assert.match(text['detail']!, /not a DICOM file/);
    const unsupported = rows.find((r) => r['source'] === at['unsupported'])!;
    assert.match(unsupported['detail']!, /1\.2\.840\.10008\.1\.2\.4\.99/);
  });

  test('metadata.csv: one row per exported file, pseudonyms, no PHI', () => {
    const { header, rows } = readCsv(path.join(out, 'metadata.csv'));
    assert.equal(rows.length, 5);
    assert.deepEqual(header.slice(0, 8), [
      'patient',
      'study',
      'series',
      'instance',
      'png',
      'frames',
      'bits',
      'voi',
    ]);
    for (const phi of [
      'PatientName',
      'PatientID',
      'PatientBirthDate',
      'StudyDate',
      'StudyInstanceUID',
      'SOPInstanceUID',
      'AccessionNumber',
      'InstitutionName',
      'ReferringPhysicianName',
      'file',
    ]) {
      assert.ok(!header.includes(phi), `${phi} is not a column`);
    }
    assert.ok(
      header.includes('Modality') && header.includes('Rows') && header.includes('SOPClassUID'),
      'non-PHI attributes are',
    );
    const text = readFileSync(path.join(out, 'metadata.csv'), 'utf8');
    // Identifiers of CT_small and MR_small, including ones inside sequences.
    for (const value of [
      '1CT1',
      '4MR1',
      'ABCD1234',
      'CompressedSamples',
      '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322',
      '20040119',
    ]) {
      assert.ok(!text.includes(value), `metadata.csv does not contain ${value}`);
    }
    const ct = rows.find((r) => r['patient'] === hmac('patient', '1CT1'))!;
    assert.equal(ct['Modality'], 'CT');
    assert.equal(ct['frames'], '1');
    assert.equal(ct['voi'], 'minmax');
    assert.equal(ct['voi_min'], '-896', 'min-max over modality values (rescale applied)');
    // Column order does not depend on processing order: tag order after the fixed columns.
    const at8 = header.indexOf('Modality');
    const at28 = header.indexOf('Rows');
    assert.ok(at8 < at28, 'Modality (0008,0060) before Rows (0028,0010)');
  });

  test('--phi adds PHI columns and the source path', () => {
    const phiOut = path.join(work, 'out-phi');
    const run = niffler(['export', 'png', at['ct']!, '--out', phiOut, '--phi', '--workers', '0']);
    assert.equal(run.status, 0, run.stderr);
    const { rows } = readCsv(path.join(phiOut, 'metadata.csv'));
    assert.equal(rows[0]!['PatientID'], '1CT1');
    assert.equal(rows[0]!['file'], at['ct']);
    assert.equal(rows[0]!['StudyDate'], '20040119');
  });
});

describe('options', () => {
  test('--level series and --bits 8', async () => {
    const out = path.join(work, 'out-series');
    const run = niffler([
      'export',
      'png',
      at['ct']!,
      at['mr']!,
      '--out',
      out,
      '--level',
      'series',
      '--bits',
      '8',
      '--workers',
      '1',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const { rows } = readCsv(path.join(out, 'mapping.csv'));
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.match(
        r['png']!,
        /^extracted-images\/[0-9a-f]{32}\/[0-9a-f]{32}\/[0-9a-f]{32}\/[0-9a-f]{32}\.png$/,
      );
      const png = await readPng(path.join(out, r['png']!));
      assert.equal(png.bits, 8);
    }
  });

  test('--window file uses the window in the file', () => {
    const out = path.join(work, 'out-window');
    const run = niffler([
      'export',
      'png',
      at['mr']!,
      '--out',
      out,
      '--window',
      'file',
      '--workers',
      '0',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const { rows } = readCsv(path.join(out, 'metadata.csv'));
    assert.equal(rows[0]!['voi'], 'window');
    assert.equal(rows[0]!['voi_center'], '600');
    assert.equal(rows[0]!['voi_width'], '1600');
  });

  test('--headers featureset FILE: exactly those columns; PHI named in it is left out with a warning', () => {
    const out = path.join(work, 'out-featureset');
    const featureset = path.join(work, 'featureset.txt');
    writeFileSync(
      featureset,
      'Modality\nAccessionNumber\n0x00280010\n(0028,0011)\nSliceThickness\n',
    );
    const run = niffler([
      'export',
      'png',
      at['ct']!,
      at['mr']!,
      '--out',
      out,
      '--headers',
      'featureset',
      featureset,
      '--workers',
      '0',
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /AccessionNumber: PHI/);
    const { header } = readCsv(path.join(out, 'metadata.csv'));
    const headerColumns = header.filter((h) => !/^[a-z_]+$/.test(h));
    // In tag order: (0008,0060), (0018,0050), (0028,0010), (0028,0011).
    assert.deepEqual(headerColumns, ['Modality', 'SliceThickness', 'Rows', 'Columns']);
  });

  test('featureset lines as everywhere in Niffler: an unknown keyword warns, a malformed line stops', () => {
    const unknown = path.join(work, 'unknown-featureset.txt');
    writeFileSync(unknown, 'Modality\nPatientsNmae\n');
    const warned = niffler([
      'export',
      'png',
      at['ct']!,
      '--out',
      path.join(work, 'x1'),
      '--headers',
      'featureset',
      unknown,
      '--workers',
      '0',
    ]);
    assert.equal(warned.status, 0, warned.stderr);
    assert.match(
      warned.stderr,
      /unknown-featureset\.txt:2: PatientsNmae is not a keyword of the data dictionary; it is ignored/,
    );
    const bad = path.join(work, 'bad-featureset.txt');
    writeFileSync(bad, 'Modality\nPatient Name\n');
    const run = niffler([
      'export',
      'png',
      at['ct']!,
      '--out',
      path.join(work, 'x2'),
      '--headers',
      'featureset',
      bad,
    ]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /bad-featureset\.txt:2: "Patient Name" is not a keyword, a tag/);
  });

  test('--headers common keeps the columns present in at least 90% of rows', () => {
    const out = path.join(work, 'out-common');
    const run = niffler([
      'export',
      'png',
      at['ct']!,
      at['mr']!,
      at['rgb']!,
      '--out',
      out,
      '--headers',
      'common',
      '--workers',
      '0',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const common = readCsv(path.join(out, 'metadata.csv')).header;
    const all = path.join(work, 'out-public');
    assert.equal(
      niffler(['export', 'png', at['ct']!, at['mr']!, at['rgb']!, '--out', all, '--workers', '0'])
        .status,
      0,
    );
    const { header, rows } = readCsv(path.join(all, 'metadata.csv'));
    const expected = header.filter(
      (h) => rows.filter((r) => r[h] !== '').length === 3 || /^[a-z_]+$/.test(h),
    );
    assert.deepEqual(
      common.filter((h) => !/^[a-z_]+$/.test(h)),
      expected.filter((h) => !/^[a-z_]+$/.test(h)),
    );
    assert.ok(common.length < header.length, 'fewer columns than public');
  });

  test('no key: a clear error that says where the key comes from', () => {
    const env = { ...process.env };
    delete env['NIFFLER_SECRET_EXPORT_PSEUDONYM_KEY'];
    delete env['NIFFLER_CONFIG'];
    const run = niffler(['export', 'png', at['ct']!, '--out', path.join(work, 'no-key')], env);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /no pseudonym key \[NO_KEY\].*NIFFLER_SECRET_EXPORT_PSEUDONYM_KEY/);
  });

  test('a short key is refused', () => {
    const run = niffler(['export', 'png', at['ct']!, '--out', path.join(work, 'short-key')], {
      ...process.env,
      NIFFLER_SECRET_EXPORT_PSEUDONYM_KEY: 'short',
    });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /export\.pseudonymKey: .*>=16 characters/);
  });
});

describe('resume', () => {
  const base = (): PngExportOptions => ({
    inputs: [input],
    outDir: path.join(work, 'out-resume'),
    key: KEY,
    level: 'patient',
    bits: 16,
    window: 'minmax',
    columns: { kind: 'public' },
    headers: { privateAttributes: false, phi: false },
    workers: 0,
  });

  test('an interrupted run records what it finished; the next one does only the rest', async () => {
    const abort = new AbortController();
    let seen = 0;
    const first = await exportPng({
      ...base(),
      signal: abort.signal,
      onProgress: () => {
        if (++seen === 4) abort.abort();
      },
    });
    assert.equal(first.interrupted, true);
    const settled = first.done + first.failed;
    assert.ok(settled >= 4 && settled < 11, `${settled} settled before the interruption`);
    const mapping = readCsv(path.join(base().outDir, 'mapping.csv')).rows;
    const firstPng = mapping[0]!['png']!;
    const mtime = statSync(path.join(base().outDir, firstPng)).mtimeMs;

    const second = await exportPng(base());
    assert.equal(second.interrupted, false);
    assert.equal(second.skipped, settled, 'what the first run settled is not done again');
    assert.equal(second.done + second.failed + second.skipped, 11);
    assert.deepEqual(second.total, { done: 5, failed: 6 });
    assert.equal(statSync(path.join(base().outDir, firstPng)).mtimeMs, mtime, 'not rewritten');
    const sources = readCsv(path.join(base().outDir, 'metadata.csv')).rows;
    assert.equal(sources.length, 5, 'each file once in metadata.csv');
    assert.equal(readCsv(path.join(base().outDir, 'failures.csv')).rows.length, 6);
  });

  test('a source changed since is exported again', async () => {
    utimesSync(at['ct']!, new Date(), new Date(Date.now() + 5000));
    const third = await exportPng(base());
    assert.equal(third.done, 1);
    assert.equal(third.skipped, 10);
    assert.equal(readCsv(path.join(base().outDir, 'metadata.csv')).rows.length, 5);
  });

  test('resuming with other options or another key is refused', async () => {
    await assert.rejects(
      exportPng({ ...base(), bits: 8 }),
      /RESUME|other options \(bits 16 -> 8\)/,
    );
    await assert.rejects(exportPng({ ...base(), key: `${KEY}-other` }), /another pseudonym key/);
  });

  test('SIGINT: the CLI stops, exits 130, and the same command finishes the export', async () => {
    const out = path.join(work, 'out-sigint');
    const child = spawn(
      process.execPath,
      [BIN, 'export', 'png', input, '--out', out, '--workers', '1'],
      { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => {});
    // Interrupt as soon as the journal exists (the run has started); however far it got, the
    // second run must complete it with every file once.
    const journal = path.join(out, '.niffler', 'export-png.sqlite');
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (existsSync(journal)) resolve();
        else setImmediate(check);
      };
      check();
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.ok(code === 130 || code === 0, `exit ${code}: ${stderr}`);
    const again = niffler(['export', 'png', input, '--out', out]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(readCsv(path.join(out, 'metadata.csv')).rows.length, 5);
    assert.equal(readCsv(path.join(out, 'failures.csv')).rows.length, 6);
    const pngs = readdirSync(path.join(out, 'extracted-images'), { recursive: true }).filter((f) =>
      String(f).endsWith('.png'),
    );
    assert.equal(
      pngs.length,
      readCsv(path.join(out, 'mapping.csv')).rows.length,
      'no stray PNG, no temporary file',
    );
  });
});
