import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  Dataset,
  EXPLICIT_BIG,
  EXPLICIT_LITTLE,
  IMPLICIT_LITTLE,
  type Element,
  type ValueElement,
} from '../../src/dicom/dataset.js';
import { DicomError } from '../../src/dicom/errors.js';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import { formatTag as formatTagOf, makeTag, SPECIFIC_CHARACTER_SET } from '../../src/dicom/tag.js';
import {
  elementVM,
  parseDate,
  parseDateRange,
  parseDateTime,
  parseDateTimeRange,
  parseDecimalString,
  parseIntegerString,
  parsePersonName,
  parseTime,
  parseTimeRange,
  readBinary,
  readNumbers,
  readStrings,
  readTags,
  readValue,
  splitStrings,
  type BinaryArray,
  type DicomValue,
} from '../../src/dicom/values/index.js';
import type { VR } from '../../src/dicom/vr.js';

// ---------------------------------------------------------------------------------------------
// Helpers: datasets built by hand.
// ---------------------------------------------------------------------------------------------

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function bytesOf(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function put(
  dataset: Dataset,
  tag: number,
  vr: VR,
  value: Uint8Array | string,
  extra: Partial<ValueElement> = {},
): ValueElement {
  const bytes = typeof value === 'string' ? latin1(value) : value;
  const element: ValueElement = {
    kind: 'value',
    tag,
    vr,
    wireVR: dataset.encoding.explicitVR ? vr : undefined,
    offset: 100,
    length: bytes.length,
    bytes,
    ...extra,
  };
  dataset.elements.set(tag, element);
  return element;
}

const T = (group: number, element: number): number => makeTag(group, element);

function read(vr: VR, value: Uint8Array | string, dataset = new Dataset(EXPLICIT_LITTLE)) {
  return readValue(dataset, put(dataset, T(0x0011, 0x1001), vr, value));
}

/** A typed array's values as a plain array (numbers or bigints). */
function list(values: BinaryArray): unknown[] {
  return Array.from(values as ArrayLike<unknown>);
}

function badValue(error: unknown): boolean {
  return error instanceof DicomError && error.code === 'BAD_VALUE';
}

// ---------------------------------------------------------------------------------------------

describe('strings', () => {
  test('multi-valued CS: split on backslash, padding removed', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const el = put(ds, T(0x0008, 0x0008), 'CS', 'ORIGINAL\\PRIMARY\\AXIAL ');
    assert.deepEqual(readStrings(ds, el), ['ORIGINAL', 'PRIMARY', 'AXIAL']);
    assert.deepEqual(readValue(ds, el), {
      kind: 'strings',
      vr: 'CS',
      values: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    });
  });

  test('leading spaces are insignificant for AE CS DS IS LO SH, significant for LT ST UT UC', () => {
    assert.deepEqual(splitStrings('  STORESCP  ', 'AE'), ['STORESCP']);
    assert.deepEqual(splitStrings(' A \\ B ', 'CS'), ['A', 'B']);
    assert.deepEqual(splitStrings('  Head  ', 'LO'), ['Head']);
    assert.deepEqual(splitStrings(' x ', 'SH'), ['x']);
    assert.deepEqual(splitStrings('  indented text  ', 'LT'), ['  indented text']);
    assert.deepEqual(splitStrings('  indented\\text ', 'ST'), ['  indented\\text']);
    assert.deepEqual(splitStrings(' u ', 'UC'), [' u']);
    assert.deepEqual(splitStrings(' u\\v ', 'UC'), [' u', 'v']);
  });

  test('LT ST UT UR are single-valued: a backslash is an ordinary character', () => {
    assert.deepEqual(splitStrings('C:\\dir\\file', 'LT'), ['C:\\dir\\file']);
    assert.deepEqual(splitStrings('a\\b', 'UT'), ['a\\b']);
    assert.deepEqual(splitStrings('http://x/a\\b  ', 'UR'), ['http://x/a\\b']);
  });

  test('UI: trailing NUL padding removed, each value', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const el = put(ds, T(0x0008, 0x1150), 'UI', '1.2.840.10008.5.1.4.1.1.2\0');
    assert.deepEqual(readStrings(ds, el), ['1.2.840.10008.5.1.4.1.1.2']);
    assert.deepEqual(splitStrings('1.2\\1.3\0', 'UI'), ['1.2', '1.3']);
  });

  test('empty values: [] for an empty field or padding only, "" between delimiters', () => {
    assert.deepEqual(read('LO', ''), { kind: 'strings', vr: 'LO', values: [] });
    assert.deepEqual(splitStrings('  ', 'CS'), []);
    assert.deepEqual(splitStrings('\0', 'UI'), []);
    assert.deepEqual(splitStrings('A\\\\C', 'CS'), ['A', '', 'C']);
    assert.deepEqual(splitStrings('A\\', 'CS'), ['A', '']);
    assert.deepEqual(splitStrings('\\', 'CS'), ['', '']);
  });

  test('readStrings refuses binary VRs and values not loaded', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    assert.throws(() => readStrings(ds, put(ds, T(0x0028, 0x0010), 'US', bytesOf(1, 0))), badValue);
    const bulk = put(ds, T(0x0040, 0xa160), 'UT', new Uint8Array(0), {
      bytes: undefined,
      bulk: { offset: 1000, length: 5000 },
    });
    assert.throws(() => readStrings(ds, bulk), badValue);
    assert.deepEqual(readValue(ds, bulk), {
      kind: 'bulk',
      vr: 'UT',
      bulk: { offset: 1000, length: 5000 },
    });
  });
});

describe('character sets', () => {
  test('an item that declares its own Specific Character Set; others inherit', () => {
    const top = new Dataset(EXPLICIT_LITTLE);
    put(top, SPECIFIC_CHARACTER_SET, 'CS', 'ISO_IR 100');
    const name = put(top, T(0x0010, 0x0010), 'PN', latin1('M\u00fcller^J\u00fcrgen'));
    const own = new Dataset(EXPLICIT_LITTLE, top);
    put(own, SPECIFIC_CHARACTER_SET, 'CS', 'ISO_IR 192');
    const ownName = put(own, T(0x0010, 0x0010), 'PN', utf8('\u5c71\u7530^\u592a\u90ce'));
    const ownText = put(own, T(0x0008, 0x0104), 'LO', utf8('S\u00e9rie\\caf\u00e9 '));
    const inherits = new Dataset(EXPLICIT_LITTLE, top);
    const inheritedText = put(inherits, T(0x0008, 0x0104), 'LO', latin1('caf\u00e9'));
    top.elements.set(T(0x0008, 0x1115), {
      kind: 'sequence',
      tag: T(0x0008, 0x1115),
      vr: 'SQ',
      wireVR: 'SQ',
      offset: 0,
      length: 0xffffffff,
      items: [
        { offset: 0, length: 0xffffffff, dataset: own },
        { offset: 0, length: 0xffffffff, dataset: inherits },
      ],
    });

    assert.deepEqual(readStrings(top, name), ['M\u00fcller^J\u00fcrgen']);
    assert.deepEqual(readStrings(own, ownName), ['\u5c71\u7530^\u592a\u90ce']);
    assert.deepEqual(readStrings(own, ownText), ['S\u00e9rie', 'caf\u00e9']);
    assert.deepEqual(readStrings(inherits, inheritedText), ['caf\u00e9']);
    const value = readValue(own, ownName);
    assert.equal(value.kind, 'person-names');
    assert.equal(
      value.kind === 'person-names' && value.values[0]?.alphabetic?.familyName,
      '\u5c71\u7530',
    );
  });

  test('default-repertoire VRs ignore the character set', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, SPECIFIC_CHARACTER_SET, 'CS', 'ISO_IR 192');
    // CS is default repertoire: bytes are read one per character whatever the declared set.
    const el = put(ds, T(0x0008, 0x0060), 'CS', bytesOf(0x43, 0x54));
    assert.deepEqual(readStrings(ds, el), ['CT']);
  });

  test('multi-byte text: decoded before splitting (ISO 2022 IR 87)', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    put(ds, SPECIFIC_CHARACTER_SET, 'CS', '\\ISO 2022 IR 87');
    // 'Yamada^Tarou=' + ESC $ B + 山田 (3B 33 45 44) + ^ + 太郎 (42 40 4F 3A) + ESC ( B
    const bytes = latin1('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B');
    const el = put(ds, T(0x0010, 0x0010), 'PN', bytes);
    const value = readValue(ds, el);
    assert.equal(value.kind, 'person-names');
    if (value.kind !== 'person-names') return;
    assert.equal(value.values.length, 1);
    assert.equal(value.values[0]?.alphabetic?.text, 'Yamada^Tarou');
    assert.equal(value.values[0]?.ideographic?.familyName, '\u5c71\u7530');
    assert.equal(value.values[0]?.ideographic?.givenName, '\u592a\u90ce');
  });
});

describe('DS and IS', () => {
  test('parse per PS3.5', () => {
    assert.equal(parseDecimalString(' 1.5 '), 1.5);
    assert.equal(parseDecimalString('-2e3'), -2000);
    assert.equal(parseDecimalString('+.5'), 0.5);
    assert.equal(parseDecimalString('1.'), 1);
    assert.equal(parseDecimalString('1E-2'), 0.01);
    assert.equal(parseDecimalString('abc'), undefined);
    assert.equal(parseDecimalString('1e400'), undefined);
    assert.equal(parseDecimalString('NaN'), undefined);
    assert.equal(parseDecimalString('1,5'), undefined);
    assert.equal(parseIntegerString(' -12 '), -12);
    assert.equal(parseIntegerString('+7'), 7);
    assert.equal(parseIntegerString('12.0'), 12);
    assert.equal(parseIntegerString('-0'), 0);
    assert.equal(parseIntegerString('1.5'), undefined);
    assert.equal(parseIntegerString('99999999999999999999'), undefined);
  });

  test('readNumbers and readValue, multi-valued', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const ds1 = put(ds, T(0x0028, 0x0030), 'DS', ' 0.5\\0.25 ');
    assert.deepEqual(readNumbers(ds, ds1), [0.5, 0.25]);
    assert.deepEqual(readValue(ds, ds1), { kind: 'numbers', vr: 'DS', values: [0.5, 0.25] });
    const is = put(ds, T(0x0020, 0x0013), 'IS', '12\\-7');
    assert.deepEqual(readNumbers(ds, is), [12, -7]);
  });

  test('an empty value inside: null in readValue, an error in readNumbers', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const el = put(ds, T(0x0028, 0x1050), 'DS', '40\\\\60 ');
    assert.deepEqual(readValue(ds, el), { kind: 'numbers', vr: 'DS', values: [40, null, 60] });
    assert.throws(() => readNumbers(ds, el), badValue);
  });

  test('a malformed DS throws BAD_VALUE with tag and offset; lenient gives strings', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const el = put(ds, T(0x0018, 0x0050), 'DS', '1.5\\abc ', { offset: 1234 });
    assert.throws(
      () => readNumbers(ds, el),
      (error) =>
        error instanceof DicomError &&
        error.code === 'BAD_VALUE' &&
        error.tag === T(0x0018, 0x0050) &&
        error.offset === 1234 &&
        /abc/.test(error.message),
    );
    assert.throws(() => readValue(ds, el), badValue);
    const lenient = readValue(ds, el, { lenient: true });
    assert.equal(lenient.kind, 'strings');
    assert.deepEqual(lenient.kind === 'strings' && lenient.values, ['1.5', 'abc']);
    assert.match(lenient.warning ?? '', /abc/);
  });

  test('readNumbers reads binary numeric VRs too', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    assert.deepEqual(
      readNumbers(ds, put(ds, T(0x0028, 0x0010), 'US', bytesOf(0, 2, 1, 0))),
      [512, 1],
    );
    const big = put(ds, T(0x0011, 0x1002), 'UV', bytesOf(0, 0, 0, 0, 0, 0, 0, 0x80));
    assert.throws(() => readNumbers(ds, big), badValue);
    assert.throws(() => readNumbers(ds, put(ds, T(0x0008, 0x0060), 'CS', 'CT')), badValue);
  });
});

describe('binary values', () => {
  test('each VR to its typed array, little endian', () => {
    const cases: [VR, number[], unknown[], string][] = [
      ['US', [0x34, 0x12, 0xff, 0xff], [0x1234, 0xffff], 'Uint16Array'],
      ['SS', [0xfe, 0xff, 0x02, 0x00], [-2, 2], 'Int16Array'],
      ['UL', [0x78, 0x56, 0x34, 0x12], [0x12345678], 'Uint32Array'],
      ['SL', [0xff, 0xff, 0xff, 0xff], [-1], 'Int32Array'],
      ['FL', [0x00, 0x00, 0xc0, 0x3f], [1.5], 'Float32Array'],
      ['FD', [0, 0, 0, 0, 0, 0, 0xf8, 0xbf], [-1.5], 'Float64Array'],
      ['SV', [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [-2n], 'BigInt64Array'],
      ['UV', [0, 0, 0, 0, 0, 0, 0, 0x80], [1n << 63n], 'BigUint64Array'],
      ['OB', [1, 2, 3], [1, 2, 3], 'Uint8Array'],
      ['UN', [9, 8], [9, 8], 'Uint8Array'],
      ['OW', [0x01, 0x02], [0x0201], 'Uint16Array'],
      ['OL', [1, 0, 0, 0], [1], 'Uint32Array'],
      ['OF', [0x00, 0x00, 0x80, 0x3f], [1], 'Float32Array'],
      ['OD', [0, 0, 0, 0, 0, 0, 0xf0, 0x3f], [1], 'Float64Array'],
      ['OV', [2, 0, 0, 0, 0, 0, 0, 0], [2n], 'BigUint64Array'],
    ];
    for (const [vr, raw, expected, type] of cases) {
      const value = read(vr, bytesOf(...raw));
      assert.equal(value.kind, 'binary', vr);
      if (value.kind !== 'binary') continue;
      assert.equal(value.values.constructor.name, type, vr);
      assert.deepEqual(Array.from(value.values as ArrayLike<unknown>), expected, vr);
    }
  });

  test('big endian datasets are swapped', () => {
    const big = new Dataset(EXPLICIT_BIG);
    const us = readBinary(big, put(big, T(0x0028, 0x0010), 'US', bytesOf(0x12, 0x34, 0x00, 0x01)));
    assert.deepEqual(list(us), [0x1234, 1]);
    const fd = readBinary(
      big,
      put(big, T(0x0018, 0x9087), 'FD', bytesOf(0xbf, 0xf8, 0, 0, 0, 0, 0, 0)),
    );
    assert.deepEqual(list(fd), [-1.5]);
    const sv = readBinary(
      big,
      put(big, T(0x0011, 0x1003), 'SV', bytesOf(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe)),
    );
    assert.deepEqual(list(sv), [-2n]);
    const ow = readBinary(big, put(big, T(0x7fe0, 0x0010), 'OW', bytesOf(0x01, 0x02, 0x03, 0x04)));
    assert.deepEqual(list(ow), [0x0102, 0x0304]);
    const ob = readBinary(big, put(big, T(0x0011, 0x1004), 'OB', bytesOf(0x01, 0x02)));
    assert.deepEqual(list(ob), [1, 2]);
  });

  test('a value encoded as UN stays little endian once its VR is known (PS3.5 6.2.2)', () => {
    const big = new Dataset(EXPLICIT_BIG);
    const el = put(big, T(0x0028, 0x0010), 'US', bytesOf(0x00, 0x02), { wireVR: 'UN' });
    assert.deepEqual(list(readBinary(big, el)), [512]);
  });

  test('aligned little endian values are views; unaligned ones are copied', () => {
    const buffer = new Uint8Array([0xaa, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0xbb]);
    const ds = new Dataset(IMPLICIT_LITTLE);
    const unaligned = put(ds, T(0x0028, 0x0010), 'US', buffer.subarray(1, 7));
    const copied = readBinary(ds, unaligned);
    assert.deepEqual(list(copied), [1, 2, 3]);
    assert.notEqual(copied.buffer, buffer.buffer);
    const aligned = put(ds, T(0x0028, 0x0011), 'US', buffer.subarray(2, 6));
    const view = readBinary(ds, aligned);
    assert.deepEqual(list(view), [0x0200, 0x0300]);
    assert.equal(view.buffer, buffer.buffer);

    const fdBytes = new Uint8Array(17);
    fdBytes.set([0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0x04, 0x40], 1);
    const fd = readBinary(ds, put(ds, T(0x0018, 0x0088), 'FD', fdBytes.subarray(1)));
    assert.deepEqual(list(fd), [1.5, 2.5]);
  });

  test('a length that is not a multiple of the size: BAD_VALUE, or the bytes when lenient', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const el = put(ds, T(0x0028, 0x0010), 'US', bytesOf(1, 2, 3));
    assert.throws(() => readBinary(ds, el), badValue);
    assert.throws(() => readValue(ds, el), badValue);
    const lenient = readValue(ds, el, { lenient: true });
    assert.equal(lenient.kind, 'binary');
    assert.ok(
      lenient.kind === 'binary' && lenient.values instanceof Uint8Array,
      "expected lenient.kind === 'binary' && lenient.values instanceof Uint8Array",
    );
    assert.match(lenient.warning ?? '', /multiple of 2/);
  });

  test('AT: group then element, in the dataset byte order', () => {
    const little = new Dataset(EXPLICIT_LITTLE);
    const le = put(
      little,
      T(0x0020, 0x9165),
      'AT',
      bytesOf(0x10, 0x00, 0x20, 0x00, 0x28, 0x00, 0x10, 0x00),
    );
    assert.deepEqual(readTags(little, le), [T(0x0010, 0x0020), T(0x0028, 0x0010)]);
    assert.deepEqual(readValue(little, le), {
      kind: 'tags',
      vr: 'AT',
      values: [T(0x0010, 0x0020), T(0x0028, 0x0010)],
    });
    const big = new Dataset(EXPLICIT_BIG);
    const be = put(big, T(0x0020, 0x9165), 'AT', bytesOf(0x00, 0x10, 0x00, 0x20));
    assert.deepEqual(readTags(big, be), [T(0x0010, 0x0020)]);
    assert.throws(
      () => readTags(little, put(little, T(0x0020, 0x9166), 'AT', bytesOf(1, 0))),
      badValue,
    );
  });
});

describe('dates and times', () => {
  test('DA with precision', () => {
    assert.deepEqual(parseDate('20240229'), {
      year: 2024,
      month: 2,
      day: 29,
      precision: 'day',
      text: '20240229',
    });
    assert.deepEqual(parseDate('1997.08.06'), {
      year: 1997,
      month: 8,
      day: 6,
      precision: 'day',
      text: '1997.08.06',
    });
    assert.deepEqual(parseDate('2020'), { year: 2020, precision: 'year', text: '2020' });
    assert.deepEqual(parseDate('202003'), {
      year: 2020,
      month: 3,
      precision: 'month',
      text: '202003',
    });
    assert.equal(parseDate('20230229'), undefined);
    assert.equal(parseDate('20231301'), undefined);
    assert.equal(parseDate('00000000'), undefined);
    assert.equal(parseDate('2023-01-01'), undefined);
    assert.equal(parseDate('2023010'), undefined);
  });

  test('TM with precision and fraction', () => {
    assert.deepEqual(parseTime('13'), { hours: 13, precision: 'hour', text: '13' });
    assert.deepEqual(parseTime('1305'), {
      hours: 13,
      minutes: 5,
      precision: 'minute',
      text: '1305',
    });
    assert.deepEqual(parseTime('130559'), {
      hours: 13,
      minutes: 5,
      seconds: 59,
      precision: 'second',
      text: '130559',
    });
    assert.deepEqual(parseTime('130559.5'), {
      hours: 13,
      minutes: 5,
      seconds: 59,
      fraction: 500000,
      fractionDigits: 1,
      precision: 'fraction',
      text: '130559.5',
    });
    assert.equal(parseTime('000000.000123')?.fraction, 123);
    assert.equal(parseTime('000000.000123')?.fractionDigits, 6);
    assert.equal(parseTime('235960')?.seconds, 60); // leap second
    assert.equal(parseTime('130559.')?.precision, 'second');
    assert.deepEqual(parseTime('13:05:59'), {
      hours: 13,
      minutes: 5,
      seconds: 59,
      precision: 'second',
      text: '13:05:59',
    });
    assert.equal(parseTime('13:05')?.precision, 'minute');
    assert.equal(parseTime('240000'), undefined);
    assert.equal(parseTime('1360'), undefined);
    assert.equal(parseTime('130559.1234567'), undefined);
    assert.equal(parseTime('1'), undefined);
  });

  test('DT with precision and UTC offset', () => {
    assert.deepEqual(parseDateTime('2020'), { year: 2020, precision: 'year', text: '2020' });
    assert.deepEqual(parseDateTime('20200102030405.123456+0100'), {
      year: 2020,
      month: 1,
      day: 2,
      hours: 3,
      minutes: 4,
      seconds: 5,
      fraction: 123456,
      fractionDigits: 6,
      offsetMinutes: 60,
      precision: 'fraction',
      text: '20200102030405.123456+0100',
    });
    assert.deepEqual(parseDateTime('2020010212-0530'), {
      year: 2020,
      month: 1,
      day: 2,
      hours: 12,
      offsetMinutes: -330,
      precision: 'hour',
      text: '2020010212-0530',
    });
    assert.equal(parseDateTime('202001021230')?.precision, 'minute');
    assert.equal(parseDateTime('20200102+1500'), undefined);
    assert.equal(parseDateTime('20200102+0160'), undefined);
    assert.equal(parseDateTime('2020010225'), undefined);
    assert.equal(parseDateTime('20200102030405.'), undefined);
    assert.equal(parseDateTime('202'), undefined);
  });

  test('readValue: DA TM DT values, empty ones null, malformed ones lenient', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const da = put(ds, T(0x0008, 0x0020), 'DA', '20200101\\\\20201231');
    const value = readValue(ds, da);
    assert.equal(value.kind, 'dates');
    assert.deepEqual(value.kind === 'dates' && value.values.map((entry) => entry?.text ?? null), [
      '20200101',
      null,
      '20201231',
    ]);
    const tm = readValue(ds, put(ds, T(0x0008, 0x0030), 'TM', '101010.5 '));
    assert.equal(tm.kind === 'times' && tm.values[0]?.fraction, 500000);
    const dt = readValue(ds, put(ds, T(0x0008, 0x002a), 'DT', '20200101120000+0000'));
    assert.equal(dt.kind === 'datetimes' && dt.values[0]?.offsetMinutes, 0);

    const bad = put(ds, T(0x0008, 0x0021), 'DA', '2020-01-01');
    assert.throws(() => readValue(ds, bad), badValue);
    const lenient = readValue(ds, bad, { lenient: true });
    assert.deepEqual(
      { kind: lenient.kind, values: lenient.kind === 'strings' && lenient.values },
      { kind: 'strings', values: ['2020-01-01'] },
    );
    assert.ok(lenient.warning, 'expected lenient.warning');
  });

  test('ranges for query keys', () => {
    assert.deepEqual(parseDateRange('20200101-20201231'), {
      from: parseDate('20200101'),
      to: parseDate('20201231'),
    });
    assert.deepEqual(parseDateRange('-20201231'), { to: parseDate('20201231') });
    assert.deepEqual(parseDateRange('20200101-'), { from: parseDate('20200101') });
    assert.deepEqual(parseDateRange('20200101'), {
      from: parseDate('20200101'),
      to: parseDate('20200101'),
    });
    assert.equal(parseDateRange('2020x-'), undefined);
    assert.equal(parseDateRange('-'), undefined);
    assert.equal(parseDateRange(''), undefined);
    assert.deepEqual(parseTimeRange('0800-1200'), {
      from: parseTime('0800'),
      to: parseTime('1200'),
    });
    assert.deepEqual(parseDateTimeRange('20200101-0500-20200102'), {
      from: parseDateTime('20200101-0500'),
      to: parseDateTime('20200102'),
    });
    assert.deepEqual(parseDateTimeRange('2020-0100'), {
      from: parseDateTime('2020-0100'),
      to: parseDateTime('2020-0100'),
    });
    assert.deepEqual(parseDateTimeRange('2019-2021'), {
      from: parseDateTime('2019'),
      to: parseDateTime('2021'),
    });
  });
});

describe('person names', () => {
  test('three groups, five components', () => {
    const name = parsePersonName(
      'Yamada^Tarou=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046',
    );
    assert.equal(name.alphabetic?.familyName, 'Yamada');
    assert.equal(name.alphabetic?.givenName, 'Tarou');
    assert.equal(name.ideographic?.text, '\u5c71\u7530^\u592a\u90ce');
    assert.equal(name.phonetic?.givenName, '\u305f\u308d\u3046');
    assert.deepEqual(parsePersonName('Adams^John Robert Quincy^^Rev.^B.A. M.Div.'), {
      text: 'Adams^John Robert Quincy^^Rev.^B.A. M.Div.',
      alphabetic: {
        text: 'Adams^John Robert Quincy^^Rev.^B.A. M.Div.',
        familyName: 'Adams',
        givenName: 'John Robert Quincy',
        middleName: '',
        namePrefix: 'Rev.',
        nameSuffix: 'B.A. M.Div.',
      },
    });
  });

  test('only the groups present', () => {
    const name = parsePersonName('=\u5c71\u7530^\u592a\u90ce');
    assert.equal(name.alphabetic, undefined);
    assert.equal(name.phonetic, undefined);
    assert.equal(name.ideographic?.familyName, '\u5c71\u7530');
    assert.deepEqual(parsePersonName(''), { text: '' });
    assert.deepEqual(parsePersonName('^^^^=^'), { text: '^^^^=^' });
  });

  test('multi-valued PN', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const value = readValue(ds, put(ds, T(0x0008, 0x1060), 'PN', 'Smith^Anne\\Doe^John '));
    assert.equal(value.kind, 'person-names');
    assert.deepEqual(
      value.kind === 'person-names' && value.values.map((name) => name.alphabetic?.familyName),
      ['Smith', 'Doe'],
    );
    assert.equal(elementVM(value), 2);
  });
});

describe('readValue and elementVM for structures', () => {
  test('sequence, encapsulated, bulk, empty', () => {
    const ds = new Dataset(EXPLICIT_LITTLE);
    const item = new Dataset(EXPLICIT_LITTLE, ds);
    const sequence: Element = {
      kind: 'sequence',
      tag: T(0x0008, 0x1115),
      vr: 'SQ',
      wireVR: 'SQ',
      offset: 0,
      length: 0xffffffff,
      items: [{ offset: 0, length: 0xffffffff, dataset: item }],
    };
    const sq = readValue(ds, sequence);
    assert.equal(sq.kind === 'sequence' && sq.items[0], item);
    assert.equal(elementVM(sq), 1);

    const pixel: Element = {
      kind: 'encapsulated',
      tag: T(0x7fe0, 0x0010),
      vr: 'OB',
      wireVR: 'OB',
      offset: 0,
      length: 0xffffffff,
      fragments: [
        { offset: 0, length: 0, bytes: new Uint8Array(0) },
        { offset: 8, length: 4, bytes: bytesOf(1, 2, 3, 4) },
      ],
    };
    const encapsulated = readValue(ds, pixel);
    assert.equal(encapsulated.kind === 'encapsulated' && encapsulated.fragments.length, 2);
    assert.equal(elementVM(encapsulated), 1);

    const vms: [DicomValue, number][] = [
      [read('US', bytesOf(1, 0, 2, 0, 3, 0)), 3],
      [read('OW', bytesOf(1, 0, 2, 0, 3, 0)), 1],
      [read('OB', new Uint8Array(0)), 0],
      [read('CS', 'A\\B\\C'), 3],
      [read('LT', 'A\\B\\C'), 1],
      [read('LO', ''), 0],
      [read('AT', bytesOf(0x10, 0, 0x10, 0)), 1],
      [{ kind: 'bulk', vr: 'FD', bulk: { offset: 0, length: 80 } }, 10],
      [{ kind: 'bulk', vr: 'OB', bulk: { offset: 0, length: 80 } }, 1],
    ];
    for (const [value, vm] of vms) assert.equal(elementVM(value), vm, JSON.stringify(value.vr));
  });
});

// ---------------------------------------------------------------------------------------------
// Real files (test/corpus), read with the parser.
// ---------------------------------------------------------------------------------------------

const CORPUS = new URL('../corpus/', import.meta.url);

function parseCorpus(path: string) {
  return parseBuffer(readFileSync(new URL(path, CORPUS)));
}

function comparable(value: DicomValue): unknown {
  if (value.kind === 'binary') return { ...value, values: list(value.values) };
  if (value.kind === 'sequence') return { kind: value.kind, items: value.items.length };
  return value;
}

describe('corpus', () => {
  test('big endian and little endian copies of a file read the same values', () => {
    const little = parseCorpus('pydicom/test_files/MR_small.dcm');
    const big = parseCorpus('pydicom/test_files/MR_small_bigendian.dcm');
    assert.equal(big.dataset.encoding.littleEndian, false);
    let compared = 0;
    for (const element of little.dataset.sorted()) {
      const other = big.dataset.get(element.tag);
      if (other === undefined || element.tag === T(0xfffc, 0xfffc)) continue;
      assert.deepEqual(
        comparable(readValue(big.dataset, other)),
        comparable(readValue(little.dataset, element)),
        formatTagOf(element.tag),
      );
      compared++;
    }
    assert.ok(compared > 60, 'expected compared > 60');
    const pixels = big.dataset.get(T(0x7fe0, 0x0010));
    assert.ok(pixels?.kind === 'value', "expected pixels?.kind === 'value'");
    assert.deepEqual(list(readBinary(big.dataset, pixels)).slice(0, 4), [905, 1019, 1227, 1259]);
  });

  test('values as pydicom 2.3.1 reads them (MR_small.dcm)', () => {
    const { dataset } = parseCorpus('pydicom/test_files/MR_small.dcm');
    const numbers = (group: number, element: number): number[] => {
      const el = dataset.get(T(group, element));
      assert.ok(el?.kind === 'value', "expected el?.kind === 'value'");
      return readNumbers(dataset, el);
    };
    assert.deepEqual(numbers(0x0028, 0x0030), [0.3125, 0.3125]);
    assert.deepEqual(numbers(0x0020, 0x0032), [-83.9063, -91.2, 6.6406]);
    assert.deepEqual(numbers(0x0020, 0x0037), [1, 0, 0, 0, 1, 0]);
    assert.deepEqual(numbers(0x0018, 0x0084), [63.924339]);
    assert.deepEqual(numbers(0x0018, 0x0086), [1]);
    assert.deepEqual(numbers(0x0028, 0x0010), [64]);
    assert.deepEqual(numbers(0x0028, 0x0107), [4000]);
    const date = dataset.get(T(0x0008, 0x0012));
    assert.ok(date?.kind === 'value', "expected date?.kind === 'value'");
    assert.deepEqual(readValue(dataset, date), {
      kind: 'dates',
      vr: 'DA',
      values: [{ year: 2004, month: 8, day: 26, precision: 'day', text: '20040826' }],
    });
    const empty = dataset.get(T(0x0008, 0x0021));
    assert.ok(empty?.kind === 'value', "expected empty?.kind === 'value'");
    assert.deepEqual(readValue(dataset, empty), { kind: 'dates', vr: 'DA', values: [] });
  });

  test('person names in every character set, as pydicom 2.3.1 decodes them', () => {
    const expected: Record<string, string> = {
      'chrArab.dcm': '\u0642\u0628\u0627\u0646\u064a^\u0644\u0646\u0632\u0627\u0631',
      'chrFren.dcm': 'Buc^J\u00e9r\u00f4me',
      'chrGreek.dcm': '\u0394\u03b9\u03bf\u03bd\u03c5\u03c3\u03b9\u03bf\u03c2',
      'chrH31.dcm': 'Yamada^Tarou=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046',
      'chrH32.dcm':
        '\uff94\uff8f\uff80\uff9e^\uff80\uff9b\uff73=\u5c71\u7530^\u592a\u90ce=\u3084\u307e\u3060^\u305f\u308d\u3046',
      'chrHbrw.dcm': '\u05e9\u05e8\u05d5\u05df^\u05d3\u05d1\u05d5\u05e8\u05d4',
      'chrI2.dcm': 'Hong^Gildong=\u6d2a^\u5409\u6d1e=\ud64d^\uae38\ub3d9',
      'chrJapMulti.dcm': '\u3084\u307e\u3060^\u305f\u308d\u3046',
      'chrKoreanMulti.dcm': '\uae40\ud76c\uc911',
      'chrRuss.dcm': '\u041b\u044e\u043ace\u043c\u0431yp\u0433',
      'chrX1.dcm': 'Wang^XiaoDong=\u738b^\u5c0f\u6771',
      'chrX2.dcm': 'Wang^XiaoDong=\u738b^\u5c0f\u4e1c',
    };
    for (const [file, name] of Object.entries(expected)) {
      const { dataset } = parseCorpus(`pydicom/charset_files/${file}`);
      const element = dataset.get(T(0x0010, 0x0010));
      assert.ok(element?.kind === 'value', file);
      const value = readValue(dataset, element);
      // pydicom's str() drops trailing group delimiters; `text` is the value as written.
      const text = value.kind === 'person-names' ? value.values[0]?.text : undefined;
      assert.equal(text?.replace(/=+$/, ''), name, file);
    }
  });
});
