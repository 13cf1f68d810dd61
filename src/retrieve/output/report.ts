/**
 * The files a run leaves in its output folder, rewritten from the database at the end of every
 * execution (so they are whole after a resume): report.csv, one line per CSV data row, and for
 * the find-only kinds cfind-output.csv with the original's columns and a correct header (the
 * original's CFIND-DETAILED header lacked a comma: 11 names for 12 columns). Each file is written
 * under a temporary name and renamed, so a reader never sees half of one.
 */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RowRecord } from '../../store/queries/retrieve.js';
import { csvLine, quotedCsvField } from '../cohort/csv.js';
import { FIND_DETAILED_COLUMNS, FIND_ONLY_COLUMNS, type RunKind } from '../run/executor.js';

export const REPORT_FILE = 'report.csv';
export const CFIND_OUTPUT_FILE = 'cfind-output.csv';

/** report.csv's text: row, line, the key columns as headed in the CSV, counts, status, error. */
export function reportCsv(headers: readonly string[], rows: readonly RowRecord[]): string {
  const out = [
    csvLine([
      'row',
      'line',
      ...headers,
      'studies_matched',
      'instances_expected',
      'instances_received',
      'status',
      'error',
    ]),
  ];
  for (const row of rows) {
    out.push(
      csvLine([
        String(row.row),
        String(row.line),
        ...headers.map((_, i) => row.cells[i] ?? ''),
        count(row.studiesMatched),
        count(row.instancesExpected),
        count(row.instancesReceived),
        row.state,
        row.error ?? '',
      ]),
    );
  }
  return out.join('');
}

/**
 * cfind-output.csv's text: the header unquoted and every value in double quotes, as the original
 * wrote them; one line per study, in the order the rows found them.
 */
export function cfindOutputCsv(kind: RunKind, rows: readonly RowRecord[]): string {
  const columns = kind === 'find-detailed' ? FIND_DETAILED_COLUMNS : FIND_ONLY_COLUMNS;
  const out = [`${columns.join(',')}\r\n`];
  const seen = new Set<string>();
  for (const row of rows) {
    const matches = Array.isArray(row.matches) ? (row.matches as Record<string, string>[]) : [];
    for (const match of matches) {
      const study = match['StudyInstanceUID'] ?? '';
      if (seen.has(study)) continue;
      seen.add(study);
      out.push(
        csvLine(
          columns.map((c) => match[c] ?? ''),
          quotedCsvField,
        ),
      );
    }
  }
  return out.join('');
}

function count(value: number | null): string {
  return value === null ? '' : String(value);
}

/** Writes `text` to `directory/name` through a temporary file and a rename. */
export async function writeAtomically(
  directory: string,
  name: string,
  text: string,
): Promise<string> {
  const target = path.join(directory, name);
  const temporary = path.join(directory, `.${name}.${process.pid}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, target);
  return target;
}
