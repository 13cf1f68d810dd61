/**
 * C-FIND from the index: patient, study, series and instance level queries, for the Patient
 * Root and Study Root models (PS3.4 C.6). Filters are keyed by DICOM keyword and may include the
 * keys of the levels above (a study query may match PatientName; relational keys beyond that
 * are not supported). Results carry the level's attributes and those above it, also keyed by
 * keyword; choosing which of them to return is the caller's job.
 *
 * Only what is still on disk is answered: purged instances, and series and studies with nothing
 * left, are left out. Every filter key has an index or rides on a join from one
 * (see ../README.md); the counts come from grouped queries over the page of results.
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import { dialectOf, type Executor } from '../database.js';
import { StoreError } from '../errors.js';
import { fromJson } from './json.js';
import {
  keyCondition,
  type DateTimeMatch,
  type KeyKind,
  type NumberMatch,
  type TextMatch,
} from './matching.js';

export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

export interface PatientFilters {
  readonly PatientID?: TextMatch | undefined;
  readonly IssuerOfPatientID?: TextMatch | undefined;
  readonly PatientName?: TextMatch | undefined;
  readonly PatientBirthDate?: DateTimeMatch | undefined;
  readonly PatientSex?: TextMatch | undefined;
}

export interface StudyFilters extends PatientFilters {
  readonly StudyInstanceUID?: TextMatch | undefined;
  readonly StudyDate?: DateTimeMatch | undefined;
  readonly StudyTime?: DateTimeMatch | undefined;
  readonly AccessionNumber?: TextMatch | undefined;
  readonly StudyID?: TextMatch | undefined;
  readonly StudyDescription?: TextMatch | undefined;
  readonly ReferringPhysicianName?: TextMatch | undefined;
  /** Studies with at least one series whose Modality matches (a value, a list, `CT\MR`). */
  readonly ModalitiesInStudy?: TextMatch | undefined;
}

export interface SeriesFilters extends StudyFilters {
  readonly SeriesInstanceUID?: TextMatch | undefined;
  readonly Modality?: TextMatch | undefined;
  readonly SeriesNumber?: NumberMatch | undefined;
  readonly SeriesDescription?: TextMatch | undefined;
  readonly BodyPartExamined?: TextMatch | undefined;
  readonly SeriesDate?: DateTimeMatch | undefined;
  readonly SeriesTime?: DateTimeMatch | undefined;
  readonly StationName?: TextMatch | undefined;
  readonly Manufacturer?: TextMatch | undefined;
  readonly ManufacturerModelName?: TextMatch | undefined;
  readonly DeviceSerialNumber?: TextMatch | undefined;
  readonly InstitutionName?: TextMatch | undefined;
}

export interface InstanceFilters extends SeriesFilters {
  readonly SOPInstanceUID?: TextMatch | undefined;
  readonly SOPClassUID?: TextMatch | undefined;
  readonly InstanceNumber?: NumberMatch | undefined;
}

type Level = 'patient' | 'study' | 'series' | 'instance';
const LEVEL_RANK: Record<Level, number> = { patient: 0, study: 1, series: 2, instance: 3 };

/** Keyword -> column (p: patients, s: studies, se: series, i: instances), kind, level. */
const KEYS: Readonly<Record<string, readonly [string, KeyKind, Level]>> = {
  PatientID: ['p.patient_id', 'text', 'patient'],
  IssuerOfPatientID: ['p.issuer_of_patient_id', 'text', 'patient'],
  PatientName: ['p.patient_name', 'text', 'patient'],
  PatientBirthDate: ['p.patient_birth_date', 'date', 'patient'],
  PatientSex: ['p.patient_sex', 'text', 'patient'],
  StudyInstanceUID: ['s.study_instance_uid', 'uid', 'study'],
  StudyDate: ['s.study_date', 'date', 'study'],
  StudyTime: ['s.study_time', 'time', 'study'],
  AccessionNumber: ['s.accession_number', 'text', 'study'],
  StudyID: ['s.study_id', 'text', 'study'],
  StudyDescription: ['s.study_description', 'text', 'study'],
  ReferringPhysicianName: ['s.referring_physician_name', 'text', 'study'],
  SeriesInstanceUID: ['se.series_instance_uid', 'uid', 'series'],
  Modality: ['se.modality', 'text', 'series'],
  SeriesNumber: ['se.series_number', 'int', 'series'],
  SeriesDescription: ['se.series_description', 'text', 'series'],
  BodyPartExamined: ['se.body_part_examined', 'text', 'series'],
  SeriesDate: ['se.series_date', 'date', 'series'],
  SeriesTime: ['se.series_time', 'time', 'series'],
  StationName: ['se.station_name', 'text', 'series'],
  Manufacturer: ['se.manufacturer', 'text', 'series'],
  ManufacturerModelName: ['se.manufacturer_model_name', 'text', 'series'],
  DeviceSerialNumber: ['se.device_serial_number', 'text', 'series'],
  InstitutionName: ['se.institution_name', 'text', 'series'],
  SOPInstanceUID: ['i.sop_instance_uid', 'uid', 'instance'],
  SOPClassUID: ['i.sop_class_uid', 'uid', 'instance'],
  InstanceNumber: ['i.instance_number', 'int', 'instance'],
};

export interface FindOptions {
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

function conditions(
  ex: Executor,
  filters: object,
  level: Level,
): { where: Expression<SqlBool>[]; modalities?: TextMatch } {
  const dialect = dialectOf(ex);
  const where: Expression<SqlBool>[] = [];
  let modalities: TextMatch | undefined;
  for (const [keyword, match] of Object.entries(filters) as [string, unknown][]) {
    if (match === undefined) continue;
    if (keyword === 'ModalitiesInStudy' && LEVEL_RANK[level] >= LEVEL_RANK.study) {
      modalities = match as TextMatch;
      continue;
    }
    const key = KEYS[keyword];
    if (key === undefined || LEVEL_RANK[key[2]] > LEVEL_RANK[level]) {
      throw new StoreError('BAD_QUERY', `${keyword} is not a matching key at ${level} level`);
    }
    const condition = keyCondition(
      key[0],
      key[1],
      match as TextMatch | DateTimeMatch | NumberMatch,
      dialect,
    );
    if (condition !== undefined) where.push(condition);
  }
  return { where, ...(modalities !== undefined && { modalities }) };
}

function modalityCondition(ex: Executor, match: TextMatch): Expression<SqlBool> | undefined {
  const list = typeof match === 'string' && match.includes('\\') ? match.split('\\') : match;
  const condition = keyCondition('x.modality', 'text', list, dialectOf(ex));
  if (condition === undefined) return undefined;
  return sql<SqlBool>`exists (select 1 from series x where x.study_ref = s.id and x.purged_at is null and ${condition})`;
}

function page<T extends { limit(n: number): T; offset(n: number): T }>(q: T, o: FindOptions): T {
  let out = q;
  if (o.limit !== undefined) out = out.limit(o.limit);
  if (o.offset !== undefined) {
    if (o.limit === undefined) out = out.limit(Number.MAX_SAFE_INTEGER);
    out = out.offset(o.offset);
  }
  return out;
}

const chunkSize = 500;
function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += chunkSize) out.push(items.slice(i, i + chunkSize));
  return out;
}

async function countBy(
  query: (ids: number[]) => Promise<{ ref: number; n: number }[]>,
  ids: readonly number[],
): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const chunk of chunks(ids)) {
    for (const row of await query(chunk)) counts.set(Number(row.ref), Number(row.n));
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------

export interface PatientResult {
  readonly PatientID: string;
  readonly IssuerOfPatientID: string;
  readonly PatientName: string | null;
  readonly PatientBirthDate: string | null;
  readonly PatientSex: string | null;
  readonly NumberOfPatientRelatedStudies: number;
  readonly NumberOfPatientRelatedSeries: number;
  readonly NumberOfPatientRelatedInstances: number;
}

export async function findPatients(
  ex: Executor,
  filters: PatientFilters,
  options: FindOptions = {},
): Promise<PatientResult[]> {
  const { where } = conditions(ex, filters, 'patient');
  let q = ex
    .selectFrom('patients as p')
    .select([
      'p.id',
      'p.patient_id',
      'p.issuer_of_patient_id',
      'p.patient_name',
      'p.patient_birth_date',
      'p.patient_sex',
    ])
    .where(
      sql<SqlBool>`exists (select 1 from studies s join series se on se.study_ref = s.id where s.patient_ref = p.id and se.purged_at is null)`,
    )
    .orderBy('p.patient_id')
    .orderBy('p.issuer_of_patient_id');
  for (const w of where) q = q.where(w);
  const rows = await page(q, options).execute();
  const ids = rows.map((r) => r.id);
  const studies = await countBy(
    (chunk) =>
      ex
        .selectFrom('studies as s')
        .select((eb) => ['s.patient_ref as ref', eb.fn.countAll<number>().as('n')])
        .where('s.patient_ref', 'in', chunk)
        .where(
          sql<SqlBool>`exists (select 1 from series se where se.study_ref = s.id and se.purged_at is null)`,
        )
        .groupBy('s.patient_ref')
        .execute(),
    ids,
  );
  const series = await countBy(
    (chunk) =>
      ex
        .selectFrom('series as se')
        .innerJoin('studies as s', 's.id', 'se.study_ref')
        .select((eb) => ['s.patient_ref as ref', eb.fn.countAll<number>().as('n')])
        .where('s.patient_ref', 'in', chunk)
        .where('se.purged_at', 'is', null)
        .groupBy('s.patient_ref')
        .execute(),
    ids,
  );
  const instances = await countBy(
    (chunk) =>
      ex
        .selectFrom('instances as i')
        .innerJoin('series as se', 'se.id', 'i.series_ref')
        .innerJoin('studies as s', 's.id', 'se.study_ref')
        .select((eb) => ['s.patient_ref as ref', eb.fn.countAll<number>().as('n')])
        .where('s.patient_ref', 'in', chunk)
        .where('i.purged_at', 'is', null)
        .groupBy('s.patient_ref')
        .execute(),
    ids,
  );
  return rows.map((r) => ({
    PatientID: r.patient_id,
    IssuerOfPatientID: r.issuer_of_patient_id,
    PatientName: r.patient_name,
    PatientBirthDate: r.patient_birth_date,
    PatientSex: r.patient_sex,
    NumberOfPatientRelatedStudies: studies.get(r.id) ?? 0,
    NumberOfPatientRelatedSeries: series.get(r.id) ?? 0,
    NumberOfPatientRelatedInstances: instances.get(r.id) ?? 0,
  }));
}

// ---------------------------------------------------------------------------------------------

export interface StudyResult extends Omit<
  PatientResult,
  | 'NumberOfPatientRelatedStudies'
  | 'NumberOfPatientRelatedSeries'
  | 'NumberOfPatientRelatedInstances'
> {
  readonly StudyInstanceUID: string;
  readonly StudyDate: string | null;
  readonly StudyTime: string | null;
  readonly AccessionNumber: string | null;
  readonly StudyID: string | null;
  readonly StudyDescription: string | null;
  readonly ReferringPhysicianName: string | null;
  /** Distinct modalities of the study's series, sorted. */
  readonly ModalitiesInStudy: string[];
  readonly NumberOfStudyRelatedSeries: number;
  readonly NumberOfStudyRelatedInstances: number;
}

export async function findStudies(
  ex: Executor,
  filters: StudyFilters,
  options: FindOptions = {},
): Promise<StudyResult[]> {
  const { where, modalities } = conditions(ex, filters, 'study');
  let q = ex
    .selectFrom('studies as s')
    .innerJoin('patients as p', 'p.id', 's.patient_ref')
    .select([
      's.id',
      'p.patient_id',
      'p.issuer_of_patient_id',
      'p.patient_name',
      'p.patient_birth_date',
      'p.patient_sex',
      's.study_instance_uid',
      's.study_date',
      's.study_time',
      's.accession_number',
      's.study_id',
      's.study_description',
      's.referring_physician_name',
    ])
    .where(
      sql<SqlBool>`exists (select 1 from series se where se.study_ref = s.id and se.purged_at is null)`,
    )
    .orderBy('s.study_date')
    .orderBy('s.study_time')
    .orderBy('s.study_instance_uid');
  for (const w of where) q = q.where(w);
  if (modalities !== undefined) {
    const condition = modalityCondition(ex, modalities);
    if (condition !== undefined) q = q.where(condition);
  }
  const rows = await page(q, options).execute();
  const ids = rows.map((r) => r.id);

  const seriesRows: { study_ref: number; modality: string | null }[] = [];
  for (const chunk of chunks(ids)) {
    seriesRows.push(
      ...(await ex
        .selectFrom('series')
        .select(['study_ref', 'modality'])
        .where('study_ref', 'in', chunk)
        .where('purged_at', 'is', null)
        .execute()),
    );
  }
  const seriesCount = new Map<number, number>();
  const modalitySets = new Map<number, Set<string>>();
  for (const row of seriesRows) {
    const ref = Number(row.study_ref);
    seriesCount.set(ref, (seriesCount.get(ref) ?? 0) + 1);
    if (row.modality != null && row.modality !== '') {
      const set = modalitySets.get(ref) ?? new Set<string>();
      set.add(row.modality);
      modalitySets.set(ref, set);
    }
  }
  const instances = await countBy(
    (chunk) =>
      ex
        .selectFrom('instances as i')
        .innerJoin('series as se', 'se.id', 'i.series_ref')
        .select((eb) => ['se.study_ref as ref', eb.fn.countAll<number>().as('n')])
        .where('se.study_ref', 'in', chunk)
        .where('i.purged_at', 'is', null)
        .groupBy('se.study_ref')
        .execute(),
    ids,
  );
  return rows.map((r) => ({
    PatientID: r.patient_id,
    IssuerOfPatientID: r.issuer_of_patient_id,
    PatientName: r.patient_name,
    PatientBirthDate: r.patient_birth_date,
    PatientSex: r.patient_sex,
    StudyInstanceUID: r.study_instance_uid,
    StudyDate: r.study_date,
    StudyTime: r.study_time,
    AccessionNumber: r.accession_number,
    StudyID: r.study_id,
    StudyDescription: r.study_description,
    ReferringPhysicianName: r.referring_physician_name,
    ModalitiesInStudy: [...(modalitySets.get(r.id) ?? [])].sort(),
    NumberOfStudyRelatedSeries: seriesCount.get(r.id) ?? 0,
    NumberOfStudyRelatedInstances: instances.get(r.id) ?? 0,
  }));
}

// ---------------------------------------------------------------------------------------------

export interface SeriesResult {
  readonly PatientID: string;
  readonly StudyInstanceUID: string;
  readonly SeriesInstanceUID: string;
  readonly Modality: string | null;
  readonly SeriesNumber: number | null;
  readonly SeriesDescription: string | null;
  readonly BodyPartExamined: string | null;
  readonly SeriesDate: string | null;
  readonly SeriesTime: string | null;
  readonly StationName: string | null;
  readonly Manufacturer: string | null;
  readonly ManufacturerModelName: string | null;
  readonly DeviceSerialNumber: string | null;
  readonly InstitutionName: string | null;
  readonly NumberOfSeriesRelatedInstances: number;
}

export async function findSeries(
  ex: Executor,
  filters: SeriesFilters,
  options: FindOptions = {},
): Promise<SeriesResult[]> {
  const { where, modalities } = conditions(ex, filters, 'series');
  let q = ex
    .selectFrom('series as se')
    .innerJoin('studies as s', 's.id', 'se.study_ref')
    .innerJoin('patients as p', 'p.id', 's.patient_ref')
    .select([
      'se.id',
      'p.patient_id',
      's.study_instance_uid',
      'se.series_instance_uid',
      'se.modality',
      'se.series_number',
      'se.series_description',
      'se.body_part_examined',
      'se.series_date',
      'se.series_time',
      'se.station_name',
      'se.manufacturer',
      'se.manufacturer_model_name',
      'se.device_serial_number',
      'se.institution_name',
    ])
    .where('se.purged_at', 'is', null)
    .orderBy('s.study_instance_uid')
    .orderBy('se.series_number')
    .orderBy('se.series_instance_uid');
  for (const w of where) q = q.where(w);
  if (modalities !== undefined) {
    const condition = modalityCondition(ex, modalities);
    if (condition !== undefined) q = q.where(condition);
  }
  const rows = await page(q, options).execute();
  const instances = await countBy(
    (chunk) =>
      ex
        .selectFrom('instances as i')
        .select((eb) => ['i.series_ref as ref', eb.fn.countAll<number>().as('n')])
        .where('i.series_ref', 'in', chunk)
        .where('i.purged_at', 'is', null)
        .groupBy('i.series_ref')
        .execute(),
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    PatientID: r.patient_id,
    StudyInstanceUID: r.study_instance_uid,
    SeriesInstanceUID: r.series_instance_uid,
    Modality: r.modality,
    SeriesNumber: r.series_number,
    SeriesDescription: r.series_description,
    BodyPartExamined: r.body_part_examined,
    SeriesDate: r.series_date,
    SeriesTime: r.series_time,
    StationName: r.station_name,
    Manufacturer: r.manufacturer,
    ManufacturerModelName: r.manufacturer_model_name,
    DeviceSerialNumber: r.device_serial_number,
    InstitutionName: r.institution_name,
    NumberOfSeriesRelatedInstances: instances.get(r.id) ?? 0,
  }));
}

// ---------------------------------------------------------------------------------------------

export interface InstanceResult {
  readonly PatientID: string;
  readonly StudyInstanceUID: string;
  readonly SeriesInstanceUID: string;
  readonly SOPInstanceUID: string;
  readonly SOPClassUID: string;
  readonly InstanceNumber: number | null;
  /** Not a C-FIND key: how the file is encoded (a C-GET/C-MOVE needs it). */
  readonly TransferSyntaxUID: string;
  /** 0 unless the keep-both duplicate policy kept several copies. */
  readonly copyNumber: number;
  /** The DICOM JSON header, when asked for (any other key the caller must answer). */
  readonly header?: unknown;
}

export interface FindInstancesOptions extends FindOptions {
  readonly includeHeader?: boolean | undefined;
}

export async function findInstances(
  ex: Executor,
  filters: InstanceFilters,
  options: FindInstancesOptions = {},
): Promise<InstanceResult[]> {
  const { where, modalities } = conditions(ex, filters, 'instance');
  let q = ex
    .selectFrom('instances as i')
    .innerJoin('series as se', 'se.id', 'i.series_ref')
    .innerJoin('studies as s', 's.id', 'se.study_ref')
    .innerJoin('patients as p', 'p.id', 's.patient_ref')
    .select([
      'p.patient_id',
      's.study_instance_uid',
      'se.series_instance_uid',
      'i.sop_instance_uid',
      'i.sop_class_uid',
      'i.instance_number',
      'i.transfer_syntax_uid',
      'i.copy_number',
    ])
    .$if(options.includeHeader === true, (qb) => qb.select('i.header_json'))
    .where('i.purged_at', 'is', null)
    .orderBy('se.series_instance_uid')
    .orderBy('i.instance_number')
    .orderBy('i.sop_instance_uid')
    .orderBy('i.copy_number');
  for (const w of where) q = q.where(w);
  if (modalities !== undefined) {
    const condition = modalityCondition(ex, modalities);
    if (condition !== undefined) q = q.where(condition);
  }
  const rows = await page(q, options).execute();
  return rows.map((r) => ({
    PatientID: r.patient_id,
    StudyInstanceUID: r.study_instance_uid,
    SeriesInstanceUID: r.series_instance_uid,
    SOPInstanceUID: r.sop_instance_uid,
    SOPClassUID: r.sop_class_uid,
    InstanceNumber: r.instance_number,
    TransferSyntaxUID: r.transfer_syntax_uid,
    copyNumber: r.copy_number,
    ...(options.includeHeader === true && { header: fromJson(r.header_json) }),
  }));
}

// ---------------------------------------------------------------------------------------------

/** One file to send for a C-MOVE or C-GET. */
export interface InstanceLocation {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly copyNumber: number;
  readonly path: string;
  readonly sizeBytes: number;
}

const LEVEL_COLUMN: Record<QueryLevel, string> = {
  PATIENT: 'p.patient_id',
  STUDY: 's.study_instance_uid',
  SERIES: 'se.series_instance_uid',
  IMAGE: 'i.sop_instance_uid',
};

/**
 * The files a C-MOVE or C-GET at `level` retrieves: `uids` are PatientIDs at PATIENT level,
 * else the level's UIDs. Purged files are left out; keep-both copies are all returned
 * (copyNumber tells them apart). Ordered by study, series, instance number.
 */
export async function instancesFor(
  ex: Executor,
  level: QueryLevel,
  uids: readonly string[],
): Promise<InstanceLocation[]> {
  const out: InstanceLocation[] = [];
  for (const chunk of chunks(uids.filter((u) => u !== ''))) {
    const rows = await ex
      .selectFrom('instances as i')
      .innerJoin('series as se', 'se.id', 'i.series_ref')
      .innerJoin('studies as s', 's.id', 'se.study_ref')
      .$if(level === 'PATIENT', (qb) => qb.innerJoin('patients as p', 'p.id', 's.patient_ref'))
      .select([
        's.study_instance_uid',
        'se.series_instance_uid',
        'i.sop_instance_uid',
        'i.sop_class_uid',
        'i.transfer_syntax_uid',
        'i.copy_number',
        'i.path',
        'i.size_bytes',
        'i.instance_number',
      ])
      .where(sql<SqlBool>`${sql.ref(LEVEL_COLUMN[level])} in (${sql.join(chunk)})`)
      .where('i.purged_at', 'is', null)
      .execute();
    for (const r of rows) {
      out.push({
        studyInstanceUid: r.study_instance_uid,
        seriesInstanceUid: r.series_instance_uid,
        sopInstanceUid: r.sop_instance_uid,
        sopClassUid: r.sop_class_uid,
        transferSyntaxUid: r.transfer_syntax_uid,
        copyNumber: r.copy_number,
        path: r.path,
        sizeBytes: r.size_bytes,
        instanceNumber: r.instance_number,
      } as InstanceLocation & { instanceNumber: number | null });
    }
  }
  return sortLocations(out as (InstanceLocation & { instanceNumber: number | null })[]);
}

function sortLocations(
  rows: (InstanceLocation & { instanceNumber: number | null })[],
): InstanceLocation[] {
  rows.sort(
    (a, b) =>
      cmp(a.studyInstanceUid, b.studyInstanceUid) ||
      cmp(a.seriesInstanceUid, b.seriesInstanceUid) ||
      (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0) ||
      cmp(a.sopInstanceUid, b.sopInstanceUid) ||
      a.copyNumber - b.copyNumber,
  );
  return rows.map(({ instanceNumber: _n, ...rest }) => rest);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
