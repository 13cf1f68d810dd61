// Our SCU against Orthanc 1.10.1 as the PACS, through the built CLI: C-ECHO, and C-STORE of
// uncompressed and compressed corpus files, each kept in its own transfer syntax. Orthanc writes
// what it receives through DCMTK, which re-encodes lengths and group lengths, so its copy is
// compared element by element (every value's bytes, Pixel Data included) rather than byte for
// byte. C-FIND, C-MOVE and C-GET against Orthanc are in test/retrieve/orthanc.test.ts.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseBuffer } from '../../src/dicom/parse/index.js';

const DATA_SET_TRAILING_PADDING = 0xfffcfffc;
import { removeDir, startOrthanc, tempDir, type OrthancPeer } from '../helpers/peers.js';
import {
  NIFFLER_BIN,
  pickInstances,
  readPart10,
  runTool,
  describeResult,
} from '../helpers/scp-harness.js';

const SYNTAXES = [
  '1.2.840.10008.1.2', // implicit VR little endian
  '1.2.840.10008.1.2.1', // explicit VR little endian
  '1.2.840.10008.1.2.4.70', // JPEG lossless SV1
  '1.2.840.10008.1.2.4.90', // JPEG 2000 lossless
  '1.2.840.10008.1.2.5', // RLE
];

/** Top-level elements as tag -> value bytes (hex), sequences by their item count; group lengths out. */
function valuesOf(dataset: Buffer, transferSyntaxUid: string): Map<string, string> {
  const parsed = parseBuffer(dataset, { input: 'dataset', transferSyntaxUid, bulkThreshold: 0 });
  const values = new Map<string, string>();
  for (const element of parsed.dataset.sorted()) {
    if ((element.tag & 0xffff) === 0 || element.tag === DATA_SET_TRAILING_PADDING) continue;
    const key = element.tag.toString(16).padStart(8, '0');
    if (element.kind === 'value') values.set(key, Buffer.from(element.bytes ?? []).toString('hex'));
    else if (element.kind === 'sequence') values.set(key, `${element.items.length} items`);
    else values.set(key, element.fragments.map((f) => f.length).join(','));
  }
  return values;
}

describe('our SCU against Orthanc 1.10.1', () => {
  let orthanc: OrthancPeer;
  let work: string;
  before(async () => {
    orthanc = await startOrthanc();
    work = await tempDir('scu-orthanc');
  });
  after(async () => {
    await orthanc?.stop();
    if (work !== undefined) await removeDir(work);
  });

  const niffler = (...args: string[]) =>
    runTool(process.execPath, [NIFFLER_BIN, ...args], { timeoutMs: 60_000 });

  it('niffler echo: C-ECHO succeeds', async () => {
    const result = await niffler('echo', `${orthanc.aeTitle}@127.0.0.1:${orthanc.port}`);
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stdout, /Success \(0000\)/);
  });

  it('niffler send: each file stored in its own transfer syntax, every element value identical', async () => {
    const instances = pickInstances(SYNTAXES, 1);
    assert.equal(instances.length, SYNTAXES.length, 'one corpus file per transfer syntax');
    const result = await niffler(
      'send',
      ...instances.map((i) => i.path),
      '--to',
      `${orthanc.aeTitle}@127.0.0.1:${orthanc.port}`,
    );
    assert.equal(result.code, 0, describeResult(result));

    for (const instance of instances) {
      const found = await orthanc.rest<{ ID: string; Type: string }[]>(
        'POST',
        '/tools/lookup',
        Buffer.from(instance.sopInstanceUid),
      );
      const id = found.find((f) => f.Type === 'Instance')?.ID;
      assert.ok(id !== undefined, `Orthanc has ${instance.name}`);
      const response = await fetch(`${orthanc.url}/instances/${id}/file`);
      const stored = Buffer.from(await response.arrayBuffer());
      const copy = path.join(work, `${instance.sopInstanceUid}.dcm`);
      await writeFile(copy, stored);
      const theirs = readPart10(copy);
      const ours = readPart10(instance.path);
      assert.equal(
        theirs.transferSyntaxUid,
        instance.transferSyntaxUid,
        `${instance.name}: syntax`,
      );
      assert.deepEqual(
        valuesOf(theirs.datasetBytes, theirs.transferSyntaxUid),
        valuesOf(ours.datasetBytes, ours.transferSyntaxUid),
        `${instance.name}: Orthanc's elements differ from the file sent`,
      );
    }
  });
});
