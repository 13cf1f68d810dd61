/**
 * Everything a run needs that can go wrong before any network traffic: the CSV read, its key
 * columns resolved, every row checked, the filters parsed, the plan made. Problems are thrown as
 * RetrieveErrors naming the file, line, column or option; bad rows are kept as skipped rows, or
 * stop the run when `onRowError` is `stop`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { attributeOf, resolveColumns, type KeyColumn } from './cohort/columns.js';
import { parseCsv } from './cohort/csv.js';
import { normaliseKeyValue, readCohortRows, type RowKey } from './cohort/rows.js';
import { RetrieveError } from './errors.js';
import { planRetrieval, type LevelChoice, type RetrievalPlan } from './plan/plan.js';

export interface CohortSettings {
  readonly columnMap: Readonly<Record<string, string>>;
  readonly unmappedColumns: 'keywords' | 'ignore';
  readonly dateFormat: string;
  readonly longAccession: boolean;
  readonly level: LevelChoice;
  readonly filters: readonly string[];
  readonly onRowError: 'skip' | 'stop';
}

export interface PreparedCohort {
  readonly csvPath: string;
  readonly csvSha256: string;
  readonly columns: readonly KeyColumn[];
  /** Columns that are not keys, with hints (for the log). */
  readonly notes: readonly string[];
  readonly plan: RetrievalPlan;
}

/** `Keyword=Value` filters, checked like CSV cells. */
export function parseFilters(
  filters: readonly string[],
  settings: Pick<CohortSettings, 'dateFormat' | 'longAccession'>,
): RowKey[] {
  return filters.map((text) => {
    const equals = text.indexOf('=');
    const name = equals < 0 ? text : text.slice(0, equals);
    const attribute = attributeOf(name);
    if (equals < 0 || attribute === undefined) {
      throw new RetrieveError(
        'BAD_OPTION',
        `filter '${text}': expected Keyword=Value with a DICOM keyword (Modality=CT)`,
      );
    }
    const result = normaliseKeyValue(
      attribute.keyword,
      attribute.vr,
      text.slice(equals + 1),
      settings,
    );
    if ('problem' in result)
      throw new RetrieveError('BAD_OPTION', `filter '${text}': ${result.problem}`);
    const keyword = attribute.keyword === 'StudyMonth' ? 'StudyDate' : attribute.keyword;
    return { keyword, tag: attribute.tag, value: result.value };
  });
}

/** Reads and plans a cohort CSV. */
export async function prepareCohort(
  csvPath: string,
  settings: CohortSettings,
): Promise<PreparedCohort> {
  let bytes: Buffer;
  try {
    bytes = await readFile(csvPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new RetrieveError('CSV_UNREADABLE', `${csvPath}: cannot read the cohort CSV (${code})`, {
      cause: error,
    });
  }
  // A UTF-8 byte order mark goes before decoding: read as Latin-1 (below) it would become three
  // letters in front of the first column's name, and that column would no longer be a key.
  const body = hasUtf8Bom(bytes) ? bytes.subarray(3) : bytes;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    // Spreadsheets on Windows still export Latin-1: read it as such rather than refuse.
    text = body.toString('latin1');
  }
  const records = parseCsv(text, csvPath);
  const [header, ...data] = records;
  if (header === undefined) {
    throw new RetrieveError(
      'CSV_COLUMNS',
      `${csvPath}: the file is empty (a header row is needed)`,
    );
  }
  const { columns, notes } = resolveColumns(header.cells, settings, csvPath);
  const filters = parseFilters(settings.filters, settings);
  for (const filter of filters) {
    const clash = columns.find((c) => c.tag === filter.tag);
    if (clash !== undefined) {
      throw new RetrieveError(
        'BAD_OPTION',
        `filter ${filter.keyword}: the CSV already has a ${clash.keyword} column (${JSON.stringify(clash.header)})`,
      );
    }
  }
  const { rows, problems } = readCohortRows(data, columns, settings);
  const plan = planRetrieval(rows, problems, { filters, level: settings.level });
  const invalid = plan.rows.filter((r) => r.kind === 'invalid');
  if (settings.onRowError === 'stop' && invalid.length > 0) {
    const lines = invalid.map((r) => `  line ${r.line}: ${r.kind === 'invalid' ? r.problem : ''}`);
    throw new RetrieveError(
      'CSV_ROWS',
      `${csvPath}: ${invalid.length} malformed row${invalid.length === 1 ? '' : 's'} (nothing was sent):\n${lines.join('\n')}`,
    );
  }
  if (plan.rows.length === 0) {
    throw new RetrieveError('CSV_COLUMNS', `${csvPath}: no data rows after the header`);
  }
  return {
    csvPath,
    csvSha256: createHash('sha256').update(bytes).digest('hex'),
    columns,
    notes,
    plan,
  };
}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}
