/**
 * Which CSV columns hold query keys: a header that is a DICOM keyword (`PatientID`) or tag
 * (`00100020`, `(0010,0020)`), a column the configuration maps to a keyword by its header
 * (`EMPI: PatientID`) or position (`#0`, the original's FirstIndex...), and the original's
 * `StudyMonth` pseudo-column. Other columns are carried along (notes, names) and ignored.
 * Pure; every problem is found and reported at once, before any network traffic.
 */
import { lookupTag, tagForKeyword } from '../../dicom/dictionary/index.js';
import { parseTag, type Tag } from '../../dicom/tag.js';
import { closestMatch } from '../../util/did-you-mean.js';
import { RetrieveError } from '../errors.js';

/** The original's pseudo-keyword for a YYYYMM column, queried as a StudyDate range. */
export const STUDY_MONTH = 'StudyMonth';

export interface KeyColumn {
  /** 0-based position in the record. */
  readonly index: number;
  /** The header cell as written. */
  readonly header: string;
  /** The data dictionary keyword (or STUDY_MONTH). */
  readonly keyword: string;
  /** The tag; StudyDate's for STUDY_MONTH. */
  readonly tag: Tag;
  readonly vr: string;
}

export interface ColumnOptions {
  /** Column (header or `#N`) -> keyword or 8-hex-digit tag. */
  readonly columnMap: Readonly<Record<string, string>>;
  /** Whether unmapped columns whose header is a keyword are keys too. */
  readonly unmappedColumns: 'keywords' | 'ignore';
}

export interface ColumnResolution {
  readonly columns: readonly KeyColumn[];
  /** Headers of the columns that are not keys, with a hint when one looks like a keyword. */
  readonly notes: readonly string[];
}

interface Attribute {
  keyword: string;
  tag: Tag;
  vr: string;
}

const STUDY_DATE = tagForKeyword('StudyDate')!;

/** A keyword or tag as the dictionary knows it; undefined otherwise. */
export function attributeOf(name: string): Attribute | undefined {
  const text = name.trim();
  if (text === STUDY_MONTH) return { keyword: STUDY_MONTH, tag: STUDY_DATE, vr: 'DA' };
  const tag = tagForKeyword(text) ?? parseTag(text);
  if (tag === undefined) return undefined;
  const entry = lookupTag(tag);
  if (entry === undefined || entry.keyword === '') return undefined;
  return { keyword: entry.keyword, tag, vr: entry.vr };
}

let keywordList: string[] | undefined;

function suggestion(header: string): string {
  keywordList ??= [STUDY_MONTH, ...COMMON_KEYS];
  const match = closestMatch(header.replace(/\s+/g, ''), keywordList);
  return match === undefined ? '' : ` (did you mean ${match}?)`;
}

/** Keys people put in cohort CSVs: the suggestions for a near-miss header. */
const COMMON_KEYS = [
  'PatientID',
  'AccessionNumber',
  'StudyInstanceUID',
  'SeriesInstanceUID',
  'StudyDate',
  'Modality',
  'ModalitiesInStudy',
  'StudyDescription',
  'SeriesDescription',
  'PatientName',
  'PatientBirthDate',
  'IssuerOfPatientID',
  'StudyID',
  'BodyPartExamined',
];

/** Resolves the key columns of a header; throws CSV_COLUMNS listing every problem. */
export function resolveColumns(
  header: readonly string[],
  options: ColumnOptions,
  file: string,
): ColumnResolution {
  const problems: string[] = [];
  const notes: string[] = [];
  const byIndex = new Map<number, Attribute>();
  const trimmed = header.map((h) => h.trim());

  for (const [name, target] of Object.entries(options.columnMap)) {
    const attribute = attributeOf(target);
    if (attribute === undefined) {
      problems.push(
        `column map: ${JSON.stringify(name)} -> ${JSON.stringify(target)}: not a DICOM keyword or tag`,
      );
      continue;
    }
    const position = /^#(\d+)$/.exec(name);
    let index: number;
    if (position !== null) {
      index = Number(position[1]);
      if (index >= header.length) {
        problems.push(
          `column map: ${name} (${attribute.keyword}): the header has only ${header.length} columns`,
        );
        continue;
      }
    } else {
      const found = trimmed.flatMap((h, i) => (h === name.trim() ? [i] : []));
      if (found.length !== 1) {
        problems.push(
          found.length === 0
            ? `column map: no column is headed ${JSON.stringify(name)} (the header is ${trimmed.map((h) => JSON.stringify(h)).join(', ')})`
            : `column map: ${found.length} columns are headed ${JSON.stringify(name)}`,
        );
        continue;
      }
      index = found[0]!;
    }
    if (byIndex.has(index)) {
      problems.push(`column map: column ${index + 1} is mapped twice`);
      continue;
    }
    byIndex.set(index, attribute);
  }

  trimmed.forEach((name, index) => {
    if (byIndex.has(index)) return;
    const attribute = options.unmappedColumns === 'keywords' ? attributeOf(name) : undefined;
    if (attribute !== undefined) byIndex.set(index, attribute);
    else notes.push(`column ${JSON.stringify(name)} is not a query key${suggestion(name)}`);
  });

  const columns = [...byIndex.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, a]) => ({ index, header: trimmed[index] ?? '', ...a }));
  const seen = new Map<number, KeyColumn>();
  for (const column of columns) {
    const other = seen.get(column.tag);
    if (other !== undefined) {
      problems.push(
        `columns ${JSON.stringify(other.header)} and ${JSON.stringify(column.header)} are both ${other.keyword === column.keyword ? column.keyword : `${other.keyword} and ${column.keyword} (the same attribute)`}`,
      );
    }
    seen.set(column.tag, column);
  }
  if (columns.length === 0 && problems.length === 0) {
    problems.push(
      'no column is a query key: head them with DICOM keywords (PatientID, AccessionNumber, ' +
        'StudyInstanceUID, StudyDate, StudyMonth...) or map them in retrieve.csv.columnMap ' +
        `(or --column NAME=Keyword); ${notes.join('; ')}`,
    );
  }
  if (problems.length > 0) {
    throw new RetrieveError(
      'CSV_COLUMNS',
      `${file}: ${problems.length === 1 ? problems[0]! : `\n  ${problems.join('\n  ')}`}`,
    );
  }
  return { columns, notes };
}
