// The pure core of cohort reading: CSV records, key columns, dates, StudyMonth, long accession
// numbers, row problems with their lines, and the plan (levels, merged duplicate queries).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { resolveColumns, type ColumnOptions } from '../../src/retrieve/cohort/columns.js';
import { parseCsv } from '../../src/retrieve/cohort/csv.js';
import { parseDate, parseDateCell, parseStudyMonth } from '../../src/retrieve/cohort/dates.js';
import { readCohortRows, shortenAccession } from '../../src/retrieve/cohort/rows.js';
import { RetrieveError } from '../../src/retrieve/errors.js';
import { planRetrieval } from '../../src/retrieve/plan/plan.js';
import { prepareCohort } from '../../src/retrieve/prepare.js';

const OPTIONS = { dateFormat: '%Y%m%d', longAccession: false };
const KEYWORDS: ColumnOptions = { columnMap: {}, unmappedColumns: 'keywords' };

function cohort(text: string, options = OPTIONS, columns = KEYWORDS) {
  const [header, ...records] = parseCsv(text, 'c.csv');
  const resolved = resolveColumns(header!.cells, columns, 'c.csv');
  return { ...resolved, ...readCohortRows(records, resolved.columns, options) };
}

describe('parseCsv', () => {
  it('keeps every cell a string and counts lines across quoted line breaks', () => {
    const records = parseCsv(
      '\ufeffPatientID,Note\r\n000123,"a, ""b""\nc"\n\n,,\n0045678,\n',
      'c.csv',
    );
    assert.deepEqual(records, [
      { line: 1, cells: ['PatientID', 'Note'] },
      { line: 2, cells: ['000123', 'a, "b"\nc'] },
      { line: 6, cells: ['0045678', ''] },
    ]);
  });

  it('names the line of a quote that is never closed', () => {
    assert.throws(
      () => parseCsv('A\n1\n"2,3\n4\n', 'c.csv'),
      (e: unknown) => e instanceof RetrieveError && /c\.csv: line 3/.test(e.message),
    );
  });
});

describe('prepareCohort', () => {
  it('a UTF-8 file with a byte order mark and a stray Latin-1 byte keeps its first key column', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'niffler-cohort-'));
    try {
      const csv = path.join(dir, 'cohort.csv');
      // "café" in the notes with a Latin-1 é: not valid UTF-8, so the file is read as Latin-1.
      await writeFile(
        csv,
        Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf]),
          Buffer.from('PatientID,StudyDate,Note\n12345,20200101,caf'),
          Buffer.from([0xe9, 0x0a]),
        ]),
      );
      const prepared = await prepareCohort(csv, {
        columnMap: {},
        unmappedColumns: 'keywords',
        dateFormat: '%Y%m%d',
        longAccession: false,
        level: 'auto',
        filters: [],
        onRowError: 'stop',
      });
      // Read as Latin-1 with the mark left in, the header was "ï»¿PatientID": not a key, and
      // the row would have asked for every patient's studies of that day.
      assert.deepEqual(
        prepared.columns.map((c) => c.keyword),
        ['PatientID', 'StudyDate'],
      );
      assert.deepEqual(prepared.notes, ['column "Note" is not a query key']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('dates', () => {
  it('reads strptime formats into DICOM dates, and refuses impossible dates', () => {
    assert.equal(parseDate('20240229', '%Y%m%d'), '20240229');
    assert.equal(parseDate('3/7/2024', '%m/%d/%Y'), '20240307');
    assert.equal(parseDate('2024-03-07', '%Y-%m-%d'), '20240307');
    assert.equal(parseDate('07-Mar-24', '%d-%b-%y'), '20240307');
    assert.equal(parseDate('20230229', '%Y%m%d'), undefined);
    assert.equal(parseDate('2024-13-01', '%Y-%m-%d'), undefined);
  });

  it('reads ranges, open ends, and ranges in a format that has dashes', () => {
    assert.deepEqual(parseDateCell('20240101-20240131', '%Y%m%d'), { value: '20240101-20240131' });
    assert.deepEqual(parseDateCell('2024-01-01-2024-01-31', '%Y-%m-%d'), {
      value: '20240101-20240131',
    });
    assert.deepEqual(parseDateCell('20240101-', '%Y%m%d'), { value: '20240101-' });
    assert.ok('problem' in parseDateCell('20240131-20240101', '%Y%m%d'), 'reversed range');
  });

  it('makes StudyMonth one range over the whole month', () => {
    assert.deepEqual(parseStudyMonth('202002'), { value: '20200201-20200229' });
    assert.deepEqual(parseStudyMonth('2023-02'), { value: '20230201-20230228' });
    assert.ok('problem' in parseStudyMonth('202013'), 'month 13');
  });
});

describe('cohort rows', () => {
  it('keeps leading zeros and reports each bad row with its line', () => {
    const { rows, problems, notes } = cohort(
      'PatientID,StudyDate,Notes\n000123,20240101,x\n,20240102,y\n0045678,2024-01-03,z\n',
    );
    assert.deepEqual(
      rows.map((r) => r.keys.map((k) => `${k.keyword}=${k.value}`)),
      [['PatientID=000123', 'StudyDate=20240101']],
    );
    assert.deepEqual(
      problems.map((p) => [p.line, p.row, p.message]),
      [
        [3, 2, 'PatientID is empty'],
        [4, 3, "'2024-01-03' is not a date in the format %Y%m%d"],
      ],
    );
    assert.match(notes.join(), /Notes/);
  });

  it('maps columns by header and by position, and refuses what does not fit', () => {
    const byName = cohort('EMPI,Acc\n0012,A1\n', OPTIONS, {
      columnMap: { EMPI: 'PatientID', '#1': 'AccessionNumber' },
      unmappedColumns: 'ignore',
    });
    assert.deepEqual(
      byName.rows[0]!.keys.map((k) => k.keyword),
      ['PatientID', 'AccessionNumber'],
    );
    assert.throws(
      () => cohort('Name,Notes\na,b\n'),
      (e: unknown) => e instanceof RetrieveError && e.code === 'CSV_COLUMNS',
    );
    assert.throws(
      () => cohort('StudyMonth,StudyDate\n202001,20200101\n'),
      (e: unknown) => e instanceof RetrieveError && /same attribute/.test(e.message),
    );
    assert.throws(
      () => cohort('A\n1\n', OPTIONS, { columnMap: { B: 'PatientID' }, unmappedColumns: 'ignore' }),
      (e: unknown) => e instanceof RetrieveError && /no column is headed "B"/.test(e.message),
    );
  });

  it('shortens long accession numbers only when asked', () => {
    // Characters 8 and 9 go: the century of a 4-digit year after a 7-character prefix.
    assert.equal(shortenAccession('ABC1234202400012345'), 'ABC12342400012345');
    assert.equal(shortenAccession('SHORT2024'), 'SHORT2024');
    const long = 'E12345620240000123';
    const off = cohort(`AccessionNumber\n${long}\n`);
    assert.match(off.problems[0]!.message, /longer than 16/);
    const on = cohort(`AccessionNumber\n${long}\n`, { ...OPTIONS, longAccession: true });
    assert.equal(on.rows[0]!.keys[0]!.value, 'E123456240000123');
  });
});

describe('planRetrieval', () => {
  it('queries at the series level when a key needs it, and merges identical queries', () => {
    const { rows, problems } = cohort(
      'PatientID,Modality,StudyMonth\n1,ct,202401\n2,,202402\n1,CT,202401\n',
    );
    const plan = planRetrieval(rows, problems);
    assert.equal(plan.queries, 1);
    assert.equal(plan.invalid, 1);
    const first = plan.rows[0]!;
    assert.ok(first.kind === 'query', 'row 1 is a query');
    assert.equal(first.query.level, 'SERIES');
    assert.equal(first.query.id, 'SERIES StudyDate=20240101-20240131 Modality=CT PatientID=1');
    const third = plan.rows[2]!;
    assert.ok(third.kind === 'query' && third.duplicateOf === 1, 'row 3 repeats row 1');
  });

  it('turns a study-level Modality into ModalitiesInStudy', () => {
    const { rows, problems } = cohort('PatientID\n7\n');
    const plan = planRetrieval(rows, problems, {
      level: 'STUDY',
      filters: [{ keyword: 'Modality', tag: 0x00080060, value: 'MR' }],
    });
    const row = plan.rows[0]!;
    assert.ok(row.kind === 'query', 'a query');
    assert.equal(row.query.id, 'STUDY ModalitiesInStudy=MR PatientID=7');
  });
});
