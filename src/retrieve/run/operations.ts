/**
 * The DIMSE requests of a retrieval, on the pool's associations: the C-FIND of a row (its
 * matches as keyword -> text), and the C-MOVE or C-GET of one study or series. Study Root
 * throughout (PS3.4 C.6.2): every PACS supports it, and a study or series is named by its UIDs.
 */
import type { Dataset } from '../../dicom/dataset.js';
import { tagForKeyword } from '../../dicom/dictionary/index.js';
import { makeTag } from '../../dicom/tag.js';
import { readStrings } from '../../dicom/values/strings.js';
import { setStrings } from '../../dicom/write/edit.js';
import type { RetrieveProgress, RetrieveResult } from '../../net/services/client.js';
import type { StoreHandler } from '../../net/services/handlers.js';
import { buildIdentifier, type QueryKey } from '../../net/services/query-identifier.js';
import type { CohortLevel } from '../cohort/levels.js';
import type { PlannedQuery } from '../plan/plan.js';
import type { ClientPool } from './pool.js';

const STUDY_INSTANCE_UID = makeTag(0x0020, 0x000d);

/** One C-FIND match: the returned keys as text (multiple values joined with `\`). */
export type Match = Readonly<Record<string, string>>;

/** What is fetched: a study, or a series of a study. */
export interface RetrieveUnit {
  /** The StudyInstanceUID, or `study/series`. */
  readonly key: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid?: string | undefined;
  /** Instances the PACS says it holds (C-FIND), when it said. */
  readonly expected?: number | undefined;
}

/** Return keys of every row query, by level (the report and the units need them). */
const STUDY_RETURN_KEYS = [
  'PatientID',
  'StudyInstanceUID',
  'AccessionNumber',
  'StudyDescription',
  'StudyDate',
  'StudyTime',
  'ModalitiesInStudy',
  'NumberOfStudyRelatedSeries',
  'NumberOfStudyRelatedInstances',
];
const SERIES_RETURN_KEYS = [
  ...STUDY_RETURN_KEYS,
  'SeriesInstanceUID',
  'Modality',
  'SeriesNumber',
  'SeriesDescription',
  'NumberOfSeriesRelatedInstances',
];
/** The original's CFIND-DETAILED columns that the keys above lack. */
export const DETAILED_RETURN_KEYS = [
  'DeviceSerialNumber',
  'ProtocolName',
  'PerformedProcedureStepDescription',
  'AcquisitionDate',
];

/** The identifier of a row's C-FIND: its keys, and the return keys of its level. */
export function findIdentifier(
  query: PlannedQuery,
  extraReturnKeys: readonly string[] = [],
): { level: CohortLevel; identifier: Dataset; returnKeys: string[] } {
  const returnKeys = [
    ...(query.level === 'SERIES' ? SERIES_RETURN_KEYS : STUDY_RETURN_KEYS),
    ...extraReturnKeys,
  ];
  const keys: QueryKey[] = query.keys.map((k) => ({ tag: k.tag, name: k.keyword, value: k.value }));
  for (const keyword of returnKeys) {
    const tag = tagForKeyword(keyword)!;
    if (!keys.some((k) => k.tag === tag)) keys.push({ tag, name: keyword, value: undefined });
  }
  return { level: query.level, identifier: buildIdentifier(keys, query.level), returnKeys };
}

/** Runs a C-FIND and collects its matches. */
export async function findMatches(
  pool: ClientPool,
  query: PlannedQuery,
  extraReturnKeys: readonly string[],
  signal?: AbortSignal,
): Promise<Match[]> {
  const { level, identifier, returnKeys } = findIdentifier(query, extraReturnKeys);
  return pool.use(async (client) => {
    const stream = client.find({ root: 'study', level }, identifier);
    const onAbort = (): void => void stream.cancel().catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const matches: Match[] = [];
      for await (const dataset of stream) matches.push(matchOf(dataset, returnKeys));
      await stream.done;
      return matches;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  });
}

function matchOf(dataset: Dataset, keywords: readonly string[]): Match {
  const match: Record<string, string> = {};
  for (const keyword of keywords) {
    const element = dataset.get(tagForKeyword(keyword)!);
    if (element?.kind !== 'value') continue;
    try {
      match[keyword] = readStrings(dataset, element).join('\\');
    } catch {
      // A value the PACS mangled is left out, as if not returned.
    }
  }
  return match;
}

/** The units (studies, or series) of a row's matches, each once, in match order. */
export function unitsOf(matches: readonly Match[], level: CohortLevel): RetrieveUnit[] {
  const units = new Map<string, RetrieveUnit>();
  for (const match of matches) {
    const study = match['StudyInstanceUID'];
    if (study === undefined || study === '') continue;
    const series = level === 'SERIES' ? match['SeriesInstanceUID'] : undefined;
    if (level === 'SERIES' && (series === undefined || series === '')) continue;
    const key = series === undefined ? study : `${study}/${series}`;
    if (units.has(key)) continue;
    const text =
      match[
        level === 'SERIES' ? 'NumberOfSeriesRelatedInstances' : 'NumberOfStudyRelatedInstances'
      ];
    const count = text === undefined || text.trim() === '' ? NaN : Number(text);
    units.set(key, {
      key,
      studyInstanceUid: study,
      seriesInstanceUid: series,
      expected: Number.isSafeInteger(count) && count >= 0 ? count : undefined,
    });
  }
  return [...units.values()];
}

/**
 * The identifier naming `units`: one study or series, or several studies as a list of UIDs (List
 * of UID Matching, which PS3.4 C.4.2.2.1 allows for the unique key of a C-MOVE or C-GET).
 */
function unitIdentifier(units: readonly RetrieveUnit[]): {
  level: CohortLevel;
  identifier: Dataset;
} {
  const first = units[0];
  if (first === undefined) throw new Error('unitIdentifier: no unit');
  if (units.length > 1 && units.some((u) => u.seriesInstanceUid !== undefined)) {
    throw new Error('unitIdentifier: only studies are requested several at a time');
  }
  const keys: QueryKey[] = [
    {
      tag: STUDY_INSTANCE_UID,
      name: 'StudyInstanceUID',
      value: first.studyInstanceUid,
    },
  ];
  if (first.seriesInstanceUid !== undefined) {
    keys.push({
      tag: tagForKeyword('SeriesInstanceUID')!,
      name: 'SeriesInstanceUID',
      value: first.seriesInstanceUid,
    });
  }
  const level = first.seriesInstanceUid === undefined ? 'STUDY' : 'SERIES';
  const identifier = buildIdentifier(keys, level);
  if (units.length > 1) {
    setStrings(
      identifier,
      STUDY_INSTANCE_UID,
      units.map((u) => u.studyInstanceUid),
    );
  }
  return { level, identifier };
}

/**
 * C-MOVE of `units` (one study or series, or several studies) to `destination`, or C-GET into
 * `sink` when no destination is given. Progress goes to `onProgress`; aborting `signal` sends
 * C-CANCEL (the result then has status Cancel).
 */
export async function retrieveUnits(
  pool: ClientPool,
  units: readonly RetrieveUnit[],
  how: { destination: string } | { sink: StoreHandler },
  onProgress: (progress: RetrieveProgress) => void,
  signal?: AbortSignal,
): Promise<RetrieveResult> {
  const { level, identifier } = unitIdentifier(units);
  return pool.use(async (client) => {
    const stream =
      'destination' in how
        ? client.move({ root: 'study', level }, identifier, how.destination)
        : client.get({ root: 'study', level }, identifier, how.sink);
    const onAbort = (): void => void stream.cancel().catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const progress of stream) onProgress(progress);
      return await stream.done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  });
}
