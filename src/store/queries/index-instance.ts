/**
 * Indexing one received instance: patient, study and series upserts, the instance row under the
 * duplicate policy, series completion bookkeeping and the `stored` event, all in the caller's
 * transaction (the receiver answers C-STORE only after it commits).
 *
 * Concurrency (several receivers on one PostgreSQL database):
 * - A transaction-scoped advisory lock on the SOP Instance UID serializes everything done about
 *   one UID, so the duplicate policies need no retry loop. (SQLite: BEGIN IMMEDIATE already
 *   serializes writers.)
 * - The series upsert locks the series row, so two instances of one series are recorded one
 *   after the other; series_completion is then read FOR UPDATE, so a concurrent completeSeries
 *   either commits first (and this instance opens a new version: amended) or waits for us.
 * - Rows are always locked in the order patient, study, series, completion: no deadlock.
 * Each step is an indexed point lookup or insert: no statement's cost grows with the table.
 */
import { sql } from 'kysely';
import { dialectOf, type Executor } from '../database.js';
import { StoreError } from '../errors.js';
import { enqueue } from './jobs.js';
import { stripNul, stripNulOrNull, toJson } from './json.js';
import { runRaw } from './raw.js';

export const DUPLICATE_POLICIES = ['keep-first', 'replace', 'keep-both'] as const;
/**
 * What to do when a SOP Instance UID is already indexed:
 * - keep-first: the new copy is not indexed (the caller deletes its file unless it is the same);
 * - replace: the row now describes the new copy (the caller deletes the old file if elsewhere);
 * - keep-both: both rows stay, the new one with the next copy_number.
 */
export type DuplicatePolicy = (typeof DUPLICATE_POLICIES)[number];

/**
 * restored: the UID was indexed but retention had deleted its file: whatever the policy, the new
 * copy takes the row (a sender re-sending a purged object must get it stored again).
 */
export type IndexOutcome =
  'inserted' | 'duplicate-kept-first' | 'replaced' | 'kept-both' | 'restored';

/** One instance to index: the main attributes, where its file is and how it arrived. */
export interface InstanceRecord {
  readonly patientId: string;
  readonly issuerOfPatientId?: string | null | undefined;
  readonly patientName?: string | null | undefined;
  readonly patientBirthDate?: string | null | undefined;
  readonly patientSex?: string | null | undefined;

  readonly studyInstanceUid: string;
  readonly studyDate?: string | null | undefined;
  readonly studyTime?: string | null | undefined;
  readonly accessionNumber?: string | null | undefined;
  readonly studyId?: string | null | undefined;
  readonly studyDescription?: string | null | undefined;
  readonly referringPhysicianName?: string | null | undefined;

  readonly seriesInstanceUid: string;
  readonly modality?: string | null | undefined;
  readonly seriesNumber?: number | null | undefined;
  readonly seriesDescription?: string | null | undefined;
  readonly bodyPartExamined?: string | null | undefined;
  readonly seriesDate?: string | null | undefined;
  readonly seriesTime?: string | null | undefined;
  readonly stationName?: string | null | undefined;
  readonly manufacturer?: string | null | undefined;
  readonly manufacturerModelName?: string | null | undefined;
  readonly deviceSerialNumber?: string | null | undefined;
  readonly institutionName?: string | null | undefined;
  /** Instances the series will have, when the header or the PACS says (completion by count). */
  readonly expectedInstances?: number | null | undefined;

  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly instanceNumber?: number | null | undefined;
  readonly transferSyntaxUid: string;
  readonly callingAe: string;
  /** When the store finished (ms since the epoch). */
  readonly receivedAt: number;
  readonly path: string;
  readonly sizeBytes: number;
  /** The header as a DICOM JSON model object (toDicomJson). */
  readonly header: unknown;
}

export interface IndexResult {
  readonly outcome: IndexOutcome;
  /** The instance row: the new one, the replaced one, or (keep-first) the one kept. */
  readonly instanceId: number;
  readonly copyNumber: number;
  /** The series version this instance belongs to (unchanged for a duplicate kept first). */
  readonly seriesVersion: number;
  /** True when this instance reopened a completed series as a new version. */
  readonly amended: boolean;
  /**
   * True for the first instance of a series (the first indexed, whatever its arrival order
   * between receivers): featuresets in series mode are filled from it.
   */
  readonly firstOfSeries: boolean;
  /** replaced: the file the row pointed to before; duplicate-kept-first: the file kept. */
  readonly previousPath?: string;
  /** The `stored` event, when one was enqueued. */
  readonly storedJobId?: number;
}

export interface IndexOptions {
  /** Time of the index rows; default record.receivedAt. */
  readonly now?: number | undefined;
  /**
   * A queue to put one `stored` job per indexed instance in, in this transaction; default none.
   * Off by default: the series-complete job is the event pipelines consume, and per-instance
   * jobs nobody consumes would pile up and hold retention back (it waits for a series' jobs).
   */
  readonly storedQueue?: string | false | undefined;
}

/*
 * The statements run for every received object, written out rather than built with Kysely:
 * building and compiling them per call cost more than running them (the receiver's profile).
 * `?` placeholders; PostgreSQL gets `$n` (see sqlFor). Each upsert refreshes the attributes the
 * new instance has (COALESCE: an instance without a value does not blank the one already known).
 */
const UPSERT_PATIENT =
  'insert into patients (patient_id, issuer_of_patient_id, patient_name, patient_birth_date,' +
  ' patient_sex, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)' +
  ' on conflict (patient_id, issuer_of_patient_id) do update set' +
  ' patient_name = coalesce(excluded.patient_name, patients.patient_name),' +
  ' patient_birth_date = coalesce(excluded.patient_birth_date, patients.patient_birth_date),' +
  ' patient_sex = coalesce(excluded.patient_sex, patients.patient_sex),' +
  ' updated_at = excluded.updated_at returning id';

const UPSERT_STUDY =
  'insert into studies (study_instance_uid, patient_ref, study_date, study_time,' +
  ' accession_number, study_id, study_description, referring_physician_name, created_at,' +
  ' updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)' +
  ' on conflict (study_instance_uid) do update set' +
  ' study_date = coalesce(excluded.study_date, studies.study_date),' +
  ' study_time = coalesce(excluded.study_time, studies.study_time),' +
  ' accession_number = coalesce(excluded.accession_number, studies.accession_number),' +
  ' study_id = coalesce(excluded.study_id, studies.study_id),' +
  ' study_description = coalesce(excluded.study_description, studies.study_description),' +
  ' referring_physician_name =' +
  ' coalesce(excluded.referring_physician_name, studies.referring_physician_name),' +
  ' updated_at = excluded.updated_at returning id';

// New files arrived: the series has data on disk again (purged_at, files_removed_at cleared).
const UPSERT_SERIES =
  'insert into series (series_instance_uid, study_ref, modality, series_number,' +
  ' series_description, body_part_examined, series_date, series_time, station_name,' +
  ' manufacturer, manufacturer_model_name, device_serial_number, institution_name, created_at,' +
  ' updated_at, purged_at, files_removed_at)' +
  ' values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null)' +
  ' on conflict (series_instance_uid) do update set' +
  ' modality = coalesce(excluded.modality, series.modality),' +
  ' series_number = coalesce(excluded.series_number, series.series_number),' +
  ' series_description = coalesce(excluded.series_description, series.series_description),' +
  ' body_part_examined = coalesce(excluded.body_part_examined, series.body_part_examined),' +
  ' series_date = coalesce(excluded.series_date, series.series_date),' +
  ' series_time = coalesce(excluded.series_time, series.series_time),' +
  ' station_name = coalesce(excluded.station_name, series.station_name),' +
  ' manufacturer = coalesce(excluded.manufacturer, series.manufacturer),' +
  ' manufacturer_model_name =' +
  ' coalesce(excluded.manufacturer_model_name, series.manufacturer_model_name),' +
  ' device_serial_number = coalesce(excluded.device_serial_number, series.device_serial_number),' +
  ' institution_name = coalesce(excluded.institution_name, series.institution_name),' +
  ' updated_at = excluded.updated_at, purged_at = null, files_removed_at = null returning id';

const INSERT_INSTANCE =
  'insert into instances (sop_instance_uid, copy_number, series_ref, sop_class_uid,' +
  ' instance_number, transfer_syntax_uid, calling_ae, received_at, path, size_bytes,' +
  ' header_json, purged_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null) returning id';

const SELECT_COMPLETION =
  'select version, state, instance_count, expected_count, last_received_at' +
  ' from series_completion where series_instance_uid = ?';

async function returningId(
  tx: Executor,
  isPostgres: boolean,
  text: string,
  parameters: unknown[],
): Promise<{ id: number }> {
  const [row] = await runRaw<{ id: number }>(tx, isPostgres, text, parameters);
  if (row === undefined) throw new Error(`no row returned by: ${text.slice(0, 40)}...`);
  return row;
}

/** The advisory-lock namespace of SOP Instance UIDs ('NIFI'); the key is hashtext(uid). */
const SOP_LOCK_NAMESPACE = 0x4e494649;

function requireText(value: string, name: string): string {
  const text = stripNul(value).trim();
  if (text === '') throw new StoreError('BAD_RECORD', `instance record has no ${name}`);
  return text;
}

function requireCount(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StoreError('BAD_RECORD', `instance record ${name} ${value} is not a count`);
  }
  return value;
}

function intOrNull(value: number | null | undefined): number | null {
  return value != null && Number.isSafeInteger(value) && Math.abs(value) <= 0x7fffffff
    ? value
    : null;
}

/**
 * Indexes one instance in `tx` (a transaction: Db.transaction) under `policy`. Throws
 * StoreError BAD_RECORD for a record without its UIDs; database errors propagate (the caller's
 * transaction rolls back and the store is answered with a failure status).
 */
export async function indexInstance(
  tx: Executor,
  record: InstanceRecord,
  policy: DuplicatePolicy,
  options: IndexOptions = {},
): Promise<IndexResult> {
  const sopUid = requireText(record.sopInstanceUid, 'SOP Instance UID');
  const seriesUid = requireText(record.seriesInstanceUid, 'Series Instance UID');
  const studyUid = requireText(record.studyInstanceUid, 'Study Instance UID');
  const sopClassUid = requireText(record.sopClassUid, 'SOP Class UID');
  const sizeBytes = requireCount(record.sizeBytes, 'size');
  const receivedAt = requireCount(record.receivedAt, 'receive time');
  const now = options.now ?? receivedAt;
  const isPostgres = dialectOf(tx) === 'postgres';

  if (isPostgres) {
    await sql`select pg_advisory_xact_lock(${SOP_LOCK_NAMESPACE}, hashtext(${sopUid}))`.execute(tx);
  }

  const existing = await runRaw<{
    id: number;
    copy_number: number;
    path: string;
    series_ref: number;
    purged_at: number | null;
  }>(
    tx,
    isPostgres,
    'select id, copy_number, path, series_ref, purged_at from instances' +
      ' where sop_instance_uid = ? order by copy_number desc',
    [sopUid],
  );
  const first = existing.find((e) => e.copy_number === 0);
  const restoring = first !== undefined && first.purged_at !== null;
  if (first !== undefined && !restoring && policy === 'keep-first') {
    // Nothing changes: not the index, not completion, no event.
    return {
      outcome: 'duplicate-kept-first',
      instanceId: first.id,
      copyNumber: 0,
      seriesVersion: await currentVersion(tx, seriesUid),
      amended: false,
      firstOfSeries: false,
      previousPath: first.path,
    };
  }

  // Patient, study, series: insert, or refresh the attributes the new instance has
  // (COALESCE: an instance without a value does not blank the one already known).
  const patient = await returningId(tx, isPostgres, UPSERT_PATIENT, [
    stripNul(record.patientId).trim(),
    stripNul(record.issuerOfPatientId ?? '').trim(),
    stripNulOrNull(record.patientName),
    stripNulOrNull(record.patientBirthDate),
    stripNulOrNull(record.patientSex),
    now,
    now,
  ]);

  const study = await returningId(tx, isPostgres, UPSERT_STUDY, [
    studyUid,
    patient.id,
    stripNulOrNull(record.studyDate),
    stripNulOrNull(record.studyTime),
    stripNulOrNull(record.accessionNumber),
    stripNulOrNull(record.studyId),
    stripNulOrNull(record.studyDescription),
    stripNulOrNull(record.referringPhysicianName),
    now,
    now,
  ]);

  const series = await returningId(tx, isPostgres, UPSERT_SERIES, [
    seriesUid,
    study.id,
    stripNulOrNull(record.modality),
    intOrNull(record.seriesNumber),
    stripNulOrNull(record.seriesDescription),
    stripNulOrNull(record.bodyPartExamined),
    stripNulOrNull(record.seriesDate),
    stripNulOrNull(record.seriesTime),
    stripNulOrNull(record.stationName),
    stripNulOrNull(record.manufacturer),
    stripNulOrNull(record.manufacturerModelName),
    stripNulOrNull(record.deviceSerialNumber),
    stripNulOrNull(record.institutionName),
    now,
    now,
  ]);

  // The instance row, under the duplicate policy.
  const row = {
    series_ref: series.id,
    sop_class_uid: sopClassUid,
    instance_number: intOrNull(record.instanceNumber),
    transfer_syntax_uid: stripNul(record.transferSyntaxUid),
    calling_ae: stripNul(record.callingAe),
    received_at: receivedAt,
    path: stripNul(record.path),
    size_bytes: sizeBytes,
    header_json: toJson(record.header ?? {}),
    purged_at: null,
  };
  let outcome: IndexOutcome;
  let instanceId: number;
  let copyNumber = 0;
  let previousPath: string | undefined;
  let countDelta = 1;

  const insertRow = (copy: number): Promise<{ id: number }> =>
    returningId(tx, isPostgres, INSERT_INSTANCE, [
      sopUid,
      copy,
      row.series_ref,
      row.sop_class_uid,
      row.instance_number,
      row.transfer_syntax_uid,
      row.calling_ae,
      row.received_at,
      row.path,
      row.size_bytes,
      row.header_json,
    ]);
  if (first === undefined) {
    outcome = 'inserted';
    instanceId = (await insertRow(0)).id;
  } else if (policy === 'replace' || restoring) {
    outcome = restoring ? 'restored' : 'replaced';
    instanceId = first.id;
    // A restored row's old file is retention's to delete, never the caller's: it may be gone
    // already, and another copy of the same instance may have taken its free name meanwhile.
    // Only a replaced file is the caller's to remove.
    if (!restoring) previousPath = first.path;
    if (first.series_ref === series.id) countDelta = 0;
    await tx.updateTable('instances').set(row).where('id', '=', first.id).execute();
  } else {
    outcome = 'kept-both';
    copyNumber = (existing[0]?.copy_number ?? 0) + 1;
    instanceId = (await insertRow(copyNumber)).id;
  }

  const { version, amended, firstOfSeries } = await recordArrival(tx, isPostgres, {
    seriesUid,
    receivedAt,
    countDelta,
    expected: intOrNull(record.expectedInstances),
  });

  let storedJobId: number | undefined;
  if (options.storedQueue !== undefined && options.storedQueue !== false) {
    const job = await enqueue(
      tx,
      {
        queue: options.storedQueue,
        kind: 'stored',
        payload: {
          sopInstanceUid: sopUid,
          seriesInstanceUid: seriesUid,
          studyInstanceUid: studyUid,
          instanceId,
          copyNumber,
          path: row.path,
          outcome,
          seriesVersion: version,
        },
        seriesInstanceUid: seriesUid,
      },
      now,
    );
    storedJobId = job.id;
  }

  return {
    outcome,
    instanceId,
    copyNumber,
    seriesVersion: version,
    amended,
    firstOfSeries,
    ...(previousPath !== undefined && { previousPath }),
    ...(storedJobId !== undefined && { storedJobId }),
  };
}

async function currentVersion(tx: Executor, seriesUid: string): Promise<number> {
  const row = await tx
    .selectFrom('series_completion')
    .select('version')
    .where('series_instance_uid', '=', seriesUid)
    .executeTakeFirst();
  return row?.version ?? 1;
}

/**
 * Counts an arrival in series_completion: a new series (or one only expected) opens version 1;
 * a completed one opens the next version (amended); an open one just counts and moves its quiet
 * timer. An expected count from the PACS (expectSeries) wins over one from a header.
 */
async function recordArrival(
  tx: Executor,
  isPostgres: boolean,
  arrival: { seriesUid: string; receivedAt: number; countDelta: number; expected: number | null },
): Promise<{ version: number; amended: boolean; firstOfSeries: boolean }> {
  const { seriesUid, receivedAt, countDelta, expected } = arrival;
  const [current] = await runRaw<{
    version: number;
    state: string;
    instance_count: number;
    expected_count: number | null;
    last_received_at: number;
  }>(tx, isPostgres, isPostgres ? `${SELECT_COMPLETION} for update` : SELECT_COMPLETION, [
    seriesUid,
  ]);
  if (!current) {
    await runRaw(
      tx,
      isPostgres,
      'insert into series_completion (series_instance_uid, version, state, instance_count,' +
        " expected_count, first_received_at, last_received_at, completed_at) values (?, 1, 'open'," +
        ' ?, ?, ?, ?, null)',
      [seriesUid, countDelta, expected, receivedAt, receivedAt],
    );
    return { version: 1, amended: false, firstOfSeries: true };
  }
  if (current.state === 'expected') {
    await tx
      .updateTable('series_completion')
      .set({
        state: 'open',
        instance_count: countDelta,
        expected_count: current.expected_count ?? expected,
        first_received_at: receivedAt,
        last_received_at: receivedAt,
        completed_at: null,
      })
      .where('series_instance_uid', '=', seriesUid)
      .execute();
    return { version: current.version, amended: false, firstOfSeries: true };
  }
  const amended = current.state === 'complete';
  const version = amended ? current.version + 1 : current.version;
  await runRaw(
    tx,
    isPostgres,
    "update series_completion set version = ?, state = 'open', instance_count = ?," +
      ' expected_count = ?, last_received_at = ?, completed_at = null' +
      ' where series_instance_uid = ?',
    [
      version,
      current.instance_count + countDelta,
      current.expected_count ?? expected,
      Math.max(receivedAt, current.last_received_at),
      seriesUid,
    ],
  );
  return { version, amended, firstOfSeries: false };
}

/** Whether the index holds `path` (storage-root relative) for this SOP Instance UID. */
export async function isIndexedAt(
  ex: Executor,
  sopInstanceUid: string,
  path: string,
): Promise<boolean> {
  const row = await ex
    .selectFrom('instances')
    .select('id')
    .where('sop_instance_uid', '=', stripNul(sopInstanceUid).trim())
    .where('path', '=', path)
    .executeTakeFirst();
  return row !== undefined;
}
