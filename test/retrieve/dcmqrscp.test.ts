// niffler retrieve against a second real PACS, DCMTK's dcmqrscp: C-FIND at study level, then
// C-MOVE of the studies found as a list of StudyInstanceUIDs (PS3.4 C.4.2.2.1). dcmqrscp announces
// no NumberOfStudyRelatedInstances, so completeness rests on its sub-operation counts and on what
// arrived. Its archive holds the uncompressed studies only: as a C-MOVE SCU it proposes one
// compressed syntax family at a time (its -x options), so the others would fail on its side.
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config/index.js';
import { retrieveCohort } from '../../src/retrieve/retrieval.js';
import type { RunEvent } from '../../src/retrieve/run/executor.js';
import {
  freePort,
  LOCALHOST,
  removeDir,
  skipUnless,
  startDcmqrscp,
  tempDir,
  type DcmqrscpPeer,
} from '../helpers/peers.js';
import {
  instancesOf,
  STUDIES,
  writeRetrievalConfig,
  writeStudies,
  type WrittenInstance,
} from './studies.js';

const S1 = STUDIES[0]!;
const S4 = STUDIES[3]!;

describe('niffler retrieve against DCMTK dcmqrscp', { skip: skipUnless('dcmtk') }, () => {
  let work: string;
  let archive: DcmqrscpPeer;
  let archived: WrittenInstance[];
  let config: Config;

  before(async () => {
    work = await tempDir('retrieve-dcmqrscp');
    const scpPort = await freePort();
    const files = path.join(work, 'studies');
    await mkdir(files);
    archived = instancesOf(await writeStudies(files), [S1.uid, S4.uid]);
    archive = await startDcmqrscp({
      files: archived.map((w) => w.file),
      moveDestinations: [{ aeTitle: 'NIFFLER', host: LOCALHOST, port: scpPort }],
    });
    config = await writeRetrievalConfig(work, scpPort);
  });

  after(async () => {
    await archive?.stop();
    await removeDir(work);
  });

  it('the studies of two rows in one C-MOVE of a UID list; every instance arrives', async () => {
    const csv = path.join(work, 'cohort.csv');
    await writeFile(csv, `PatientID\n${S1.patientId}\n${S4.patientId}\n`);
    const out = path.join(work, 'out');
    const events: RunEvent[] = [];
    const outcome = await retrieveCohort(
      config,
      { csv, from: `${archive.aeTitle}@${LOCALHOST}:${archive.port}`, out },
      { noEmail: true, onEvent: (event) => events.push(event) },
    );
    assert.equal(outcome.ending?.state, 'done', JSON.stringify(outcome.ending));
    assert.deepEqual(outcome.counts, { done: 2 });
    assert.ok(!events.some((e) => e.kind === 'notice'), 'dcmqrscp answers lists of UIDs');
    const lists = new Set(events.flatMap((e) => (e.kind === 'unit-progress' ? [e.unit] : [])));
    assert.deepEqual([...lists], ['2 studies'], 'one C-MOVE for both studies');
    const stored = (await readdir(out, { recursive: true }))
      .filter((f) => f.endsWith('.dcm') && !f.includes('.niffler-tmp'))
      .map((f) => path.basename(f, '.dcm'))
      .sort();
    assert.deepEqual(stored, archived.map((w) => w.sopInstanceUid).sort());
  });
});
