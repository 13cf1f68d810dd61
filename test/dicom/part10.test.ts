// The file meta header of a received object: the direct encoder gives the general path's bytes,
// and our parser and DCMTK read it back.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { DicomParser } from '../../src/dicom/parse/index.js';
import { readStrings } from '../../src/dicom/values/strings.js';
import { makeTag } from '../../src/dicom/tag.js';
import {
  encodeFileMetaHeader,
  encodeFileMetaHeaderGeneric,
  type FileMetaInfo,
} from '../../src/dicom/write/part10.js';
import { runTool } from '../helpers/scp-harness.js';

const root = await mkdtemp(path.join(tmpdir(), 'niffler-part10-'));
after(() => rm(root, { recursive: true, force: true }));

const CASES: FileMetaInfo[] = [
  {
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    sopInstanceUid: '1.2.3.4.5',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sourceAeTitle: 'STORESCU',
  },
  // Odd lengths everywhere, no source AE.
  {
    sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
    sopInstanceUid: '2.25.123',
    transferSyntaxUid: '1.2.840.10008.1.2',
  },
  // An odd AE title, an empty one (left out), UIDs with trailing padding as some peers send them.
  {
    sopClassUid: '1.2.840.10008.5.1.4.1.1.4 ',
    sopInstanceUid: '1.2.3\0',
    transferSyntaxUid: '1.2.840.10008.1.2.4.50',
    sourceAeTitle: 'ODD',
  },
  {
    sopClassUid: '1.2',
    sopInstanceUid: '1.3',
    transferSyntaxUid: '1.2.840.10008.1.2.5',
    sourceAeTitle: '',
  },
  // A value too long for a 16-bit length: the general path writes it as UN.
  {
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    sopInstanceUid: `1.${'2'.repeat(70_000)}`,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
  },
];

for (const [index, info] of CASES.entries()) {
  it(`case ${index}: the direct encoder writes the general path's bytes`, () => {
    assert.deepEqual(
      Buffer.from(encodeFileMetaHeader(info)),
      Buffer.from(encodeFileMetaHeaderGeneric(info)),
    );
  });
}

it('our parser and DCMTK read the meta header back, values as given', async () => {
  const info = CASES[0]!;
  const bytes = encodeFileMetaHeader(info);
  const parser = new DicomParser();
  parser.write(bytes);
  const { meta } = parser.end();
  const value = (element: number): string | undefined => {
    const found = meta.get(makeTag(0x0002, element));
    return found?.kind === 'value' ? readStrings(meta, found)[0] : undefined;
  };
  assert.equal(value(0x0002), info.sopClassUid);
  assert.equal(value(0x0003), info.sopInstanceUid);
  assert.equal(value(0x0010), info.transferSyntaxUid);
  assert.equal(value(0x0016), info.sourceAeTitle);
  const file = path.join(root, 'meta-only.dcm');
  await writeFile(file, bytes);
  const dump = await runTool('dcmdump', ['-q', '+E', file]);
  assert.equal(dump.code, 0, dump.stderr);
  assert.match(dump.stdout, /\(0002,0003\) UI \[1\.2\.3\.4\.5\]/);
  assert.match(dump.stdout, /\(0002,0016\) AE \[STORESCU\]/);
});
