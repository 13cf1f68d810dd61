/**
 * CSV records -> cohort rows: each key cell checked and normalised (dates to DICOM DA, StudyMonth
 * to a month range, long accession numbers shortened, code strings upper-cased), or a problem that
 * names the line and the column. A row is never paired with another row's values (the original
 * filled one list per column and shifted every later pair on a blank cell). Pure.
 */
import type { Tag } from '../../dicom/tag.js';
import { isUid } from '../../config/values.js';
import type { CsvRecord } from './csv.js';
import { STUDY_MONTH, type KeyColumn } from './columns.js';
import { parseDateCell, parseStudyMonth } from './dates.js';

export interface RowKey {
  /** The keyword the value is queried as (StudyDate for a StudyMonth column). */
  readonly keyword: string;
  readonly tag: Tag;
  readonly value: string;
}

export interface CohortRow {
  /** The file line the record starts on. */
  readonly line: number;
  /** 1-based position among the data rows. */
  readonly row: number;
  /** The key cells as written, one per key column, for the report. */
  readonly cells: readonly string[];
  readonly keys: readonly RowKey[];
}

export interface RowProblem {
  readonly line: number;
  readonly row: number;
  readonly cells: readonly string[];
  readonly message: string;
}

export interface CohortValueOptions {
  /** strptime format of date cells (the original's DateFormat). */
  readonly dateFormat: string;
  /** The original's LongAccession: drop characters 8 and 9 of accession numbers over 16. */
  readonly longAccession: boolean;
}

/** Maximum value lengths (PS3.5 Table 6.2-1), for the VRs a query key may have. */
const MAX_LENGTH: Readonly<Record<string, number>> = {
  AE: 16,
  AS: 4,
  CS: 16,
  DA: 18,
  DS: 16,
  DT: 54,
  IS: 12,
  LO: 64,
  PN: 64 * 3 + 2,
  SH: 16,
  TM: 28 + 1,
  UI: 64,
  LT: 10240,
  ST: 1024,
};
/** VRs whose values are the default repertoire only. */
const ASCII_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'TM', 'UI']);

/**
 * The original's LongAccession (issue #29): an accession number longer than 16 characters (the
 * SH limit) that carries a 4-digit year loses characters 8 and 9 (0-based 7 and 8: YYYY -> YY).
 */
export function shortenAccession(value: string): string {
  return value.length > 16 ? value.slice(0, 7) + value.slice(9) : value;
}

/**
 * One key value checked and normalised for `keyword`/`vr`; a string is the problem. Shared by
 * the CSV rows and the --filter options.
 */
export function normaliseKeyValue(
  keyword: string,
  vr: string,
  raw: string,
  options: CohortValueOptions,
): { value: string } | { problem: string } {
  let value = raw.trim();
  if (value === '') return { problem: `${keyword} is empty` };
  if (keyword === STUDY_MONTH) return parseStudyMonth(value);
  if (vr === 'DA') return parseDateCell(value, options.dateFormat);
  if (keyword === 'AccessionNumber' && options.longAccession) value = shortenAccession(value);
  if (/^[*?]+$/.test(value)) {
    return { problem: `${keyword} '${value}' would match every ${keyword}` };
  }
  if (value.includes('\\')) return { problem: `${keyword} '${value}' holds a backslash` };
  if (ASCII_VRS.has(vr) && /[^\x20-\x7e]/.test(value)) {
    return { problem: `${keyword} '${value}' may only use ASCII characters (${vr})` };
  }
  if (vr === 'CS') value = value.toUpperCase();
  if (vr === 'UI' && !isUid(value)) {
    return { problem: `${keyword} '${value}' is not a UID (digits and dots, at most 64)` };
  }
  const max = MAX_LENGTH[vr];
  if (max !== undefined && value.length > max) {
    const hint =
      keyword === 'AccessionNumber' && !options.longAccession
        ? ' (retrieve.csv.longAccession shortens 4-digit years)'
        : '';
    return {
      problem: `${keyword} '${value}' is longer than ${max} characters (${vr})${hint}`,
    };
  }
  return { value };
}

/** Reads the data records (the header excluded) into rows and problems, in file order. */
export function readCohortRows(
  records: readonly CsvRecord[],
  columns: readonly KeyColumn[],
  options: CohortValueOptions,
): { rows: CohortRow[]; problems: RowProblem[] } {
  const rows: CohortRow[] = [];
  const problems: RowProblem[] = [];
  records.forEach((record, i) => {
    const row = i + 1;
    const cells = columns.map((column) => record.cells[column.index] ?? '');
    const keys: RowKey[] = [];
    const messages: string[] = [];
    for (const [c, column] of columns.entries()) {
      const result = normaliseKeyValue(column.keyword, column.vr, cells[c]!, options);
      if ('problem' in result) messages.push(result.problem);
      else {
        const keyword = column.keyword === STUDY_MONTH ? 'StudyDate' : column.keyword;
        keys.push({ keyword, tag: column.tag, value: result.value });
      }
    }
    if (messages.length > 0) {
      problems.push({ line: record.line, row, cells, message: messages.join('; ') });
    } else {
      rows.push({ line: record.line, row, cells, keys });
    }
  });
  return { rows, problems };
}
