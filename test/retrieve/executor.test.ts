// The executor's rarer paths against a scripted PACS (our own DicomServer with find and get
// handlers that fail on cue): transient failures retried with backoff, a study that stays short
// of the count C-FIND announced (partial), a fatal refusal that stops the run with its rows
// pending until a resume; and the pure parts: windows (midnight, daylight saving), the rate gate
// on a fake clock, completeness.
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config/index.js';
import { parseTimeWindow } from '../../src/config/values.js';
import { Dataset, EXPLICIT_LITTLE } from '../../src/dicom/dataset.js';
import { tagForKeyword } from '../../src/dicom/dictionary/index.js';
import { readStrings } from '../../src/dicom/values/strings.js';
import { setStrings } from '../../src/dicom/write/edit.js';
import { Status } from '../../src/net/dimse/status.js';
import { dimseFailure } from '../../src/net/services/client-errors.js';
import { DimseStatusError } from '../../src/net/services/handlers.js';
import { readInstanceFile } from '../../src/net/services/instance-file.js';
import { DicomServer } from '../../src/net/services/server.js';
import { jsonLine, plainLine, ProgressModel } from '../../src/retrieve/output/progress.js';
import { resumeRetrieval, retrieveCohort } from '../../src/retrieve/retrieval.js';
import { completeness, listCompleteness, type RunEvent } from '../../src/retrieve/run/executor.js';
import { loggableError, messageOf } from '../../src/retrieve/run/failures.js';
import { PacsGate } from '../../src/retrieve/run/gate.js';
import { msUntilWindow } from '../../src/retrieve/run/window.js';
import { LOCALHOST, removeDir, tempDir } from '../helpers/peers.js';
import { writeStudies, writeTestConfig, type TestStudy, type WrittenInstance } from './studies.js';

const tag = (keyword: string): number => tagForKeyword(keyword)!;
const text = (ds: Dataset, keyword: string): string => {
  const element = ds.get(tag(keyword));
  return element?.kind === 'value' ? readStrings(ds, element).join('\\') : '';
};

/** A study of one CT series with two instances (CT_small.dcm rewritten). */
function twoCtStudy(patientId: string, uid: string): TestStudy {
  return {
    patientId,
    accession: 'X',
    date: '20240101',
    uid,
    description: 'CT',
    series: [
      {
        uid: `${uid}1`,
        modality: 'CT',
        files: ['pydicom/test_files/CT_small.dcm', 'pydicom/test_files/CT_small.dcm'],
      },
    ],
  };
}

/** A study-level C-FIND match announcing `count` instances. */
function studyMatch(patientId: string, studyInstanceUid: string, count: number): Dataset {
  const match = new Dataset(EXPLICIT_LITTLE);
  setStrings(match, tag('QueryRetrieveLevel'), ['STUDY']);
  setStrings(match, tag('PatientID'), [patientId]);
  setStrings(match, tag('StudyInstanceUID'), [studyInstanceUid]);
  setStrings(match, tag('NumberOfStudyRelatedInstances'), [String(count)]);
  return match;
}

/** A C-GET's sub-operations: each instance stored through `store`, with progress after each. */
async function* sendInstances(
  store: (instance: Awaited<ReturnType<typeof readInstanceFile>>) => Promise<number>,
  instances: readonly WrittenInstance[],
) {
  let completed = 0;
  for (const w of instances) {
    if ((await store(await readInstanceFile(w.file))) === Status.Success) completed++;
    yield { remaining: 0, completed, failed: 0, warning: 0 };
  }
  return { completed, failed: 0, warning: 0 };
}

/** A fake clock: sleeping moves time at once and is recorded. */
function fakeClock(start = Date.UTC(2024, 0, 1, 12)) {
  const clock = {
    time: start,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

describe('retrieval against a scripted PACS', () => {
  let work: string;
  let server: DicomServer;
  let port: number;
  let config: Config;
  let written: WrittenInstance[];
  const gets = new Map<string, number>();
  let refuse = true;

  before(async () => {
    work = await tempDir('retrieve-scripted');
    const files = path.join(work, 'files');
    await mkdir(files);
    // Study 2.25.71: two instances (C-FIND says 2). Study 2.25.72: two instances, C-FIND says 3.
    written = await writeStudies(files, [
      twoCtStudy('RETRY', '2.25.71'),
      twoCtStudy('SHORT', '2.25.72'),
    ]);
    server = new DicomServer({
      aeTitle: 'SCRIPTED',
      host: LOCALHOST,
      port: 0,
      handlers: {
        find: async function* ({ identifier }) {
          const patient = text(identifier, 'PatientID');
          if (patient === 'FATAL' && refuse) {
            throw new DimseStatusError(Status.RefusedNotAuthorized, 'not for you');
          }
          const study = { RETRY: '2.25.71', SHORT: '2.25.72', FATAL: '2.25.71' }[patient];
          if (study === undefined) return;
          yield studyMatch(patient, study, patient === 'SHORT' ? 3 : 2);
        },
        get: async function* ({ identifier, store }) {
          const study = text(identifier, 'StudyInstanceUID');
          const attempt = (gets.get(study) ?? 0) + 1;
          gets.set(study, attempt);
          // The first C-GET of study 71 finds the PACS out of resources (transient).
          if (study === '2.25.71' && attempt === 1) {
            throw new DimseStatusError(Status.OutOfResources, 'busy');
          }
          return yield* sendInstances(
            store,
            written.filter((x) => x.study.uid === study),
          );
        },
      },
    });
    port = (await server.listen()).port;
    config = await writeTestConfig(work, {
      jobs: { maxAttempts: 3, backoffSeconds: 10, backoffMaxSeconds: 60 },
      retrieve: { mode: 'get' },
    });
  });

  after(async () => {
    await server?.close(1_000);
    await removeDir(work);
  });

  async function run(name: string, csvText: string, clock = fakeClock()) {
    const folder = path.join(work, name);
    await mkdir(folder);
    const csv = path.join(folder, 'cohort.csv');
    await writeFile(csv, csvText);
    const out = path.join(folder, 'out');
    const events: RunEvent[] = [];
    const outcome = await retrieveCohort(
      config,
      { csv, from: `SCRIPTED@${LOCALHOST}:${port}`, out, concurrency: 1 },
      { noEmail: true, clock, onEvent: (event) => events.push(event) },
    );
    return { outcome, out, clock, events };
  }

  it('retries a transient failure with backoff; a short study ends partial', async () => {
    const { outcome, clock, events } = await run('retry', 'PatientID\nRETRY\nSHORT\n');
    assert.equal(outcome.ending?.state, 'done', JSON.stringify(outcome.ending));
    // This PACS matches a list of UIDs as one literal value (nothing): the run notices and asks
    // for one study at a time.
    assert.equal(gets.get('2.25.71\\2.25.72'), 1, 'one list request first');
    assert.ok(
      events.some((e) => e.kind === 'notice' && /one study at a time/.test(e.message)),
      JSON.stringify(events.filter((e) => e.kind === 'notice')),
    );
    assert.equal(gets.get('2.25.71'), 2, 'study 71: one failure, one success');
    assert.equal(gets.get('2.25.72'), 3, 'study 72: every attempt, still short');
    // Backoff: 10 s then 20 s (doubling) for study 72; 10 s for study 71.
    assert.deepEqual(
      [...clock.sleeps].sort((a, b) => a - b),
      [10_000, 10_000, 20_000],
    );
    assert.deepEqual(outcome.counts, { done: 1, partial: 1 });
    // Each retry is announced with the attempt that failed and why, and the plain progress
    // output says it in one line.
    const retries = events.flatMap((e) => (e.kind === 'wait' && e.retry ? [e.retry] : []));
    assert.equal(retries.length, 3, JSON.stringify(retries));
    assert.deepEqual(retries.map((r) => `${r.failed}/${r.of}`).sort(), ['1/3', '1/3', '2/3']);
    assert.ok(
      retries.every((r) => /^C-GET: /.test(r.cause)),
      JSON.stringify(retries.map((r) => r.cause)),
    );
    const wait = events.find((e) => e.kind === 'wait' && e.retry !== undefined)!;
    assert.match(
      plainLine(wait, new ProgressModel(0).snapshot(0)) ?? '',
      /^attempt 1 of 3 failed \(C-GET: .+\); retrying in 10s$/,
    );
  });

  it('a fatal refusal stops the run with its rows pending; resuming finishes them', async () => {
    refuse = true;
    gets.clear();
    const { outcome, out } = await run('fatal', 'PatientID\nFATAL\nRETRY\n');
    assert.equal(outcome.ending?.state, 'failed');
    assert.match(
      outcome.ending?.state === 'failed' ? outcome.ending.error : '',
      /C-FIND: .*0124.*not for you/,
    );
    assert.deepEqual(outcome.counts, { pending: 2 });
    refuse = false;
    const resumed = await resumeRetrieval(
      config,
      outcome.run.id,
      out,
      {},
      {
        noEmail: true,
        clock: fakeClock(),
      },
    );
    assert.equal(resumed.ending?.state, 'done', JSON.stringify(resumed.ending));
    assert.deepEqual(resumed.counts, { done: 2 });
  });
});

describe("a request cut short by another row's fatal error", () => {
  let work: string;
  let server: DicomServer;
  let port: number;
  let config: Config;
  let written: WrittenInstance[];
  let gets = 0;
  let refuse = true;
  let slowStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (slowStarted = resolve));

  before(async () => {
    work = await tempDir('retrieve-interrupted');
    const files = path.join(work, 'files');
    await mkdir(files);
    written = await writeStudies(files, [twoCtStudy('SLOW', '2.25.91')]);
    server = new DicomServer({
      aeTitle: 'CUT',
      host: LOCALHOST,
      port: 0,
      handlers: {
        find: async function* ({ identifier }) {
          const patient = text(identifier, 'PatientID');
          if (patient === 'FATAL' && refuse) {
            // Refused once the other row's C-GET is under way: the run stops and cancels it.
            await started;
            throw new DimseStatusError(Status.RefusedNotAuthorized, 'not for you');
          }
          if (patient !== 'SLOW') return;
          yield studyMatch(patient, '2.25.91', 2);
        },
        get: async function* ({ store, signal }) {
          gets++;
          if (gets > 1) return yield* sendInstances(store, written);
          // The first C-GET sends one instance, then holds until the run cancels it.
          let completed = 0;
          if ((await store(await readInstanceFile(written[0]!.file))) === Status.Success) {
            completed++;
          }
          yield { remaining: 1, completed, failed: 0, warning: 0 };
          slowStarted();
          await new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            signal.addEventListener('abort', () => resolve(), { once: true });
            setTimeout(resolve, 20_000).unref();
          });
          return { completed, failed: 0, warning: 0 };
        },
      },
    });
    port = (await server.listen()).port;
    config = await writeTestConfig(work, {
      jobs: { maxAttempts: 1, backoffSeconds: 1, backoffMaxSeconds: 1 },
      retrieve: { mode: 'get' },
    });
  });

  after(async () => {
    await server?.close(1_000);
    await removeDir(work);
  });

  it('leaves the cancelled study unsaved, so the resumed run asks for it again', async () => {
    const csv = path.join(work, 'cohort.csv');
    await writeFile(csv, 'PatientID,Note\nSLOW,a\nFATAL,b\n');
    const out = path.join(work, 'out');
    const from = `CUT@${LOCALHOST}:${port}`;
    const log: string[] = [];
    const outcome = await retrieveCohort(
      config,
      { csv, from, out, concurrency: 2, studiesPerRequest: 1 },
      { noEmail: true, clock: fakeClock(), log: (line) => log.push(line) },
    );
    assert.equal(outcome.ending?.state, 'failed', JSON.stringify(outcome.ending));
    // A column that is no query key is announced on a real run too, not only on --dry-run.
    assert.ok(log.includes('column "Note" is not a query key'), JSON.stringify(log));
    assert.deepEqual(outcome.counts, { pending: 2 });
    refuse = false;
    const resumed = await resumeRetrieval(
      config,
      outcome.run.id,
      out,
      {},
      { noEmail: true, clock: fakeClock() },
    );
    assert.equal(resumed.ending?.state, 'done', JSON.stringify(resumed.ending));
    // SLOW is done; FATAL, no longer refused, matches nothing. Before the fix the cut-short study
    // was saved as partial (its one attempt used up) and the resumed run reused it.
    assert.deepEqual(resumed.counts, { done: 1, 'not-found': 1 });
    assert.equal(gets, 2, 'the study was asked for again');
  });
});

describe('studies requested in lists (C-GET of several StudyInstanceUIDs)', () => {
  let work: string;
  let server: DicomServer;
  let port: number;
  let config: Config;
  let written: WrittenInstance[];
  /** The StudyInstanceUIDs of each C-GET, in order. */
  const requests: string[][] = [];

  before(async () => {
    work = await tempDir('retrieve-lists');
    const files = path.join(work, 'files');
    await mkdir(files);
    // Five studies of two instances each; C-FIND announces 3 for L4 (it will stay short).
    written = await writeStudies(
      files,
      [1, 2, 3, 4, 5].map((n) => twoCtStudy(`L${n}`, `2.25.8${n}`)),
    );
    server = new DicomServer({
      aeTitle: 'LISTS',
      host: LOCALHOST,
      port: 0,
      handlers: {
        find: async function* ({ identifier }) {
          const patient = text(identifier, 'PatientID');
          const study = written.find((w) => w.study.patientId === patient)?.study;
          if (study === undefined) return;
          yield studyMatch(patient, study.uid, patient === 'L4' ? 3 : 2);
        },
        // List of UID matching (PS3.4 C.4.2.2.1): every study named.
        get: async function* ({ identifier, store }) {
          const element = identifier.get(tag('StudyInstanceUID'));
          const uids = element?.kind === 'value' ? readStrings(identifier, element) : [];
          requests.push(uids);
          return yield* sendInstances(
            store,
            written.filter((x) => uids.includes(x.study.uid)),
          );
        },
      },
    });
    port = (await server.listen()).port;
    config = await writeTestConfig(work, {
      jobs: { maxAttempts: 2, backoffSeconds: 1, backoffMaxSeconds: 1 },
      retrieve: {
        mode: 'get',
        pacs: { lists: { aeTitle: 'LISTS', host: LOCALHOST, port, studiesPerRequest: 4 } },
      },
    });
  });

  after(async () => {
    await server?.close(1_000);
    await removeDir(work);
  });

  it('asks for up to studiesPerRequest studies at once; a short one is asked again alone', async () => {
    const csv = path.join(work, 'cohort.csv');
    await writeFile(csv, 'PatientID\nL1\nL2\nL3\nL4\nL5\n');
    const out = path.join(work, 'out');
    const outcome = await retrieveCohort(
      config,
      { csv, from: 'lists', out, concurrency: 1 },
      { noEmail: true, clock: fakeClock() },
    );
    assert.equal(outcome.ending?.state, 'done', JSON.stringify(outcome.ending));
    // Rows in flight: concurrency x studiesPerRequest = 4; the fifth row's study follows alone.
    assert.deepEqual(requests.slice(0, 2), [
      ['2.25.81', '2.25.82', '2.25.83', '2.25.84'],
      ['2.25.84'],
    ]);
    assert.deepEqual(
      requests.slice(2).sort(),
      [['2.25.84'], ['2.25.85']],
      'L4 once more (2 attempts), L5 alone',
    );
    assert.deepEqual(outcome.counts, { done: 4, partial: 1 });
    const files = (await readdir(out, { recursive: true })).filter((f) => f.endsWith('.dcm'));
    assert.equal(files.length, 10);
  });
});

describe('pure parts', () => {
  it('windows: open now, later today, after midnight, across daylight saving', () => {
    const night = parseTimeWindow('19:00-07:00')!;
    const day = parseTimeWindow('09:30-17:00')!;
    const at = (h: number, m = 0): number => Date.UTC(2024, 0, 10, h, m);
    assert.equal(msUntilWindow(night, at(23), 'UTC'), 0);
    assert.equal(msUntilWindow(night, at(3), 'UTC'), 0);
    assert.equal(msUntilWindow(night, at(7), 'UTC'), 12 * 3600_000);
    assert.equal(msUntilWindow(night, at(18, 59), 'UTC'), 60_000);
    assert.equal(msUntilWindow(day, at(17), 'UTC'), (16 * 60 + 30) * 60_000);
    assert.equal(msUntilWindow(day, at(9, 30), 'UTC'), 0);
    // Paris, 2024-03-31 01:00 local (00:00 UTC): clocks jump 02:00 -> 03:00, so 04:00 local
    // is two hours away, not three (three would land at 05:00, after this short window).
    const paris = parseTimeWindow('04:00-05:00')!;
    const wait = msUntilWindow(paris, Date.UTC(2024, 2, 31, 0, 0), 'Europe/Paris');
    assert.equal(wait, 2 * 3600_000);
    assert.equal(msUntilWindow(paris, Date.UTC(2024, 2, 31, 0, 0) + wait, 'Europe/Paris'), 0);
  });

  it('the gate holds the rate per minute on a fake clock', async () => {
    const clock = fakeClock();
    const gate = new PacsGate({ maxConcurrent: 1, maxPerMinute: 2, clock });
    const times: number[] = [];
    for (let i = 0; i < 5; i++)
      await gate.run(async () => times.push(clock.now() - Date.UTC(2024, 0, 1, 12)));
    assert.deepEqual(times, [0, 0, 60_000, 60_000, 120_000]);
  });

  it('a retry cause names the peer and the status, never the PACS error comment', () => {
    const failure = dimseFailure(
      'PACS@10.0.0.5:104',
      'C-MOVE',
      0xa701,
      'no images for DOE^JOHN\r\n(ID 000123)',
    );
    const cause = loggableError(messageOf(failure));
    assert.match(cause, /PACS@10\.0\.0\.5:104/);
    assert.match(cause, /A701/i);
    assert.doesNotMatch(cause, /DOE|000123/);
    assert.equal(
      loggableError(messageOf(new Error('read ECONNRESET\nat line 2'))),
      'read ECONNRESET at line 2',
    );
  });

  it("a row's error in the progress output leaves out the PACS error comment", () => {
    const failure = dimseFailure('PACS@10.0.0.5:104', 'C-MOVE', 0xa701, 'DOE^JOHN (ID 000123)');
    const error = `1 of 2 studies incomplete: C-MOVE: ${messageOf(failure)}`;
    assert.match(error, /000123/, 'the report keeps it');
    const shown = loggableError(error);
    assert.match(shown, /^1 of 2 studies incomplete: C-MOVE: .*A701 \([^)]+\)$/);
    assert.doesNotMatch(shown, /DOE|000123/);
    const outcome = {
      state: 'failed' as const,
      studiesMatched: 2,
      instancesExpected: 4,
      instancesReceived: 2,
      error,
      attempts: 3,
    };
    const snapshot = new ProgressModel(0).snapshot(0);
    const line = plainLine({ kind: 'row-done', row: 1, line: 2, outcome }, snapshot) ?? '';
    assert.doesNotMatch(line, /DOE|000123/, line);
    assert.doesNotMatch(
      jsonLine({ kind: 'row-done', row: 1, line: 2, outcome }, snapshot),
      /DOE|000123/,
    );
    // A study's error, in the JSON line of its unit-done event, is cleaned the same way.
    const unit = {
      unitKey: '2.25.1',
      studyInstanceUid: '2.25.1',
      seriesInstanceUid: null,
      state: 'partial' as const,
      expected: 2,
      received: 1,
      completed: 1,
      failed: 1,
      warning: 0,
      bytes: 1000,
      error: `C-MOVE: ${messageOf(failure)}`,
      attempts: 3,
      finishedAt: 0,
    };
    const unitLine = jsonLine({ kind: 'unit-done', unit, reused: false }, snapshot);
    assert.doesNotMatch(unitLine, /DOE|000123/, unitLine);
    assert.match(unitLine, /A701/, 'the status stays');
  });

  it('completeness: failures, the announced count, and what actually arrived', () => {
    const unit = { key: 's', studyInstanceUid: 's', expected: 3 };
    assert.deepEqual(completeness(unit, { status: 0, completed: 3, failed: 0, warning: 0 }, 3), {
      complete: true,
    });
    assert.equal(
      completeness(unit, { status: 0xb000, completed: 2, failed: 1 }, 2).complete,
      false,
    );
    assert.equal(completeness(unit, { status: 0, completed: 2, failed: 0 }, 2).complete, false);
    assert.equal(completeness(unit, { status: 0, completed: 3, failed: 0 }, 2).complete, false);
    assert.equal(
      completeness({ ...unit, expected: undefined }, { status: 0, completed: 3 }, undefined)
        .complete,
      true,
    );
    assert.equal(completeness(unit, { status: Status.Cancel, completed: 3 }, 3).complete, false);
  });

  it('listCompleteness: a clean list request, then each study by its own arrivals', () => {
    const units = [
      { key: 'a', studyInstanceUid: 'a', expected: 2 },
      { key: 'b', studyInstanceUid: 'b', expected: 3 },
      { key: 'c', studyInstanceUid: 'c' },
      { key: 'd', studyInstanceUid: 'd' },
    ];
    const arrived: Record<string, number> = { a: 2, b: 2, c: 1, d: 0 };
    const received = (key: string): number => arrived[key] ?? 0;
    // b is short of its count; d (no count announced) got nothing: both are asked again alone.
    assert.deepEqual(listCompleteness(units, { status: 0, completed: 5, failed: 0 }, received), [
      true,
      false,
      true,
      false,
    ]);
    // A failed sub-operation, a failure or cancel status, an instance the PACS sent that was not
    // stored, or no answer at all: none is trusted.
    const none = [false, false, false, false];
    assert.deepEqual(
      listCompleteness(units, { status: 0xb000, completed: 5, failed: 1 }, received),
      none,
    );
    assert.deepEqual(listCompleteness(units, { status: 0xa702, completed: 5 }, received), none);
    assert.deepEqual(
      listCompleteness(units, { status: Status.Cancel, completed: 5 }, received),
      none,
    );
    assert.deepEqual(listCompleteness(units, { status: 0, completed: 6 }, received), none);
    assert.deepEqual(listCompleteness(units, undefined, received), none);
  });
});
