import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  lookupTag,
  lookupUid,
  tagForKeyword,
  uidForKeyword,
  uidsOfType,
} from '../../src/dicom/dictionary/index.js';
import { TAG_TABLE } from '../../src/dicom/dictionary/generated/tags.js';
import { UID_TABLE } from '../../src/dicom/dictionary/generated/uids.js';
import { makeTag, PIXEL_DATA } from '../../src/dicom/tag.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('PatientName (0010,0010) is PN', () => {
  const entry = lookupTag(makeTag(0x0010, 0x0010));
  assert.ok(entry, 'expected entry');
  assert.equal(entry.keyword, 'PatientName');
  assert.equal(entry.name, "Patient's Name");
  assert.equal(entry.vr, 'PN');
  assert.deepEqual(entry.vrs, ['PN']);
  assert.equal(entry.vm, '1');
  assert.equal(entry.retired, false);
  assert.equal(tagForKeyword('PatientName'), makeTag(0x0010, 0x0010));
});

test('Rows (0028,0010) is US', () => {
  const entry = lookupTag(makeTag(0x0028, 0x0010));
  assert.equal(entry?.keyword, 'Rows');
  assert.equal(entry?.vr, 'US');
});

test('PixelData allows OB or OW and defaults to OW', () => {
  const entry = lookupTag(PIXEL_DATA);
  assert.equal(entry?.keyword, 'PixelData');
  assert.deepEqual(entry?.vrs, ['OB', 'OW']);
  assert.equal(entry?.vr, 'OW');
  assert.equal(lookupTag(makeTag(0x5400, 0x1010))?.vr, 'OW'); // Waveform Data
  assert.equal(lookupTag(makeTag(0x0014, 0x3050))?.vr, 'OB'); // Dark Current Counts: first listed
});

test('US or SS elements list both VRs and default to US', () => {
  const entry = lookupTag(makeTag(0x0028, 0x0106)); // Smallest Image Pixel Value
  assert.equal(entry?.keyword, 'SmallestImagePixelValue');
  assert.deepEqual(entry?.vrs, ['US', 'SS']);
  assert.equal(entry?.vr, 'US');
});

test('repeating groups: (6002,3000) is OverlayData', () => {
  const entry = lookupTag(makeTag(0x6002, 0x3000));
  assert.ok(entry, 'expected entry');
  assert.equal(entry.keyword, 'OverlayData');
  assert.equal(entry.tag, makeTag(0x6002, 0x3000));
  assert.equal(entry.vr, 'OW');
  assert.deepEqual(entry.vrs, ['OB', 'OW']);
  assert.equal(lookupTag(makeTag(0x6000, 0x0010))?.keyword, 'OverlayRows');
  assert.equal(lookupTag(makeTag(0x601e, 0x0011))?.keyword, 'OverlayColumns');
  assert.equal(lookupTag(makeTag(0x5010, 0x3000))?.keyword, 'CurveData');
  assert.equal(lookupTag(makeTag(0x5010, 0x3000))?.retired, true);
  assert.equal(lookupTag(makeTag(0x7f02, 0x0010))?.keyword, 'VariablePixelData');
  // Odd groups are private, and overlays stop at 601E.
  assert.equal(lookupTag(makeTag(0x6001, 0x3000)), undefined);
  assert.equal(lookupTag(makeTag(0x6020, 0x3000)), undefined);
  // Repeating keywords have no single tag.
  assert.equal(tagForKeyword('OverlayData'), undefined);
});

test('repeating elements: (0028,04x0), (1000,xxx0), (0020,31xx)', () => {
  assert.equal(lookupTag(makeTag(0x0028, 0x0410))?.keyword, 'RowsForNthOrderCoefficients');
  assert.equal(lookupTag(makeTag(0x0028, 0x04f3))?.keyword, 'CoefficientCodingPointers');
  assert.equal(lookupTag(makeTag(0x1000, 0x0120))?.keyword, 'EscapeTriplet');
  assert.equal(lookupTag(makeTag(0x1000, 0x0125))?.keyword, 'ShiftTableTriplet');
  assert.equal(lookupTag(makeTag(0x1010, 0x1234))?.keyword, 'ZonalMap');
  assert.equal(lookupTag(makeTag(0x0020, 0x3105))?.keyword, 'SourceImageIDs');
});

test('group length and private creator elements', () => {
  assert.equal(lookupTag(makeTag(0x0000, 0x0000))?.keyword, 'CommandGroupLength');
  assert.equal(lookupTag(makeTag(0x0002, 0x0000))?.keyword, 'FileMetaInformationGroupLength');
  for (const group of [0x0008, 0x0010, 0x7fe0, 0x0009, 0x6002]) {
    const entry = lookupTag(makeTag(group, 0x0000));
    assert.equal(entry?.keyword, 'GroupLength');
    assert.equal(entry?.vr, 'UL');
    assert.equal(entry?.vm, '1');
  }
  for (const element of [0x0010, 0x0011, 0x00ff]) {
    const entry = lookupTag(makeTag(0x0029, element));
    assert.equal(entry?.keyword, 'PrivateCreator');
    assert.equal(entry?.vr, 'LO');
    assert.equal(entry?.vm, '1');
    assert.equal(entry?.tag, makeTag(0x0029, element));
  }
  assert.equal(lookupTag(makeTag(0x0029, 0x1010)), undefined); // a private data element
  assert.equal(lookupTag(makeTag(0x0029, 0x0100)), undefined);
  assert.equal(lookupTag(makeTag(0x0008, 0x0003)), undefined); // unassigned
});

test('file meta and directory elements', () => {
  assert.equal(lookupTag(makeTag(0x0002, 0x0010))?.keyword, 'TransferSyntaxUID');
  assert.equal(lookupTag(makeTag(0x0002, 0x0010))?.vr, 'UI');
  assert.equal(lookupTag(makeTag(0x0002, 0x0001))?.vr, 'OB');
  assert.equal(lookupTag(makeTag(0x0004, 0x1220))?.keyword, 'DirectoryRecordSequence');
  assert.equal(lookupTag(makeTag(0x0004, 0x1220))?.vr, 'SQ');
});

test('items have no VR in the standard: vr UN, empty vrs', () => {
  for (const [element, keyword] of [
    [0xe000, 'Item'],
    [0xe00d, 'ItemDelimitationItem'],
    [0xe0dd, 'SequenceDelimitationItem'],
  ] as const) {
    const entry = lookupTag(makeTag(0xfffe, element));
    assert.equal(entry?.keyword, keyword);
    assert.equal(entry?.vr, 'UN');
    assert.deepEqual(entry?.vrs, []);
  }
});

test('retired elements are marked retired', () => {
  const entry = lookupTag(makeTag(0x0008, 0x0001)); // Length to End
  assert.equal(entry?.keyword, 'LengthToEnd');
  assert.equal(entry?.retired, true);
  assert.equal(lookupTag(makeTag(0x0028, 0x0005))?.retired, true); // Image Dimensions
});

test('command elements (PS3.7 E.1-1 and E.2-1)', () => {
  const expected: [number, string, string][] = [
    [0x0000, 'CommandGroupLength', 'UL'],
    [0x0002, 'AffectedSOPClassUID', 'UI'],
    [0x0100, 'CommandField', 'US'],
    [0x0110, 'MessageID', 'US'],
    [0x0120, 'MessageIDBeingRespondedTo', 'US'],
    [0x0600, 'MoveDestination', 'AE'],
    [0x0700, 'Priority', 'US'],
    [0x0800, 'CommandDataSetType', 'US'],
    [0x0900, 'Status', 'US'],
    [0x0901, 'OffendingElement', 'AT'],
    [0x1000, 'AffectedSOPInstanceUID', 'UI'],
    [0x1020, 'NumberOfRemainingSuboperations', 'US'],
    [0x1021, 'NumberOfCompletedSuboperations', 'US'],
    [0x1022, 'NumberOfFailedSuboperations', 'US'],
    [0x1023, 'NumberOfWarningSuboperations', 'US'],
    [0x1030, 'MoveOriginatorApplicationEntityTitle', 'AE'],
    [0x1031, 'MoveOriginatorMessageID', 'US'],
  ];
  for (const [element, keyword, vr] of expected) {
    const entry = lookupTag(makeTag(0x0000, element));
    assert.equal(entry?.keyword, keyword);
    assert.equal(entry?.vr, vr);
    assert.equal(entry?.retired, false, keyword);
    assert.equal(tagForKeyword(keyword), makeTag(0x0000, element));
  }
  assert.equal(lookupTag(makeTag(0x0000, 0x0001))?.keyword, 'CommandLengthToEnd');
  assert.equal(lookupTag(makeTag(0x0000, 0x0001))?.retired, true);
});

test('keyword round trip for every non-repeating entry', () => {
  let count = 0;
  for (const line of TAG_TABLE.split('\n')) {
    const [key, , , , keyword] = line.split('|');
    if (!key || key.includes('x') || !keyword) continue;
    const tag = tagForKeyword(keyword);
    assert.equal(tag, parseInt(key, 16), keyword);
    assert.equal(lookupTag(tag ?? -1)?.keyword, keyword);
    count++;
  }
  assert.ok(count > 4000, `${count} keywords`);
  assert.equal(tagForKeyword('NoSuchKeyword'), undefined);
});

test('more than 4000 tags and 300 UIDs', () => {
  assert.ok(TAG_TABLE.split('\n').length > 4000, "expected TAG_TABLE.split('\\n').length > 4000");
  assert.ok(UID_TABLE.split('\n').length > 300, "expected UID_TABLE.split('\\n').length > 300");
});

test('transfer syntaxes', () => {
  const jpeg = lookupUid('1.2.840.10008.1.2.4.50');
  assert.equal(jpeg?.name, 'JPEG Baseline (Process 1)');
  assert.equal(jpeg?.type, 'Transfer Syntax');
  assert.equal(jpeg?.keyword, 'JPEGBaseline8Bit');
  assert.equal(jpeg?.retired, false);
  const htj2k = lookupUid('1.2.840.10008.1.2.4.201');
  assert.equal(htj2k?.type, 'Transfer Syntax');
  assert.match(htj2k?.name ?? '', /High-Throughput JPEG 2000/);
  assert.equal(uidForKeyword('ExplicitVRLittleEndian'), '1.2.840.10008.1.2.1');
  assert.equal(uidForKeyword('ImplicitVRLittleEndian'), '1.2.840.10008.1.2');
  assert.equal(lookupUid('1.2.840.10008.1.2.2')?.retired, true); // Explicit VR Big Endian
  const syntaxes = uidsOfType('Transfer Syntax');
  assert.ok(syntaxes.length > 40, 'expected syntaxes.length > 40');
  assert.ok(
    syntaxes.every((s) => s.type === 'Transfer Syntax'),
    "expected syntaxes.every((s) => s.type === 'Transfer Syntax')",
  );
  assert.ok(
    syntaxes.some((s) => s.uid === '1.2.840.10008.1.2.1'),
    "expected syntaxes.some((s) => s.uid === '1.2.840.10008.1.2.1')",
  );
});

test('SOP classes and other UID types', () => {
  const ct = lookupUid('1.2.840.10008.5.1.4.1.1.2');
  assert.equal(ct?.name, 'CT Image Storage');
  assert.equal(ct?.type, 'SOP Class');
  assert.equal(uidForKeyword('CTImageStorage'), '1.2.840.10008.5.1.4.1.1.2');
  assert.equal(lookupUid('1.2.840.10008.1.1')?.keyword, 'Verification');
  assert.ok(uidsOfType('SOP Class').length > 200, "expected uidsOfType('SOP Class').length > 200");
  assert.ok(
    uidsOfType('Well-known SOP Instance').length > 0,
    "expected uidsOfType('Well-known SOP Instance').length > 0",
  );
  assert.deepEqual(uidsOfType('No Such Type'), []);
  assert.equal(lookupUid('1.2.3.4'), undefined);
  assert.equal(uidForKeyword('NoSuchKeyword'), undefined);
});

test('the generated files are up to date (generate.ts --check)', () => {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/dictionary/generate.ts', '--check'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  assert.match(result.stdout, /up to date/);
});
