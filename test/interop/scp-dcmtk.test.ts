// Issue 3, SCP side, against real DCMTK 3.6.7 tools: echoscu, storescu, dcmsend, findscu, movescu
// and getscu talk to our DicomServer (and to the built `niffler store-scp`). Every received file
// is checked: its data set bytes are the bytes the sender put on the wire, its file meta group is
// right and dcmdump reads it.
//
// "The bytes on the wire": storescu and dcmsend re-encode some data sets (they drop group
// lengths, convert big endian and implicit VR to the syntax we accept, re-deflate). So each
// sender run also goes to DCMTK storescp +B (bit-preserving), the witness: a received data set
// must equal the original file's, or, where DCMTK re-encoded it, the witness's copy.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
} from '../../src/dicom/transfer-syntax.js';
import {
  allCorpusInstances,
  type Arrival,
  compareArrivals,
  type CorpusInstance,
  dcmdumpReads,
  describeResult,
  filesBySopInstance,
  freePort,
  InstanceIndex,
  LOCALHOST,
  makeTempDir,
  pickInstances,
  readPart10,
  removeDir,
  type RunningStorescp,
  runTool,
  startStorescp,
  startStoreScpCli,
  startTestScp,
  type StoredRecord,
  stringMap,
  stringOf,
  summarizeArrivals,
  tags,
  tempFilesIn,
  type TestScp,
  waitForPort,
} from '../helpers/scp-harness.js';

const CALLED = 'NIFFLER';

/** Transfer syntaxes DCMTK 3.6.7 knows (it refuses to read HTJ2K and Deflated Image Frame files). */
const COMPRESSED = [
  '1.2.840.10008.1.2.4.50', // JPEG baseline
  '1.2.840.10008.1.2.4.51', // JPEG extended
  '1.2.840.10008.1.2.4.57', // JPEG lossless
  '1.2.840.10008.1.2.4.70', // JPEG lossless SV1
  '1.2.840.10008.1.2.4.80', // JPEG-LS lossless
  '1.2.840.10008.1.2.4.81', // JPEG-LS near-lossless
  '1.2.840.10008.1.2.4.90', // JPEG 2000 lossless
  '1.2.840.10008.1.2.4.91', // JPEG 2000
  '1.2.840.10008.1.2.5', // RLE
  '1.2.840.10008.1.2.1.99', // Deflated explicit VR LE
];

describe('our SCP against DCMTK 3.6.7', () => {
  let work: string;
  let scp: TestScp;
  let witness: RunningStorescp;
  let moveDestination: RunningStorescp;
  const qrInstances = queryRetrieveInstances();
  let index: InstanceIndex;

  before(async () => {
    work = await makeTempDir('scp-dcmtk');
    for (const dir of ['witness', 'movedest', 'get', 'find']) mkdirSync(path.join(work, dir));
    witness = await startStorescp({ aeTitle: 'WITNESS', directory: path.join(work, 'witness') });
    moveDestination = await startStorescp({
      aeTitle: 'MOVEDEST',
      directory: path.join(work, 'movedest'),
    });
    index = new InstanceIndex(qrInstances, {
      destinations: new Map([['MOVEDEST', { host: LOCALHOST, port: moveDestination.port }]]),
      findDelayMs: 20,
    });
    scp = await startTestScp({
      aeTitle: CALLED,
      allowedPeers: [
        ...['ECHOSCU', 'STORESCU', 'DCMSEND', 'FINDSCU', 'MOVESCU', 'GETSCU'].map((aeTitle) => ({
          aeTitle,
          host: LOCALHOST,
        })),
        { aeTitle: 'ELSEWHERE', host: '192.0.2.7' },
      ],
      handlers: index.handlers(),
    });
  });

  after(async () => {
    await scp?.close();
    await witness?.tool.stop();
    await moveDestination?.tool.stop();
    if (work !== undefined) await removeDir(work);
  });

  /** Sends with `tool` to us and to the witness, then checks every file; returns the comparisons. */
  async function sendAndCheck(
    t: TestContext,
    tool: 'storescu' | 'dcmsend',
    callingAeTitle: string,
    options: readonly string[],
    instances: readonly CorpusInstance[],
  ): Promise<Arrival[]> {
    const files = instances.map((i) => i.path);
    const toUs = await runTool(tool, [
      ...options,
      '-aet',
      callingAeTitle,
      '-aec',
      CALLED,
      LOCALHOST,
      String(scp.port),
      ...files,
    ]);
    assert.equal(toUs.code, 0, `${tool} to us: ${describeResult(toUs)}`);
    const toWitness = await runTool(tool, [
      ...options,
      '-aet',
      callingAeTitle,
      '-aec',
      witness.aeTitle,
      LOCALHOST,
      String(witness.port),
      ...files,
    ]);
    assert.equal(toWitness.code, 0, `${tool} to storescp: ${describeResult(toWitness)}`);
    const arrivals = compareArrivals(
      instances,
      filesBySopInstance(scp.directory),
      filesBySopInstance(witness.directory),
    );
    for (const instance of instances) {
      const record = scp.stored.findLast((r) => r.sopInstanceUid === instance.sopInstanceUid);
      assert.ok(record, `${instance.name}: not received`);
      await checkReceivedFile(record, callingAeTitle);
    }
    t.diagnostic(summarizeArrivals(tool, arrivals));
    assert.deepEqual(tempFilesIn(scp.directory), []);
    return arrivals;
  }

  it('echoscu: C-ECHO succeeds', async () => {
    const result = await runTool('echoscu', [
      '-v',
      '-aet',
      'ECHOSCU',
      '-aec',
      CALLED,
      LOCALHOST,
      String(scp.port),
    ]);
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stderr + result.stdout, /Received Echo Response \(Success\)/);
  });

  it('rejects a calling AE title not on the allow-list (DCMTK prints the reject)', async () => {
    const result = await runTool('echoscu', [
      '-aet',
      'INTRUDER',
      '-aec',
      CALLED,
      LOCALHOST,
      String(scp.port),
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /Association Rejected/);
    assert.match(result.stdout + result.stderr, /Reason: Calling AE Title Not Recognized/);
  });

  it('rejects an allowed AE title calling from another host than the one listed', async () => {
    const result = await runTool('echoscu', [
      '-aet',
      'ELSEWHERE',
      '-aec',
      CALLED,
      LOCALHOST,
      String(scp.port),
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /Reason: Calling AE Title Not Recognized/);
  });

  it('rejects an association addressed to another called AE title', async () => {
    const result = await runTool('echoscu', [
      '-aet',
      'ECHOSCU',
      '-aec',
      'SOMEONE',
      LOCALHOST,
      String(scp.port),
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /Reason: Called AE Title Not Recognized/);
  });

  it('storescu: explicit LE, big endian (-xb) and implicit VR (-xi) files arrive as sent', async (t) => {
    const explicit = pickInstances(
      [EXPLICIT_VR_LITTLE_ENDIAN],
      6,
      (i) => Number(i.row.size_bytes) < 2e6,
    );
    const big = pickInstances([EXPLICIT_VR_BIG_ENDIAN], 2);
    const implicit = pickInstances(
      [IMPLICIT_VR_LITTLE_ENDIAN],
      4,
      (i) => Number(i.row.size_bytes) < 2e6,
    );
    assert.ok(
      explicit.length >= 5 && big.length >= 1 && implicit.length >= 3,
      'expected explicit.length >= 5 && big.length >= 1 && implicit.length >= 3',
    );
    const runs: [readonly string[], CorpusInstance[], string][] = [
      [['-R'], explicit, EXPLICIT_VR_LITTLE_ENDIAN],
      [['-R', '-xb'], big, EXPLICIT_VR_BIG_ENDIAN],
      [['-R', '-xi'], implicit, IMPLICIT_VR_LITTLE_ENDIAN],
    ];
    for (const [options, instances, syntax] of runs) {
      const comparisons = await sendAndCheck(t, 'storescu', 'STORESCU', options, instances);
      for (const { instance } of comparisons) {
        const record = scp.stored.findLast((r) => r.sopInstanceUid === instance.sopInstanceUid)!;
        assert.equal(record.transferSyntaxUid, syntax, `${instance.name} was sent in ${syntax}`);
      }
    }
  });

  it('dcmsend: a mixed-transfer-syntax set, compressed syntaxes kept as sent', async (t) => {
    const instances = [
      ...pickInstances(COMPRESSED, 2, (i) => Number(i.row.size_bytes) < 1e6),
      ...pickInstances([EXPLICIT_VR_BIG_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN], 1),
    ];
    const syntaxes = new Set(instances.map((i) => i.transferSyntaxUid));
    assert.ok(syntaxes.size >= 11, `${syntaxes.size} transfer syntaxes`);
    const comparisons = await sendAndCheck(t, 'dcmsend', 'DCMSEND', [], instances);
    for (const { instance } of comparisons) {
      const record = scp.stored.findLast((r) => r.sopInstanceUid === instance.sopInstanceUid)!;
      if (COMPRESSED.includes(instance.transferSyntaxUid)) {
        // We accept every transfer syntax offered, so nothing is decompressed for us.
        assert.equal(record.transferSyntaxUid, instance.transferSyntaxUid, instance.name);
      }
    }
    // dcmsend proposes explicit LE first for uncompressed files and converts: DCMTK's re-encode.
    const identical = comparisons.filter((c) => c.identical).length;
    assert.ok(
      identical >= comparisons.length / 3,
      `${identical} of ${comparisons.length} identical`,
    );
  });

  /**
   * Every instance is in `out` under its SOP Instance UID with its data set as sent: the file's
   * own, or what storescu put on the wire (it re-encodes some files; the witness storescp, sent
   * the same files now, shows that). No temporary file is left.
   */
  async function assertReceivedAsSent(
    out: string,
    instances: ReturnType<typeof pickInstances>,
  ): Promise<void> {
    const toWitness = await runTool('storescu', [
      '-aet',
      'STORESCU',
      '-aec',
      witness.aeTitle,
      LOCALHOST,
      String(witness.port),
      ...instances.map((i) => i.path),
    ]);
    assert.equal(toWitness.code, 0, describeResult(toWitness));
    const received = filesBySopInstance(out);
    const witnessed = filesBySopInstance(witness.directory);
    for (const instance of instances) {
      const file = received.get(instance.sopInstanceUid);
      assert.ok(file, `${instance.name} not received`);
      assert.equal(path.basename(file.path), `${instance.sopInstanceUid}.dcm`);
      const original = readPart10(instance.path).datasetBytes;
      const seen = witnessed.get(instance.sopInstanceUid)?.datasetBytes;
      assert.ok(
        file.datasetBytes.equals(original) ||
          (seen !== undefined && file.datasetBytes.equals(seen)),
        `${instance.name}: neither the original nor what storescu sent`,
      );
      assert.equal(stringOf(file.meta, tags.SourceApplicationEntityTitle), 'STORESCU');
    }
    assert.deepEqual(tempFilesIn(out), []);
  }

  it('niffler store-scp (the built CLI) receives storescu files verbatim', async (t) => {
    const out = path.join(work, 'cli-out');
    const port = await freePort();
    const cli = startStoreScpCli(CALLED, port, out);
    try {
      await waitForPort(port, 10_000, cli);
      const instances = pickInstances(
        [EXPLICIT_VR_LITTLE_ENDIAN],
        4,
        (i) => Number(i.row.size_bytes) < 1e6,
      );
      const sent = await runTool('storescu', [
        '-aet',
        'STORESCU',
        '-aec',
        CALLED,
        LOCALHOST,
        String(port),
        ...instances.map((i) => i.path),
      ]);
      assert.equal(sent.code, 0, describeResult(sent));
      await assertReceivedAsSent(out, instances);
    } finally {
      const result = await cli.stop();
      t.diagnostic(result.stderr.trim().split('\n').slice(-1)[0] ?? '');
      assert.equal(result.code, 0, describeResult(result));
      assert.match(result.stderr, /shutting down after 4 objects/);
    }
  });

  it('niffler store-scp --workers 2 spreads associations over two processes and replaces a killed one', async (t) => {
    const out = path.join(work, 'workers-out');
    const port = await freePort();
    const cli = startStoreScpCli(CALLED, port, out, ['--workers', '2', '--no-fsync']);
    const startedLine = async (): Promise<number[]> => {
      for (let waited = 0; waited < 20_000; waited += 50) {
        const match = /with 2 workers \(pids (\d+), (\d+)\)/.exec(cli.output());
        if (match !== null) return [Number(match[1]), Number(match[2])];
        await new Promise((wake) => setTimeout(wake, 50));
      }
      throw new Error(`store-scp --workers 2 did not start: ${cli.output()}`);
    };
    const instances = pickInstances(
      [EXPLICIT_VR_LITTLE_ENDIAN],
      12,
      (i) => Number(i.row.size_bytes) < 1e6,
    );
    const send = (part: readonly (typeof instances)[number][]) =>
      runTool('storescu', [
        '-aet',
        'STORESCU',
        '-aec',
        CALLED,
        LOCALHOST,
        String(port),
        ...part.map((i) => i.path),
      ]);
    let result: Awaited<ReturnType<typeof cli.stop>> | undefined;
    try {
      const pids = await startedLine();
      // Four associations at once, as the benchmark sends them.
      const first = instances.slice(0, 8);
      const sent = await Promise.all(
        [0, 1, 2, 3].map((k) => send(first.filter((_, i) => i % 4 === k))),
      );
      for (const r of sent) assert.equal(r.code, 0, describeResult(r));
      const served = new Set(
        [...cli.output().matchAll(/\[worker (\d+)\] association \d+ from/g)].map((m) => m[1]),
      );
      assert.equal(served.size, 2, `associations went to workers ${[...served].join(', ')}`);
      // A worker killed outright is replaced, and the server goes on storing.
      process.kill(pids[0]!, 'SIGKILL');
      for (
        let waited = 0;
        !/exited \(SIGKILL\); starting another/.test(cli.output());
        waited += 50
      ) {
        assert.ok(waited < 10_000, `the killed worker was not replaced: ${cli.output()}`);
        await new Promise((wake) => setTimeout(wake, 50));
      }
      const later = await Promise.all([send(instances.slice(8, 10)), send(instances.slice(10))]);
      for (const r of later) assert.equal(r.code, 0, describeResult(r));
      await assertReceivedAsSent(out, instances);
    } finally {
      result = await cli.stop();
      t.diagnostic(result.stderr.trim().split('\n').slice(-1)[0] ?? '');
    }
    assert.equal(result.code, 0, describeResult(result));
    assert.match(
      result.stderr,
      /shutting down after \d+ objects \(and those of 1 worker that died\)/,
    );
  });

  describe('query/retrieve against an in-memory index of corpus files', () => {
    it('findscu: STUDY, SERIES and IMAGE level matching', async () => {
      const study = largestStudy(qrInstances);
      const studyRows = await find([
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `PatientID=${study.patientId}`,
        '-k',
        'StudyInstanceUID',
        '-k',
        'StudyDate',
        '-k',
        'PatientName',
      ]);
      const expectedStudies = new Set(
        qrInstances.filter((i) => i.patientId === study.patientId).map((i) => i.studyInstanceUid),
      );
      assert.deepEqual(
        new Set(studyRows.map((r) => r.get(tags.StudyInstanceUID))),
        expectedStudies,
      );
      for (const row of studyRows) {
        assert.equal(row.get(tags.QueryRetrieveLevel), 'STUDY');
        assert.equal(row.get(tags.PatientID), study.patientId);
      }

      const seriesRows = await find([
        '-S',
        '-k',
        'QueryRetrieveLevel=SERIES',
        '-k',
        `StudyInstanceUID=${study.studyInstanceUid}`,
        '-k',
        'SeriesInstanceUID',
        '-k',
        'Modality',
      ]);
      const expectedSeries = new Set(
        qrInstances
          .filter((i) => i.studyInstanceUid === study.studyInstanceUid)
          .map((i) => i.seriesInstanceUid),
      );
      assert.deepEqual(
        new Set(seriesRows.map((r) => r.get(tags.SeriesInstanceUID))),
        expectedSeries,
      );

      const image = qrInstances.find((i) => i.studyInstanceUid === study.studyInstanceUid)!;
      const imageRows = await find([
        '-S',
        '-k',
        'QueryRetrieveLevel=IMAGE',
        '-k',
        `StudyInstanceUID=${image.studyInstanceUid}`,
        '-k',
        `SeriesInstanceUID=${image.seriesInstanceUid}`,
        '-k',
        'SOPInstanceUID',
        '-k',
        'SOPClassUID',
      ]);
      const expectedImages = qrInstances.filter(
        (i) => i.seriesInstanceUid === image.seriesInstanceUid,
      );
      assert.deepEqual(
        new Set(imageRows.map((r) => r.get(tags.SOPInstanceUID))),
        new Set(expectedImages.map((i) => i.sopInstanceUid)),
      );

      // Wildcard and date range matching; a query that matches nothing answers just Success.
      const prefix = study.patientId.slice(0, 2);
      const wild = await find([
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `PatientID=${prefix}*`,
        '-k',
        'StudyInstanceUID',
      ]);
      assert.deepEqual(
        new Set(wild.map((r) => r.get(tags.StudyInstanceUID))),
        new Set(
          qrInstances.filter((i) => i.patientId.startsWith(prefix)).map((i) => i.studyInstanceUid),
        ),
      );
      const dated = await find([
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyDate=${study.studyDate}-${study.studyDate}`,
        '-k',
        'StudyInstanceUID',
      ]);
      assert.ok(
        dated.some((r) => r.get(tags.StudyInstanceUID) === study.studyInstanceUid),
        'expected dated.some((r) => r.get(tags.StudyInstanceUID) === study.studyInstanceUid)',
      );
      const none = await find([
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        'PatientID=NOBODY',
        '-k',
        'StudyInstanceUID',
      ]);
      assert.deepEqual(none, []);
    });

    it('findscu --cancel: C-CANCEL stops the handler and ends with Cancel (FE00)', async () => {
      const before = index.log.length;
      const result = await runTool('findscu', [
        '-v',
        '--cancel',
        '2',
        '-aet',
        'FINDSCU',
        '-aec',
        CALLED,
        '-S',
        '-k',
        'QueryRetrieveLevel=IMAGE',
        '-k',
        'SOPInstanceUID',
        LOCALHOST,
        String(scp.port),
      ]);
      assert.equal(result.code, 0, describeResult(result));
      const output = result.stdout + result.stderr;
      assert.match(output, /Sending Cancel Request/);
      assert.match(output, /Received Final Find Response \(Cancel/);
      const entry = index.log[before];
      assert.ok(entry?.cancelled, 'the handler saw the abort signal');
      assert.ok(
        entry.sent < qrInstances.length,
        `${entry.sent} of ${qrInstances.length} matches sent`,
      );
    });

    it('movescu: C-MOVE to a DCMTK storescp destination, data sets byte-identical', async () => {
      const study = largestStudy(qrInstances);
      const expected = qrInstances.filter((i) => i.studyInstanceUid === study.studyInstanceUid);
      const result = await runTool('movescu', [
        '-v',
        '-aet',
        'MOVESCU',
        '-aec',
        CALLED,
        '-aem',
        'MOVEDEST',
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study.studyInstanceUid}`,
        LOCALHOST,
        String(scp.port),
      ]);
      assert.equal(result.code, 0, describeResult(result));
      assert.match(result.stdout + result.stderr, /Received Final Move Response \(Success\)/);
      const received = filesBySopInstance(moveDestination.directory);
      for (const instance of expected) {
        const file = received.get(instance.sopInstanceUid);
        assert.ok(file, `${instance.name} did not arrive at storescp`);
        assert.equal(file.transferSyntaxUid, instance.transferSyntaxUid, instance.name);
        assert.ok(
          file.datasetBytes.equals(readPart10(instance.path).datasetBytes),
          `${instance.name} differs`,
        );
      }
      const unknown = await runTool('movescu', [
        '-aet',
        'MOVESCU',
        '-aec',
        CALLED,
        '-aem',
        'NOWHERE',
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study.studyInstanceUid}`,
        LOCALHOST,
        String(scp.port),
      ]);
      assert.match(
        unknown.stdout + unknown.stderr,
        /MoveDestinationUnknown/,
        describeResult(unknown),
      );
    });

    it('getscu: C-GET sends the instances back on the same association, byte-identical', async () => {
      const study = getStudy(qrInstances);
      const inStudy = qrInstances.filter((i) => i.studyInstanceUid === study.studyInstanceUid);
      // getscu offers its own list of storage SOP classes; for the others there is no context
      // and we refuse to transcode or improvise: those sub-operations fail.
      const expected = inStudy.filter((i) => GETSCU_STORAGE_CLASSES.has(i.sopClassUid));
      const refused = inStudy.length - expected.length;
      assert.ok(expected.length >= 2 && refused >= 1, `${expected.length} / ${refused}`);
      const out = path.join(work, 'get');
      const result = await runTool('getscu', [
        '-v',
        '+B',
        '-od',
        out,
        '-aet',
        'GETSCU',
        '-aec',
        CALLED,
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study.studyInstanceUid}`,
        LOCALHOST,
        String(scp.port),
      ]);
      assert.equal(result.code, 0, describeResult(result));
      const output = result.stdout + result.stderr;
      assert.match(
        output,
        /Received C-GET Response \(Warning: SubOperationsCompleteOneOrMoreFailures\)/,
      );
      assert.match(output, new RegExp(`Number of Completed Suboperations : ${expected.length}\\b`));
      assert.match(output, new RegExp(`Number of Failed Suboperations    : ${refused}\\b`));
      const received = filesBySopInstance(out);
      assert.equal(received.size, expected.length, describeResult(result));
      for (const instance of expected) {
        const file = received.get(instance.sopInstanceUid);
        assert.ok(file, `${instance.name} not received by getscu`);
        assert.ok(
          file.datasetBytes.equals(readPart10(instance.path).datasetBytes),
          `${instance.name} differs`,
        );
      }
    });
  });

  /** Runs findscu with -X and returns the responses' string values by tag. */
  async function find(keys: readonly string[]): Promise<Map<number, string>[]> {
    const out = await makeTempDir('findscu');
    try {
      const result = await runTool('findscu', [
        '-X',
        '-od',
        out,
        '-aet',
        'FINDSCU',
        '-aec',
        CALLED,
        ...keys,
        LOCALHOST,
        String(scp.port),
      ]);
      assert.equal(result.code, 0, describeResult(result));
      // findscu -X writes each response to rsp0001.dcm, rsp0002.dcm, ...
      return readdirSync(out)
        .sort()
        .map((name) => stringMap(readPart10(path.join(out, name)).header));
    } finally {
      await removeDir(out);
    }
  }

  /** A received file's meta group and readability (issue 3: a correct file meta group). */
  async function checkReceivedFile(record: StoredRecord, callingAeTitle: string): Promise<void> {
    const file = readPart10(record.path);
    const name = path.basename(record.path);
    assert.equal(
      stringOf(file.meta, tags.MediaStorageSOPClassUID),
      stringOf(file.header, tags.SOPClassUID),
      name,
    );
    assert.equal(
      stringOf(file.meta, tags.MediaStorageSOPInstanceUID),
      stringOf(file.header, tags.SOPInstanceUID),
      name,
    );
    assert.equal(stringOf(file.meta, tags.TransferSyntaxUID), record.transferSyntaxUid, name);
    assert.equal(stringOf(file.meta, tags.SourceApplicationEntityTitle), callingAeTitle, name);
    assert.equal(record.callingAeTitle, callingAeTitle);
    const dump = await dcmdumpReads(record.path);
    assert.ok(dump.ok, `dcmdump ${name}:\n${dump.output.slice(0, 2000)}`);
  }
});

/** Instances for the query/retrieve index: a few whole studies, compressed ones included. */
function queryRetrieveInstances(): CorpusInstance[] {
  const all = allCorpusInstances().filter(
    (i) => i.studyInstanceUid !== '' && i.patientId !== '' && Number(i.row.size_bytes) < 2e6,
  );
  const byStudy = new Map<string, CorpusInstance[]>();
  for (const instance of all) {
    byStudy.set(instance.studyInstanceUid, [
      ...(byStudy.get(instance.studyInstanceUid) ?? []),
      instance,
    ]);
  }
  // DCMTK storescp +xa accepts these; the index keeps to them so every C-MOVE sub-operation can succeed.
  const movable = new Set([
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    ...COMPRESSED.filter((ts) => !ts.endsWith('.57')),
  ]);
  return [...byStudy.values()]
    .filter(
      (instances) =>
        instances.length >= 2 && instances.every((i) => movable.has(i.transferSyntaxUid)),
    )
    .flat();
}

function largestStudy(instances: readonly CorpusInstance[]): CorpusInstance {
  const counts = new Map<string, number>();
  for (const i of instances)
    counts.set(i.studyInstanceUid, (counts.get(i.studyInstanceUid) ?? 0) + 1);
  const [uid] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
  return instances.find((i) => i.studyInstanceUid === uid)!;
}

/** Storage SOP classes among getscu's default proposals that the corpus studies use. */
const GETSCU_STORAGE_CLASSES = new Set([
  '1.2.840.10008.5.1.4.1.1.1', // CR
  '1.2.840.10008.5.1.4.1.1.2', // CT
  '1.2.840.10008.5.1.4.1.1.4', // MR
  '1.2.840.10008.5.1.4.1.1.7', // Secondary Capture
  '1.2.840.10008.5.1.4.1.1.20', // NM
  '1.2.840.10008.5.1.4.1.1.88.11', // Basic Text SR
  '1.2.840.10008.5.1.4.1.1.88.22', // Enhanced SR
  '1.2.840.10008.5.1.4.1.1.88.33', // Comprehensive SR
  '1.2.840.10008.5.1.4.1.1.88.34', // Comprehensive 3D SR
]);

/**
 * A study in explicit VR little endian (getscu's default contexts offer the uncompressed
 * syntaxes, explicit LE first) with SOP classes getscu proposes and some it does not.
 */
function getStudy(instances: readonly CorpusInstance[]): CorpusInstance {
  const candidates = instances.filter((i) =>
    instances
      .filter((j) => j.studyInstanceUid === i.studyInstanceUid)
      .every((j) => j.transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN),
  );
  return largestStudy(candidates);
}
