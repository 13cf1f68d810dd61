import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dataset, EXPLICIT_LITTLE, makeTag } from '../../src/dicom/index.js';
import { setBytes, setStrings } from '../../src/dicom/write/edit.js';
import {
  MISSING_VALUE,
  parsePathTemplate,
  PathTemplateError,
  renderPath,
  safeComponent,
} from '../../src/receive/path-template.js';

const ORIGINAL = '{00100020}/{0020000D}/{0020000E}/{00080018}.dcm';

function dataset(values: Record<string, string>): Dataset {
  const ds = new Dataset(EXPLICIT_LITTLE);
  const tags: Record<string, number> = {
    PatientID: makeTag(0x0010, 0x0020),
    StudyInstanceUID: makeTag(0x0020, 0x000d),
    SeriesInstanceUID: makeTag(0x0020, 0x000e),
    SOPInstanceUID: makeTag(0x0008, 0x0018),
    SpecificCharacterSet: makeTag(0x0008, 0x0005),
  };
  for (const [keyword, value] of Object.entries(values)) {
    if (!/[\\\0]/.test(value)) setStrings(ds, tags[keyword]!, [value]);
    else {
      // Raw bytes, as a hostile or broken peer could send them.
      const bytes = Buffer.from(value.length % 2 === 0 ? value : `${value} `, 'latin1');
      setBytes(ds, tags[keyword]!, 'LO', bytes);
    }
  }
  return ds;
}

describe('path templates', () => {
  test("the original's FilePath syntax and keywords give the same path", () => {
    const ds = dataset({
      PatientID: '00123',
      StudyInstanceUID: '1.2',
      SeriesInstanceUID: '1.2.3',
      SOPInstanceUID: '1.2.3.4',
    });
    const byTag = renderPath(parsePathTemplate(ORIGINAL), ds);
    const byKeyword = renderPath(
      parsePathTemplate('{PatientID}/{StudyInstanceUID}/{SeriesInstanceUID}/{SOPInstanceUID}.dcm'),
      ds,
    );
    assert.equal(byTag, '00123/1.2/1.2.3/1.2.3.4.dcm');
    assert.equal(byKeyword, byTag);
  });

  test('no value can leave the storage root or name a reserved file', () => {
    const template = parsePathTemplate(ORIGINAL);
    for (const hostile of [
      '../../etc',
      '/etc/passwd',
      '..',
      '.',
      'a/../../b',
      'C:\\Windows',
      'x\0y',
      'CON',
      '.niffler-tmp-1',
    ]) {
      const path = renderPath(
        template,
        dataset({
          PatientID: hostile,
          StudyInstanceUID: '1',
          SeriesInstanceUID: '2',
          SOPInstanceUID: '3',
        }),
      );
      const components = path.split('/');
      assert.equal(components.length, 4, `${hostile} -> ${path}`);
      for (const component of components) {
        assert.ok(
          component !== '..' && component !== '.' && component !== '',
          `${hostile} -> ${path}`,
        );
        assert.ok(!component.startsWith('.'), `${hostile} -> ${path}`);
        assert.doesNotMatch(component, /[\\\0:]/);
      }
      assert.notEqual(components[0], 'CON');
    }
  });

  test('a missing or empty value keeps the depth', () => {
    const path = renderPath(
      parsePathTemplate(ORIGINAL),
      dataset({ StudyInstanceUID: '1', SeriesInstanceUID: '2', SOPInstanceUID: '3' }),
    );
    assert.equal(path, `${MISSING_VALUE}/1/2/3.dcm`);
  });

  test('non-ASCII values are kept, decoded with the character set', () => {
    const ds = dataset({
      SpecificCharacterSet: 'ISO_IR 192',
      PatientID: 'Müller',
      StudyInstanceUID: '1',
      SeriesInstanceUID: '2',
      SOPInstanceUID: '3',
    });
    assert.equal(renderPath(parsePathTemplate(ORIGINAL), ds), 'Müller/1/2/3.dcm');
  });

  test('very long values are cut, with a hash so they stay distinct', () => {
    const a = safeComponent('x'.repeat(500) + 'a');
    const b = safeComponent('x'.repeat(500) + 'b');
    assert.ok(Buffer.byteLength(a) <= 200, 'expected Buffer.byteLength(a) <= 200');
    assert.notEqual(a, b);
  });

  test('bad templates are refused at start with the reason', () => {
    for (const bad of [
      '{00100020',
      '{NoSuchKeyword}/x.dcm',
      'fixed.dcm',
      '../{00080018}.dcm',
      '/abs/{00080018}',
    ]) {
      assert.throws(() => parsePathTemplate(bad), PathTemplateError, bad);
    }
  });
});
