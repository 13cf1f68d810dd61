/**
 * The plan of a retrieval, before any network traffic: one C-FIND per valid row at the level its
 * keys need, identical queries merged (a study asked for twice is fetched once; the executor also
 * merges studies that different queries find), and the invalid rows with their problems. Pure.
 */
import { levelOfKeyword, type CohortLevel } from '../cohort/levels.js';
import type { CohortRow, RowKey, RowProblem } from '../cohort/rows.js';
import { tagForKeyword } from '../../dicom/dictionary/index.js';

export type LevelChoice = 'auto' | CohortLevel;

export interface PlannedQuery {
  readonly level: CohortLevel;
  /** The matching keys: the row's, then the filters; sorted by tag. */
  readonly keys: readonly RowKey[];
  /** Canonical text of the query: equal for equal queries. */
  readonly id: string;
}

interface RowBase {
  readonly line: number;
  readonly row: number;
  readonly cells: readonly string[];
}

export type PlannedRow =
  | (RowBase & {
      readonly kind: 'query';
      readonly query: PlannedQuery;
      /** The row number of an earlier row with the same query. */
      readonly duplicateOf?: number | undefined;
    })
  | (RowBase & { readonly kind: 'invalid'; readonly problem: string });

export interface RetrievalPlan {
  /** Every data row, in file order. */
  readonly rows: readonly PlannedRow[];
  /** Distinct queries. */
  readonly queries: number;
  readonly invalid: number;
}

const MODALITY = tagForKeyword('Modality')!;
const MODALITIES_IN_STUDY = tagForKeyword('ModalitiesInStudy')!;

/** The query of one row: its level, and its keys with the level's spelling of a modality. */
export function planQuery(
  keys: readonly RowKey[],
  filters: readonly RowKey[],
  level: LevelChoice,
): PlannedQuery | { problem: string } {
  const all = [...keys, ...filters];
  const seriesKeys = all.filter((key) => levelOfKeyword(key.keyword) === 'SERIES');
  const chosen: CohortLevel =
    level === 'auto' ? (seriesKeys.length > 0 ? 'SERIES' : 'STUDY') : level;
  let final = all;
  if (chosen === 'STUDY') {
    // A study-level "Modality" filter means "studies with a series of that modality".
    final = all.map((key) =>
      key.tag === MODALITY
        ? { keyword: 'ModalitiesInStudy', tag: MODALITIES_IN_STUDY, value: key.value }
        : key,
    );
    const left = final.filter((key) => levelOfKeyword(key.keyword) === 'SERIES');
    if (left.length > 0) {
      return {
        problem: `${left.map((k) => k.keyword).join(', ')} ${left.length === 1 ? 'is a series-level key' : 'are series-level keys'}: retrieve at the series level`,
      };
    }
  }
  const sorted = [...final].sort((a, b) => a.tag - b.tag);
  const id = `${chosen} ${sorted.map((k) => `${k.keyword}=${k.value}`).join(' ')}`;
  return { level: chosen, keys: sorted, id };
}

export function planRetrieval(
  rows: readonly CohortRow[],
  problems: readonly RowProblem[],
  options: { filters?: readonly RowKey[]; level?: LevelChoice } = {},
): RetrievalPlan {
  const planned: PlannedRow[] = [
    ...problems.map((p): PlannedRow => ({ kind: 'invalid', ...base(p), problem: p.message })),
  ];
  const firstRowOf = new Map<string, number>();
  for (const row of rows) {
    const query = planQuery(row.keys, options.filters ?? [], options.level ?? 'auto');
    if ('problem' in query) {
      planned.push({ kind: 'invalid', ...base(row), problem: query.problem });
      continue;
    }
    const first = firstRowOf.get(query.id);
    if (first === undefined) firstRowOf.set(query.id, row.row);
    planned.push({ kind: 'query', ...base(row), query, duplicateOf: first });
  }
  planned.sort((a, b) => a.row - b.row);
  return {
    rows: planned,
    queries: firstRowOf.size,
    invalid: planned.filter((r) => r.kind === 'invalid').length,
  };
}

function base(row: RowBase): RowBase {
  return { line: row.line, row: row.row, cells: row.cells };
}
