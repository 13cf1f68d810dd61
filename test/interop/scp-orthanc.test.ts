// Issue 3, SCP side, against Orthanc 1.10.1 (started with TCP_NODELAY=1): corpus files are
// loaded over HTTP (stored verbatim, compressed syntaxes kept), then Orthanc sends them to our
// SCP with C-STORE (REST /modalities/<ours>/store) and through a C-MOVE that movescu asks Orthanc
// for, with our SCP as the destination. The data sets must arrive byte-identical to the originals
// or, where Orthanc's DCMTK re-encodes on the wire, to what storescp +B got from the same request.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
} from '../../src/dicom/transfer-syntax.js';
import {
  compareArrivals,
  dcmdumpReads,
  describeResult,
  filesBySopInstance,
  LOCALHOST,
  makeTempDir,
  pickInstances,
  removeDir,
  runTool,
  startOrthanc,
  startStorescp,
  startTestScp,
  stringOf,
  summarizeArrivals,
  tags,
  tempFilesIn,
  type CorpusInstance,
  type RunningOrthanc,
  type RunningStorescp,
  type TestScp,
} from '../helpers/scp-harness.js';

const SYNTAXES = [
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_BIG_ENDIAN,
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.91',
  '1.2.840.10008.1.2.5',
  '1.2.840.10008.1.2.1.99',
];

describe('Orthanc 1.10.1 sends to our SCP', () => {
  let work: string;
  let scp: TestScp;
  let witness: RunningStorescp;
  let orthanc: RunningOrthanc;
  /** Instances Orthanc accepted, with their Orthanc IDs. */
  const loaded: { instance: CorpusInstance; id: string }[] = [];

  before(async () => {
    work = await makeTempDir('scp-orthanc');
    mkdirSync(path.join(work, 'witness'));
    scp = await startTestScp({
      aeTitle: 'NIFFLER',
      allowedPeers: [{ aeTitle: 'ORTHANC', host: LOCALHOST }],
    });
    witness = await startStorescp({ aeTitle: 'STORESCP', directory: path.join(work, 'witness') });
    orthanc = await startOrthanc({
      modalities: {
        niffler: { aet: 'NIFFLER', host: LOCALHOST, port: scp.port },
        storescp: { aet: 'STORESCP', host: LOCALHOST, port: witness.port },
        movescu: { aet: 'MOVESCU', host: LOCALHOST, port: 9 },
      },
    });
    for (const instance of pickInstances(SYNTAXES, 2, (i) => Number(i.row.size_bytes) < 1e6)) {
      try {
        loaded.push({ instance, id: await orthanc.upload(instance.path) });
      } catch {
        // Orthanc refuses a few unusual files; the assertions below count what it took.
      }
    }
  });

  after(async () => {
    await orthanc?.stop();
    await scp?.close();
    await witness?.tool.stop();
    if (work !== undefined) await removeDir(work);
  });

  /** Empties our directory and the witness's between requests. */
  function reset(): void {
    for (const directory of [scp.directory, witness.directory]) {
      for (const name of readdirSync(directory)) rmSync(path.join(directory, name));
    }
    scp.stored.length = 0;
  }

  async function checkFiles(sender: string): Promise<string> {
    const instances = loaded.map((l) => l.instance);
    const arrivals = compareArrivals(
      instances,
      filesBySopInstance(scp.directory),
      filesBySopInstance(witness.directory),
    );
    for (const { instance, received } of arrivals) {
      const name = instance.name;
      assert.equal(stringOf(received.meta, tags.SourceApplicationEntityTitle), 'ORTHANC', name);
      assert.equal(stringOf(received.meta, tags.MediaStorageSOPClassUID), instance.sopClassUid);
      assert.equal(
        stringOf(received.meta, tags.MediaStorageSOPInstanceUID),
        instance.sopInstanceUid,
      );
      const record = scp.stored.find((r) => r.sopInstanceUid === instance.sopInstanceUid);
      assert.equal(received.transferSyntaxUid, record?.transferSyntaxUid, name);
      // Orthanc proposes the stored syntax and we accept it: compressed data stays compressed.
      assert.equal(received.transferSyntaxUid, instance.transferSyntaxUid, name);
      const dump = await dcmdumpReads(received.path);
      assert.ok(dump.ok, `dcmdump ${name}: ${dump.output.slice(0, 1000)}`);
    }
    assert.deepEqual(tempFilesIn(scp.directory), []);
    return summarizeArrivals(sender, arrivals);
  }

  it('Orthanc took the corpus files (HTTP POST /instances)', () => {
    const syntaxes = new Set(loaded.map((l) => l.instance.transferSyntaxUid));
    assert.ok(syntaxes.size >= 12, `${syntaxes.size} transfer syntaxes loaded`);
  });

  it('C-STORE from Orthanc (REST /modalities/niffler/store)', async (t) => {
    reset();
    const resources = loaded.map((l) => l.id);
    await orthanc.rest('POST', '/modalities/niffler/store', {
      Resources: resources,
      Synchronous: true,
    });
    await orthanc.rest('POST', '/modalities/storescp/store', {
      Resources: resources,
      Synchronous: true,
    });
    t.diagnostic(await checkFiles('Orthanc C-STORE'));
  });

  it('C-MOVE: movescu asks Orthanc to move each study to our SCP', async (t) => {
    reset();
    const studies = [...new Set(loaded.map((l) => l.instance.studyInstanceUid))];
    for (const destination of ['NIFFLER', 'STORESCP']) {
      for (const study of studies) {
        const result = await runTool('movescu', [
          '-aet',
          'MOVESCU',
          '-aec',
          orthanc.aeTitle,
          '-aem',
          destination,
          '-S',
          '-k',
          'QueryRetrieveLevel=STUDY',
          '-k',
          `StudyInstanceUID=${study}`,
          LOCALHOST,
          String(orthanc.dicomPort),
        ]);
        assert.equal(result.code, 0, `${destination} ${study}: ${describeResult(result)}`);
      }
    }
    t.diagnostic(await checkFiles('Orthanc C-MOVE'));
  });
});
