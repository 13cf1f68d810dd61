import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  DicomError,
  makeTag,
  parseBuffer,
  readStrings,
  readNumbers,
  type Dataset,
  type ValueElement,
} from '../../src/dicom/index.js';
import { encodeDataset } from '../../src/dicom/write/encode.js';
import { removeElement, setNumbers, setStrings } from '../../src/dicom/write/edit.js';
import { corpusRoot } from '../helpers/corpus.js';

const PATIENT_NAME = makeTag(0x0010, 0x0010);
const PATIENT_ID = makeTag(0x0010, 0x0020);
const ROWS = makeTag(0x0028, 0x0010);

function valueOf(dataset: Dataset, tag: number): ValueElement {
  const element = dataset.get(tag);
  assert.ok(element?.kind === 'value', "expected element?.kind === 'value'");
  return element;
}

function load(path: string) {
  const bytes = readFileSync(`${corpusRoot}/${path}`);
  return { bytes, result: parseBuffer(bytes) };
}

test('an edit changes only the edited element; every other byte stays as it was', () => {
  const { bytes, result } = load('pydicom/test_files/CT_small.dcm');
  const original = bytes.subarray(result.datasetOffset);
  const element = result.dataset.get(PATIENT_NAME)!;
  const start = element.offset - result.datasetOffset;
  const end = start + 8 + element.length;

  setStrings(result.dataset, PATIENT_NAME, ['Anonymous^Patient']);
  const out = Buffer.concat(encodeDataset(result.dataset, result.dataset.encoding));

  assert.ok(out.subarray(0, start).equals(original.subarray(0, start)), 'bytes before the edit');
  const delta = out.length - original.length;
  assert.ok(out.subarray(end + delta).equals(original.subarray(end)), 'bytes after the edit');
  const again = parseBuffer(out, { input: 'dataset', transferSyntaxUid: result.transferSyntaxUid });
  assert.deepEqual(readStrings(again.dataset, valueOf(again.dataset, PATIENT_NAME)), [
    'Anonymous^Patient',
  ]);
});

test('odd-length values are padded: a space for text, NUL for UIDs', () => {
  const { result } = load('pydicom/test_files/CT_small.dcm');
  setStrings(result.dataset, PATIENT_ID, ['ABC']);
  const element = result.dataset.get(PATIENT_ID)!;
  assert.equal(element.kind === 'value' && Buffer.from(element.bytes!).toString('latin1'), 'ABC ');
  setStrings(result.dataset, makeTag(0x0008, 0x0018), ['1.2.3']);
  const uid = result.dataset.get(makeTag(0x0008, 0x0018))!;
  assert.equal(uid.kind === 'value' && Buffer.from(uid.bytes!).toString('latin1'), '1.2.3\0');
});

test('numbers are written in the dataset byte order', () => {
  const { result } = load('pydicom/test_files/ExplVR_BigEnd.dcm');
  setNumbers(result.dataset, ROWS, [512]);
  const element = result.dataset.get(ROWS)!;
  assert.deepEqual(element.kind === 'value' && [...element.bytes!], [0x02, 0x00]);
  assert.deepEqual(readNumbers(result.dataset, valueOf(result.dataset, ROWS)), [512]);
});

test('text in the dataset character set; what it cannot hold is a typed error', () => {
  const { result } = load('pydicom/charset_files/chrRuss.dcm');
  setStrings(result.dataset, PATIENT_NAME, ['Иванов^Иван']);
  assert.deepEqual(readStrings(result.dataset, valueOf(result.dataset, PATIENT_NAME)), [
    'Иванов^Иван',
  ]);
  assert.throws(
    () => setStrings(result.dataset, PATIENT_NAME, ['山田^太郎']),
    (e) => e instanceof DicomError && e.code === 'NOT_ENCODABLE',
  );
  assert.throws(() => setStrings(result.dataset, ROWS, ['1']), DicomError);
});

test('removing an element', () => {
  const { result } = load('pydicom/test_files/CT_small.dcm');
  assert.equal(removeElement(result.dataset, PATIENT_NAME), true);
  assert.equal(removeElement(result.dataset, PATIENT_NAME), false);
  const out = Buffer.concat(encodeDataset(result.dataset, result.dataset.encoding));
  const again = parseBuffer(out, { input: 'dataset', transferSyntaxUid: result.transferSyntaxUid });
  assert.equal(again.dataset.has(PATIENT_NAME), false);
});
