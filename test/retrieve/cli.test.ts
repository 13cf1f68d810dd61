// `niffler retrieve` as a user runs it (the built CLI in a child process) against Orthanc: a run
// killed with SIGKILL mid-way and resumed by the same command ends with every row done exactly
// once and every instance present; the end-of-run e-mail reaches a local SMTP sink; runs are
// listed, paused and cancelled; configuration and CSV errors stop before any traffic; the
// original's configuration files are converted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../../src/config/index.js';
import { openRetrievalDatabase } from '../../src/retrieve/retrieval.js';
import { listRuns, runRows, runUnits } from '../../src/store/queries/retrieve.js';
import {
  freePort,
  LOCALHOST,
  removeDir,
  skipUnless,
  startOrthanc,
  tempDir,
  type OrthancPeer,
} from '../helpers/peers.js';
import { writeStudies, type TestStudy } from './studies.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/niffler.js');

/** Twelve one-instance studies, one patient each: a cohort of twelve rows. */
const COHORT: TestStudy[] = Array.from({ length: 12 }, (_, i) => ({
  patientId: `00${i + 100}`,
  accession: `K${i + 1}`,
  date: '20240110',
  uid: `2.25.8${i + 1}`,
  description: 'CT',
  series: [{ uid: `2.25.8${i + 1}01`, modality: 'CT', files: ['pydicom/test_files/CT_small.dcm'] }],
}));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `onStderr` sees each stderr chunk and may kill the child. */
function niffler(
  args: string[],
  options: { onStderr?: (text: string, kill: () => void) => void } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, TCP_NODELAY: '1', NIFFLER_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr, () => child.kill('SIGKILL'));
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function dcmFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.dcm') && !e.parentPath.includes('.niffler-tmp'))
    .map((e) => e.name)
    .sort();
}

describe('niffler retrieve (CLI)', { skip: skipUnless('orthanc') }, () => {
  let work: string;
  let orthanc: OrthancPeer;
  let scpPort: number;
  let smtp: SMTPServer;
  let smtpPort: number;
  const mails: { to: string[]; text: string }[] = [];
  let configFile: string;
  let sops: string[];

  before(async () => {
    work = await tempDir('retrieve-cli');
    scpPort = await freePort();
    orthanc = await startOrthanc({
      modalities: { niffler: { aeTitle: 'NIFFLER', host: LOCALHOST, port: scpPort } },
    });
    const studies = path.join(work, 'studies');
    await mkdir(studies);
    const written = await writeStudies(studies, COHORT);
    for (const w of written) await orthanc.upload(w.file);
    sops = written.map((w) => `${w.sopInstanceUid}.dcm`).sort();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), text });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, LOCALHOST, resolve));
    smtpPort = (smtp.server.address() as { port: number }).port;
    configFile = path.join(work, 'niffler.yaml');
    await writeFile(
      configFile,
      [
        'dicom:',
        `  host: ${LOCALHOST}`,
        `  port: ${scpPort}`,
        'storage:',
        '  fsync: false',
        'http:',
        '  enabled: false',
        'retrieve:',
        '  pacs:',
        '    main:',
        '      aeTitle: ORTHANC',
        `      host: ${LOCALHOST}`,
        `      port: ${orthanc.port}`,
        // One study per request: the kill, pause and cancel below happen between rows.
        '      studiesPerRequest: 1',
        'smtp:',
        `  host: ${LOCALHOST}`,
        `  port: ${smtpPort}`,
        '  from: niffler@example.org',
        '  to: [researcher@example.org]',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await orthanc?.stop();
    await new Promise<void>((resolve) => (smtp === undefined ? resolve() : smtp.close(resolve)));
    await removeDir(work);
  });

  it('killed with SIGKILL, the same command resumes: every row once, every instance present', async () => {
    const csv = path.join(work, 'kill.csv');
    await writeFile(csv, `PatientID\n${COHORT.map((s) => s.patientId).join('\n')}\n`);
    const out = path.join(work, 'kill-out');
    const args = ['retrieve', csv, '--config', configFile, '--out', out, '--progress', 'lines'];
    // Five requests a minute: rows 1 and 2 (a C-FIND and a C-MOVE each) go at once, then the
    // run waits for the rate limit: it is killed there, with a row in flight.
    const killed = await niffler([...args, '--max-per-minute', '5', '--concurrency', '1'], {
      onStderr: (text, kill) => {
        if (/waiting \S+ \(rate limit\)/.test(text)) kill();
      },
    });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const runId = /run (\S+) started/.exec(killed.stderr)?.[1];
    assert.ok(runId !== undefined, killed.stderr);

    let db = await openRetrievalDatabase(loadConfig({ file: configFile, env: {} }).config, out);
    const before = await runRows(db.kysely, runId);
    await db.close();
    const doneBefore = before.filter((r) => r.state === 'done');
    assert.equal(doneBefore.length, 2, 'two rows done before the kill');
    assert.ok(
      before.slice(2).every((r) => r.state === 'pending'),
      'the others pending',
    );

    // The same command (pacing may differ: it is not part of what the run is).
    const resumed = await niffler(args);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`run ${runId} resumed`));
    assert.match(resumed.stderr, /12 rows, 2 already finished/);

    db = await openRetrievalDatabase(loadConfig({ file: configFile, env: {} }).config, out);
    try {
      const rows = await runRows(db.kysely, runId);
      assert.ok(
        rows.every((r) => r.state === 'done'),
        JSON.stringify(rows.map((r) => r.state)),
      );
      // The rows done before the kill were not done again: their records are untouched.
      for (const row of doneBefore) {
        assert.equal(rows[row.row - 1]!.finishedAt, row.finishedAt, `row ${row.row} kept`);
      }
      const units = await runUnits(db.kysely, runId);
      assert.equal(units.length, 12, 'one record per study');
      assert.ok(
        units.every((u) => u.state === 'done' && u.received === 1),
        JSON.stringify(units),
      );
      assert.equal((await listRuns(db.kysely)).length, 1, 'no second run');
    } finally {
      await db.close();
    }
    assert.deepEqual(await dcmFiles(out), sops, 'every instance, once');
    const report = await readFile(path.join(out, 'report.csv'), 'utf8');
    assert.equal(report.trim().split('\r\n').length, 13, 'a header and twelve rows');
    // The run ended: one e-mail, no patient data in it.
    const mail = mails.find((m) => m.text.includes(runId));
    assert.ok(mail !== undefined, `an e-mail about ${runId}: ${JSON.stringify(mails)}`);
    assert.deepEqual(mail.to, ['researcher@example.org']);
    assert.match(mail.text, /Subject: Niffler retrieval \S+ done: 12 done/);
    assert.doesNotMatch(mail.text, /00100/, 'no patient ID in the e-mail');
  });

  it('lists, pauses and cancels runs', async () => {
    const csv = path.join(work, 'pause.csv');
    await writeFile(csv, `PatientID\n${COHORT.map((s) => s.patientId).join('\n')}\n`);
    const out = path.join(work, 'pause-out');
    const args = ['retrieve', csv, '--config', configFile, '--out', out, '--no-email'];
    let paused: Promise<Run> | undefined;
    const first = await niffler([...args, '--max-per-minute', '3', '--progress', 'lines'], {
      onStderr: (text) => {
        const id = /run (\S+) started/.exec(text)?.[1];
        if (id !== undefined && /waiting/.test(text) && paused === undefined) {
          paused = niffler(['retrieve', 'pause', id, '--config', configFile, '--out', out]);
        }
      },
    });
    assert.equal(first.code, 3, `paused: exit 3\n${first.stderr}`);
    assert.match((await paused!).stdout, /pause requested/);
    const list = await niffler(['retrieve', 'list', '--config', configFile, '--out', out]);
    assert.match(list.stdout, /paused +retrieve +12: 1 done, 11 pending/);
    const id = /^(\S+) +paused/m.exec(list.stdout)![1]!;
    const cancel = await niffler(['retrieve', 'cancel', id, '--config', configFile, '--out', out]);
    assert.match(cancel.stdout, /cancelled/);
    // A cancelled run cannot be resumed; the same command starts a new one.
    const resume = await niffler(['retrieve', 'resume', id, '--config', configFile, '--out', out]);
    assert.equal(resume.code, 1, resume.stderr);
    assert.match(resume.stderr, /was cancelled; start a new one with --fresh/);
    const again = await niffler(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`run ${id}-2 started`));
  });

  it('stops before any traffic on a bad configuration or malformed rows', async () => {
    const csv = path.join(work, 'bad.csv');
    await writeFile(csv, 'PatientID,StudyDate\n00101,20240110\n00102,2024-01-10\n');
    const stop = await niffler([
      'retrieve',
      csv,
      '--config',
      configFile,
      '--out',
      path.join(work, 'bad'),
      '--on-row-error',
      'stop',
    ]);
    assert.equal(stop.code, 2);
    assert.match(
      stop.stderr,
      /1 malformed row \(nothing was sent\):\n {2}line 3: '2024-01-10' is not a date in the format %Y%m%d/,
    );
    const badConfig = path.join(work, 'bad.yaml');
    await writeFile(
      badConfig,
      'retrieve:\n  pacs:\n    main: not-an-address\n  csv:\n    dateFormat: "%Q"\n',
    );
    const invalid = await niffler(['retrieve', csv, '--config', badConfig]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /bad\.yaml:3: retrieve\.pacs\.main/);
    assert.match(invalid.stderr, /bad\.yaml:5: retrieve\.csv\.dateFormat/);
    const tooMany = await niffler([
      'retrieve',
      csv,
      '--config',
      configFile,
      '--studies-per-request',
      '101',
    ]);
    assert.equal(tooMany.code, 2, tooMany.stderr);
    assert.match(tooMany.stderr, /--studies-per-request 101: expected 1-100/);
    // A featureset file the index would use is checked before any run or connection.
    const badFeatureset = path.join(work, 'bad_featureset.txt');
    await writeFile(badFeatureset, 'PatientID\nnot a keyword!\n');
    const featuresetConfig = path.join(work, 'bad-featureset.yaml');
    await writeFile(
      featuresetConfig,
      `${await readFile(configFile, 'utf8')}featuresets:\n  files: [${badFeatureset}]\n`,
    );
    const good = path.join(work, 'good.csv');
    await writeFile(good, 'PatientID\n00101\n');
    const featuresetOut = path.join(work, 'bad-featureset-out');
    const badFeatures = await niffler([
      'retrieve',
      good,
      '--config',
      featuresetConfig,
      '--out',
      featuresetOut,
    ]);
    assert.equal(badFeatures.code, 2, badFeatures.stderr);
    assert.match(
      badFeatures.stderr,
      /^niffler: retrieve: .*bad_featureset\.txt:2: "not a keyword!" is not a keyword/m,
    );
    assert.doesNotMatch(badFeatures.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(badFeatures.stderr, /started/, 'no run started');
    const dry = await niffler(['retrieve', csv, '--config', configFile, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /line 2 +STUDY +C-FIND StudyDate=20240110 PatientID=00101/);
    assert.match(dry.stdout, /line 3 +skip +'2024-01-10' is not a date/);
  });

  it('niffler config import-niffler converts the original files', async () => {
    const system = path.join(work, 'system.json');
    const config = path.join(work, 'config.json');
    const cohort = path.join(work, 'empi.csv');
    await writeFile(
      system,
      JSON.stringify({
        DCM4CHEBin: '/opt/dcm4che/bin',
        SrcAet: 'PACS@pacs.example.org:104',
        QueryAet: 'QBNIFFLER:4243',
        DestAet: 'QBNIFFLER',
        NightlyOnly: true,
        StartHour: 19,
        EndHour: 7,
        NifflerID: 1,
        MaxNifflerProcesses: 1,
      }),
    );
    await writeFile(
      config,
      JSON.stringify({
        StorageFolder: '/data/new',
        FilePath: 'CFIND-ONLY',
        CsvFile: 'empi.csv',
        NumberOfQueryAttributes: 2,
        FirstAttr: 'PatientID',
        FirstIndex: 0,
        SecondAttr: 'AccessionNumber',
        SecondIndex: 1,
        DateFormat: '%m/%d/%Y',
        LongAccession: 'true',
        SendEmail: false,
      }),
    );
    await writeFile(cohort, 'EMPI,Accession,Notes\n1,2,3\n');
    const out = path.join(work, 'imported.yaml');
    const result = await niffler([
      'config',
      'import-niffler',
      system,
      config,
      '--csv',
      cohort,
      '--out',
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /warning: system\.json: DCM4CHEBin: no equivalent/);
    assert.match(result.stderr, /warning: config\.json: FilePath: CFIND-ONLY is a kind of run/);
    const loaded = loadConfig({ file: out, env: {} }).config;
    assert.deepEqual(loaded.retrieve.pacs['pacs'], {
      aeTitle: 'PACS',
      host: 'pacs.example.org',
      port: 104,
      tls: null,
      maxConcurrent: 1,
      studiesPerRequest: 16,
      maxPerMinute: null,
      window: '19:00-07:00',
    });
    assert.deepEqual(loaded.retrieve.csv.columnMap, {
      EMPI: 'PatientID',
      Accession: 'AccessionNumber',
    });
    assert.equal(loaded.retrieve.csv.unmappedColumns, 'ignore');
    assert.equal(loaded.retrieve.csv.longAccession, true);
    assert.equal(loaded.retrieve.emailOnCompletion, false);
  });
});
