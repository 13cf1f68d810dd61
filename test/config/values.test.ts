import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  aeTitleProblem,
  dateFormatProblem,
  inTimeWindow,
  isLoopbackHost,
  isUid,
  parsePeerAddress,
  parseTimeWindow,
  pathTemplateProblem,
} from '../../src/config/values.js';

describe('path templates', () => {
  test("the original's template and keyword forms are accepted", () => {
    for (const template of [
      '{00100020}/{0020000D}/{0020000E}/{00080018}.dcm',
      '{PatientID}/{StudyInstanceUID}/{SeriesInstanceUID}/{SOPInstanceUID}.dcm',
      'by-modality/{Modality}/{0020000e}/{SOPInstanceUID}',
    ]) {
      assert.equal(pathTemplateProblem(template), undefined, template);
    }
  });

  test('broken templates say why', () => {
    const cases: [string, RegExp][] = [
      ['{00100020/{00080018}.dcm', /nested/],
      ['{00100020}}/{00080018}.dcm', /unbalanced "}"/],
      ['{00100020}/{00080018', /unbalanced "{"/],
      ['{0010,0020}/{00080018}.dcm', /neither an 8-hex-digit tag/],
      ['{Patient ID}/{00080018}.dcm', /neither/],
      ['{}/{00080018}.dcm', /neither/],
      ['/abs/{00080018}.dcm', /relative/],
      ['../{00080018}.dcm', /"\.\."/],
      ['a//{00080018}.dcm', /empty path segment/],
      ['{00100020}/{0020000E}.dcm', /SOP Instance UID/],
    ];
    for (const [template, message] of cases) {
      assert.match(pathTemplateProblem(template) ?? 'accepted', message, template);
    }
  });
});

describe('time windows', () => {
  test('parse and span midnight', () => {
    const night = parseTimeWindow('19:00-07:00');
    assert.deepEqual(night, { start: 19 * 60, end: 7 * 60 });
    assert.ok(
      night && inTimeWindow(night, 23 * 60),
      'expected night && inTimeWindow(night, 23 * 60)',
    );
    assert.ok(night && inTimeWindow(night, 0), 'expected night && inTimeWindow(night, 0)');
    assert.ok(
      night && !inTimeWindow(night, 7 * 60),
      'expected night && !inTimeWindow(night, 7 * 60)',
    ); // the end is excluded
    assert.ok(
      night && !inTimeWindow(night, 12 * 60),
      'expected night && !inTimeWindow(night, 12 * 60)',
    );
    const day = parseTimeWindow('08:30-17:00');
    assert.ok(
      day && inTimeWindow(day, 8 * 60 + 30),
      'expected day && inTimeWindow(day, 8 * 60 + 30)',
    );
    assert.ok(day && !inTimeWindow(day, 20 * 60), 'expected day && !inTimeWindow(day, 20 * 60)');
  });

  test('malformed windows are refused', () => {
    for (const text of ['19-07', '24:00-07:00', '19:00-19:00', '7:00-19:00', '19:00 - 07:00']) {
      assert.equal(parseTimeWindow(text), undefined, text);
    }
  });
});

describe('peers and AE titles', () => {
  test('AET@HOST:PORT', () => {
    assert.deepEqual(parsePeerAddress('SRC_AET@SRCHOST:104'), {
      aeTitle: 'SRC_AET',
      host: 'SRCHOST',
      port: 104,
    });
    assert.deepEqual(parsePeerAddress('PACS@[fe80::1]:11112'), {
      aeTitle: 'PACS',
      host: 'fe80::1',
      port: 11112,
    });
    for (const text of ['PACS@host', 'PACS:104', '@host:104', 'PACS@host:0', 'PACS@host:70000']) {
      assert.equal(parsePeerAddress(text), undefined, text);
    }
  });

  test('AE titles follow PS3.5 (VR AE)', () => {
    assert.equal(aeTitleProblem('NIFFLER'), undefined);
    assert.equal(aeTitleProblem('A B'), undefined);
    assert.match(aeTitleProblem('') ?? '', /empty/);
    assert.match(aeTitleProblem('X'.repeat(17)) ?? '', /16/);
    assert.match(aeTitleProblem('A\\B') ?? '', /backslash/);
    assert.match(aeTitleProblem(' A') ?? '', /space/);
    assert.match(aeTitleProblem('É') ?? '', /ASCII/);
  });

  test('loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) {
      assert.ok(isLoopbackHost(h), h);
    }
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.org']) assert.ok(!isLoopbackHost(h), h);
  });

  test('UIDs', () => {
    assert.ok(isUid('1.2.840.10008.1.2.1'), "expected isUid('1.2.840.10008.1.2.1')");
    assert.ok(!isUid('1.2.03'), "expected !isUid('1.2.03')");
    assert.ok(!isUid('1..2'), "expected !isUid('1..2')");
    assert.ok(!isUid(`1.${'2'.repeat(63)}`), "expected !isUid(`1.${'2'.repeat(63)}`)");
  });
});

test('date formats', () => {
  for (const f of ['%Y%m%d', '%m/%d/%Y', '%Y-%m-%d', '%d.%m.%y', '%Y%m']) {
    assert.equal(dateFormatProblem(f), undefined, f);
  }
  assert.match(dateFormatProblem('%Y%m%d %H') ?? '', /"%H"/);
  assert.match(dateFormatProblem('%m%d') ?? '', /year/);
});
