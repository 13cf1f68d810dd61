// Issue 5 against Orthanc 1.10.1 loaded with corpus studies (rewritten identities, see
// studies.ts): every cohort mode of the original, StudyMonth, leading zeros, long accession
// numbers, the series level, C-MOVE into our own listener and C-GET, find-only and find-detailed
// outputs, and resuming a run by the same command (nothing done twice).
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/config/index.js';
import { readDicomFileSync } from '../../src/io/dicom-file.js';
import { parseCsv } from '../../src/retrieve/cohort/csv.js';
import type { RetrieveInput } from '../../src/retrieve/options.js';
import { openRetrievalDatabase, retrieveCohort } from '../../src/retrieve/retrieval.js';
import type { RunEvent } from '../../src/retrieve/run/executor.js';
import { runRows, runUnits } from '../../src/store/queries/retrieve.js';
import {
  freePort,
  LOCALHOST,
  removeDir,
  skipUnless,
  startOrthanc,
  startStorescp,
  tempDir,
  type OrthancPeer,
} from '../helpers/peers.js';
import {
  instancesOf,
  STUDIES,
  writeRetrievalConfig,
  writeStudies,
  type WrittenInstance,
} from './studies.js';

const [S1, S2, S3, S4] = STUDIES as [
  (typeof STUDIES)[0],
  (typeof STUDIES)[0],
  (typeof STUDIES)[0],
  (typeof STUDIES)[0],
];

/** Every .dcm file under a folder (the temporary area excluded), by SOP Instance UID in its name. */
async function storedFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.dcm') && !e.parentPath.includes('.niffler-tmp'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/** The relative paths the default template gives the instances. */
function expectedPaths(instances: readonly WrittenInstance[]): string[] {
  return instances
    .map((w) => `${w.study.patientId}/${w.study.uid}/${w.series.uid}/${w.sopInstanceUid}.dcm`)
    .sort();
}

async function writeJson(file: string, value: unknown): Promise<string> {
  await writeFile(file, JSON.stringify(value));
  return file;
}

async function readCsv(file: string): Promise<Record<string, string>[]> {
  const [header, ...records] = parseCsv(await readFile(file, 'utf8'), file);
  return records.map((r) => Object.fromEntries(header!.cells.map((h, i) => [h, r.cells[i] ?? ''])));
}

/** The list requests of a run (its progress events name them "N studies"), once each. */
function listsAsked(events: readonly RunEvent[]): string[] {
  assert.ok(!events.some((e) => e.kind === 'notice'), 'Orthanc answers lists of UIDs');
  const labels = events.flatMap((e) =>
    e.kind === 'unit-progress' && / studies$/.test(e.unit) ? [e.unit] : [],
  );
  return [...new Set(labels)];
}

describe('niffler retrieve against Orthanc', { skip: skipUnless('orthanc') }, () => {
  let work: string;
  let orthanc: OrthancPeer;
  let written: WrittenInstance[];
  let scpPort: number;
  let config: Config;

  before(async () => {
    work = await tempDir('retrieve-orthanc');
    scpPort = await freePort();
    orthanc = await startOrthanc({
      modalities: { niffler: { aeTitle: 'NIFFLER', host: LOCALHOST, port: scpPort } },
    });
    const studies = path.join(work, 'studies');
    await mkdir(studies);
    written = await writeStudies(studies);
    for (const instance of written) await orthanc.upload(instance.file);
    config = await writeRetrievalConfig(work, scpPort);
  });

  after(async () => {
    await orthanc?.stop();
    await removeDir(work);
  });

  let runs = 0;
  /** Writes the CSV into a new folder and retrieves it into `out` there. */
  async function retrieve(csv: string, input: Partial<RetrieveInput> = {}) {
    const folder = path.join(work, `run${++runs}`);
    const csvFile = path.join(folder, 'cohort.csv');
    await mkdir(folder, { recursive: true });
    await writeFile(csvFile, csv);
    const out = path.join(folder, 'out');
    const events: RunEvent[] = [];
    const outcome = await retrieveCohort(
      config,
      { csv: csvFile, from: `ORTHANC@${LOCALHOST}:${orthanc.port}`, out, ...input },
      { noEmail: true, onEvent: (event) => events.push(event) },
    );
    const report = await readCsv(path.join(out, 'report.csv'));
    return { outcome, out, report, files: await storedFiles(out), csvFile, events };
  }

  it('a time window spanning midnight, driven by a fake clock', async () => {
    // UTC so that the fake times read the same everywhere. Each row "takes" five hours: the
    // window opens at 19:00, rows run at 19:00, 00:00 and 05:00, then the run waits for 19:00.
    const utc = loadConfig({
      env: {},
      file: await writeJson(path.join(work, 'utc.json'), {
        ...JSON.parse(await readFile(path.join(work, 'niffler.json'), 'utf8')),
        retention: { timezone: 'UTC' },
        // One row in flight, so that each row's requests meet the window in turn.
        retrieve: {
          pacs: {
            orthanc: {
              aeTitle: orthanc.aeTitle,
              host: LOCALHOST,
              port: orthanc.port,
              studiesPerRequest: 1,
            },
          },
        },
      }),
    }).config;
    const start = Date.UTC(2024, 0, 10, 18, 0);
    let now = start;
    const sleeps: number[] = [];
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    };
    const done: string[] = [];
    const folder = path.join(work, 'window');
    await mkdir(folder);
    const csv = path.join(folder, 'cohort.csv');
    await writeFile(csv, 'PatientID\nP4\n000123\n0045678\nNOSUCH\n');
    const outcome = await retrieveCohort(
      utc,
      {
        csv,
        from: `ORTHANC@${LOCALHOST}:${orthanc.port}`,
        out: path.join(folder, 'out'),
        window: '19:00-07:00',
        concurrency: 1,
      },
      {
        noEmail: true,
        clock,
        onEvent: (event) => {
          if (event.kind !== 'row-done') return;
          done.push(new Date(now).toISOString().slice(8, 16));
          now += 5 * 3600_000;
        },
      },
    );
    assert.equal(outcome.ending?.state, 'done', JSON.stringify(outcome.ending));
    assert.deepEqual(done, ['10T19:00', '11T00:00', '11T05:00', '11T19:00']);
    assert.deepEqual(sleeps, [3600_000, 9 * 3600_000], 'waited only for the window');
  });

  it('Orthanc holds the test studies', async () => {
    const studies = await orthanc.rest<string[]>('GET', '/studies');
    assert.equal(studies.length, STUDIES.length, 'one Orthanc study per test study');
  });

  it('PatientID alone (C-MOVE): every study of the patient, leading zeros kept', async () => {
    const { outcome, report, files, events } = await retrieve(
      'PatientID\n000123\n0045678\nNOSUCH\n',
    );
    assert.equal(outcome.ending?.state, 'done', JSON.stringify(outcome.ending));
    assert.deepEqual(listsAsked(events), ['3 studies'], 'one C-MOVE of a list of three UIDs');
    assert.deepEqual(files, expectedPaths(instancesOf(written, [S1.uid, S2.uid, S3.uid])));
    assert.deepEqual(
      report.map((r) => [
        r['PatientID'],
        r['studies_matched'],
        r['instances_expected'],
        r['instances_received'],
        r['status'],
      ]),
      [
        ['000123', '2', '5', '5', 'done'],
        ['0045678', '1', '1', '1', 'done'],
        ['NOSUCH', '0', '', '0', 'not-found'],
      ],
    );
  });

  it('PatientID + AccessionNumber with C-GET, compressed syntaxes kept', async () => {
    const { outcome, report, files, out, events } = await retrieve(
      'PatientID,AccessionNumber\n000123,A2\n000123,0000101\n',
      { mode: 'get' },
    );
    assert.equal(outcome.ending?.state, 'done', JSON.stringify(outcome.ending));
    assert.deepEqual(listsAsked(events), ['2 studies'], 'one C-GET of a list of two UIDs');
    assert.deepEqual(files, expectedPaths(instancesOf(written, [S1.uid, S2.uid])));
    assert.deepEqual(
      report.map((r) => r['status']),
      ['done', 'done'],
    );
    // Compressed instances arrive compressed, as Orthanc holds them: our C-GET proposes each
    // compressed syntax in a context of its own (Orthanc 1.10 cannot transcode JPEG 2000 and
    // would abort the C-GET). Only the data set's tail is compared: the meta group is ours.
    for (const instance of instancesOf(written, [S2.uid])) {
      const original = readDicomFileSync(instance.file, { untilTag: 0x7fe00010 });
      const stored = readDicomFileSync(path.join(out, expectedPaths([instance])[0]!), {
        untilTag: 0x7fe00010,
      });
      assert.equal(stored.transferSyntaxUid, original.transferSyntaxUid, instance.sopInstanceUid);
    }
  });

  it('PatientID + StudyInstanceUID, AccessionNumber alone, and two and three keys', async () => {
    const byUid = await retrieve(`StudyInstanceUID,PatientID\n${S4.uid},P4\n`);
    assert.deepEqual(byUid.files, expectedPaths(instancesOf(written, [S4.uid])));
    const byAccession = await retrieve('AccessionNumber\n0000101\n');
    assert.deepEqual(byAccession.files, expectedPaths(instancesOf(written, [S1.uid])));
    assert.equal(
      byAccession.report[0]!['AccessionNumber'],
      '0000101',
      'leading zeros in the report',
    );
    const two = await retrieve('PatientID,StudyDate\n000123,02/20/2024\n', {
      dateFormat: '%m/%d/%Y',
    });
    assert.deepEqual(two.files, expectedPaths(instancesOf(written, [S2.uid])));
    const three = await retrieve(
      'PatientID,AccessionNumber,StudyDate\nP4,A4,20240229\nP4,A4,20240301\n',
    );
    assert.deepEqual(three.files, expectedPaths(instancesOf(written, [S4.uid])));
    assert.deepEqual(
      three.report.map((r) => r['status']),
      ['done', 'not-found'],
    );
  });

  it('StudyMonth is one date-range query; long accession numbers are shortened', async () => {
    const month = await retrieve('PatientID,StudyMonth\n000123,202402\nP4,202402\n000123,202403\n');
    assert.deepEqual(month.files, expectedPaths(instancesOf(written, [S2.uid, S4.uid])));
    assert.deepEqual(
      month.report.map((r) => r['status']),
      ['done', 'done', 'not-found'],
    );
    const long = await retrieve('AccessionNumber\nE1234562024000789\n', { longAccession: true });
    assert.deepEqual(long.files, expectedPaths(instancesOf(written, [S3.uid])));
    const refused = await retrieve('AccessionNumber\nE1234562024000789\n');
    assert.equal(refused.report[0]!['status'], 'skipped');
    assert.match(refused.report[0]!['error']!, /line 2: .*longer than 16/);
  });

  it('series level: only the series of the asked modality', async () => {
    const { outcome, report, files } = await retrieve('PatientID,Modality\n000123,MR\n');
    assert.equal(outcome.ending?.state, 'done', JSON.stringify(outcome.ending));
    const mr = [S1.series[1]!.uid, S2.series[0]!.uid];
    assert.deepEqual(files, expectedPaths(instancesOf(written, [S1.uid, S2.uid], mr)));
    assert.equal(report[0]!['studies_matched'], '2');
    assert.equal(report[0]!['instances_received'], '3');
  });

  it('studies found by several rows are fetched once; the same command again does nothing', async () => {
    const csv = 'PatientID,AccessionNumber\n000123,0000101\n000123,0000101\n000123,A2\n';
    const first = await retrieve(csv);
    assert.equal(first.outcome.ending?.state, 'done', JSON.stringify(first.outcome.ending));
    const db = await openRetrievalDatabase(config, first.out);
    try {
      const units = await runUnits(db.kysely, first.outcome.run.id);
      assert.equal(units.length, 2, 'two studies fetched');
      assert.ok(
        units.every((u) => u.attempts === 1 && u.state === 'done'),
        JSON.stringify(units),
      );
      // Retrieved instances are indexed like received ones: one row each, with the path of the
      // file and the header, and the series' featureset rows.
      const indexed = await db.kysely
        .selectFrom('instances')
        .select(['sop_instance_uid', 'path'])
        .orderBy('path')
        .execute();
      assert.deepEqual(
        indexed.map((row) => row.path),
        [...first.files].sort(),
        'every retrieved file indexed once',
      );
      const featureRows = await db.kysely
        .selectFrom('featureset_rows')
        .select(['featureset', 'series_instance_uid'])
        .execute();
      assert.ok(
        featureRows.some((row) => row.featureset === 'featureset'),
        `featureset rows for the retrieved series: ${JSON.stringify(featureRows)}`,
      );
    } finally {
      await db.close();
    }
    assert.deepEqual(
      first.report.map((r) => r['instances_received']),
      ['3', '3', '2'],
    );
    // The same command: the run is found finished, nothing is sent again.
    const again = await retrieveCohort(
      config,
      { csv: first.csvFile, from: `ORTHANC@${LOCALHOST}:${orthanc.port}`, out: first.out },
      { noEmail: true },
    );
    assert.equal(again.run.id, first.outcome.run.id);
    assert.equal(again.ending, undefined, 'nothing executed');
  });

  it('an external C-MOVE destination (another system): sub-operation counts are checked', async () => {
    const storescp = await startStorescp({ aeTitle: 'OTHERSCP', args: ['+xa'] });
    try {
      await orthanc.addModality('other', {
        aeTitle: 'OTHERSCP',
        host: LOCALHOST,
        port: storescp.port,
      });
      const { outcome, report, files } = await retrieve('PatientID\n000123\n', {
        dest: 'OTHERSCP',
      });
      assert.equal(outcome.ending?.state, 'done', JSON.stringify(outcome.ending));
      assert.deepEqual(files, [], 'nothing lands here');
      assert.equal((await readdir(storescp.directory)).length, 5, 'the other system got them');
      assert.deepEqual(
        [report[0]!['instances_expected'], report[0]!['instances_received'], report[0]!['status']],
        ['5', '5', 'done'],
      );
    } finally {
      await storescp.stop();
    }
  });

  it('find-only and find-detailed write cfind-output.csv with the original columns', async () => {
    const only = await retrieve('PatientID\n000123\n', { kind: 'find-only' });
    assert.deepEqual(only.files, [], 'nothing retrieved');
    const onlyText = await readFile(path.join(only.out, 'cfind-output.csv'), 'utf8');
    const lines = onlyText.trim().split('\r\n');
    assert.equal(lines[0], 'PatientID,StudyInstanceUID,AccessionNumber,StudyDescription');
    assert.deepEqual(lines.slice(1).sort(), [
      `"000123","${S1.uid}","0000101","CT CHEST"`,
      `"000123","${S2.uid}","A2","MR HEAD"`,
    ]);
    const detailed = await retrieve('AccessionNumber\nA4\n', { kind: 'find-detailed' });
    const rows = await readCsv(path.join(detailed.out, 'cfind-output.csv'));
    const header = (await readFile(path.join(detailed.out, 'cfind-output.csv'), 'utf8')).split(
      '\r\n',
    )[0]!;
    assert.equal(header.split(',').length, 12, 'twelve names for twelve columns');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!['StudyDate'], '20240229');
    assert.equal(rows[0]!['NumberOfStudyRelatedInstances'], '1');
    assert.equal(rows[0]!['NumberOfStudyRelatedSeries'], '1');
    assert.equal(Object.keys(rows[0]!).length, 12);
  });

  it('the report keeps every row in order, malformed ones skipped with their line', async () => {
    const { report, outcome } = await retrieve(
      'PatientID,StudyDate,Note\nP4,20240229,a\n,20240229,b\nP4,2024-02-29,c\n',
    );
    const db = await openRetrievalDatabase(config, path.dirname(outcome.reportPath!));
    try {
      const rows = await runRows(db.kysely, outcome.run.id);
      assert.equal(rows.length, 3);
    } finally {
      await db.close();
    }
    assert.deepEqual(
      report.map((r) => [r['row'], r['line'], r['status']]),
      [
        ['1', '2', 'done'],
        ['2', '3', 'skipped'],
        ['3', '4', 'skipped'],
      ],
    );
    assert.match(report[1]!['error']!, /^line 3: PatientID is empty/);
    assert.match(report[2]!['error']!, /^line 4: '2024-02-29' is not a date/);
  });
});
