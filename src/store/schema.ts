/**
 * The tables as TypeScript types (what Kysely checks every query against). The DDL that creates
 * them is in ./migrations/; scripts/check-schema.ts keeps the two and the committed snapshot in
 * step.
 *
 * Conventions, the same on both dialects:
 * - Times (`*_at`) are integer milliseconds since the Unix epoch (UTC): `bigint` on PostgreSQL,
 *   `integer` on SQLite. SQLite has no timestamp type, and callers pass `now` explicitly (fake
 *   clocks in tests), so one numeric form keeps one code path and exact comparisons.
 * - DICOM dates and times (`study_date`, ...) are the DICOM text (`YYYYMMDD`, `HHMMSS.FFFFFF`): an
 *   8-digit date sorts as text, so range matching is a string comparison that uses the index.
 * - JSON columns are `jsonb` on PostgreSQL and `text` on SQLite. They are written as JSON text
 *   and read back parsed by the query functions (./queries/json.ts).
 * - Surrogate integer keys (`id`) join the levels; the DICOM UIDs carry unique indexes.
 */
import type { ColumnType, Generated } from 'kysely';

/** Written as JSON text; read back as a parsed value (PostgreSQL) or text (SQLite). */
export type JsonColumn = ColumnType<unknown, string, string>;

export interface PatientsTable {
  id: Generated<number>;
  /** PatientID (0010,0020); '' when the object has none. */
  patient_id: string;
  /** IssuerOfPatientID (0010,0021); '' when absent. With patient_id, the patient's identity. */
  issuer_of_patient_id: string;
  patient_name: string | null;
  patient_birth_date: string | null;
  patient_sex: string | null;
  created_at: number;
  updated_at: number;
}

export interface StudiesTable {
  id: Generated<number>;
  study_instance_uid: string;
  patient_ref: number;
  study_date: string | null;
  study_time: string | null;
  accession_number: string | null;
  study_id: string | null;
  study_description: string | null;
  referring_physician_name: string | null;
  created_at: number;
  updated_at: number;
}

export interface SeriesTable {
  id: Generated<number>;
  series_instance_uid: string;
  study_ref: number;
  modality: string | null;
  series_number: number | null;
  series_description: string | null;
  body_part_examined: string | null;
  series_date: string | null;
  series_time: string | null;
  station_name: string | null;
  manufacturer: string | null;
  manufacturer_model_name: string | null;
  device_serial_number: string | null;
  institution_name: string | null;
  created_at: number;
  updated_at: number;
  /**
   * Set when retention takes the series' files away (they no longer answer queries); cleared
   * when a new instance arrives.
   */
  purged_at: number | null;
  /** Set once every file of the purge is deleted: purged_at without it is unfinished work. */
  files_removed_at: number | null;
}

export interface InstancesTable {
  id: Generated<number>;
  sop_instance_uid: string;
  /**
   * 0 for the first copy of a SOP Instance UID; 1, 2... for the copies the keep-both duplicate
   * policy adds. Unique with sop_instance_uid, so keep-first and replace are race-free upserts.
   */
  copy_number: number;
  series_ref: number;
  sop_class_uid: string;
  instance_number: number | null;
  transfer_syntax_uid: string;
  /** The calling AE title of the association that stored it ('' when not received over DIMSE). */
  calling_ae: string;
  received_at: number;
  /** Where the file is, as the file store names it (relative to the storage root). */
  path: string;
  size_bytes: number;
  /** The header (up to the pixel data) in the DICOM JSON model (PS3.18 F.2). */
  header_json: JsonColumn;
  /** Set when retention deleted the file. */
  purged_at: number | null;
}

/**
 * expected: a count was announced (by the PACS) before any instance arrived; open: instances
 * arrive, not complete yet; complete: quiet long enough, or the expected count reached.
 */
export type CompletionState = 'expected' | 'open' | 'complete';

export interface SeriesCompletionTable {
  series_instance_uid: string;
  /** 1 for the first completion; +1 each time an instance arrives after a completion. */
  version: number;
  state: CompletionState;
  /** Instances indexed in the series over all versions (duplicates kept first not counted). */
  instance_count: number;
  /** How many instances the header or the PACS announced, when known. */
  expected_count: number | null;
  first_received_at: number;
  last_received_at: number;
  completed_at: number | null;
}

export const JOB_STATES = ['pending', 'running', 'done', 'failed', 'dead'] as const;
/**
 * pending: waiting for run_at; running: claimed by locked_by; done: completed; failed: an attempt
 * failed and it waits for its retry at run_at (claimable like pending); dead: out of attempts
 * (or declared permanent), kept for an operator.
 */
export type JobState = (typeof JOB_STATES)[number];

export interface JobsTable {
  id: Generated<number>;
  queue: string;
  kind: string;
  payload: JsonColumn;
  state: JobState;
  /** Attempts started (incremented by claim). */
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_by: string | null;
  locked_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  /** Unique when set: an enqueue with a key already present adds nothing. */
  job_key: string | null;
  /** The series a job is about, if any: retention purges a series only when these are done. */
  series_instance_uid: string | null;
}

export interface FeaturesetsTable {
  name: string;
  /** The featureset's entries (keywords, tags) in file order, as a JSON array of strings. */
  keywords: JsonColumn;
  created_at: number;
  updated_at: number;
}

export interface FeaturesetRowsTable {
  id: Generated<number>;
  featureset: string;
  series_instance_uid: string;
  sop_instance_uid: string;
  /** One JSON object: key -> typed value (see ../store/featureset.ts for the key scheme). */
  values_json: JsonColumn;
  created_at: number;
}

// --- Cohort retrieval (migration 0002) -----------------------------------------------------------

export type RetrieveRunState =
  'running' | 'pausing' | 'paused' | 'cancelling' | 'cancelled' | 'done' | 'failed';

export interface RetrieveRunsTable {
  id: string;
  /** Hash of what the run does (CSV content, PACS, options): the same command finds its run. */
  spec_hash: string;
  /** Everything needed to resume the run (JSON). */
  spec_json: JsonColumn;
  kind: string;
  csv_path: string;
  /** `AET@host:port` of the PACS. */
  pacs: string;
  state: RetrieveRunState;
  /** `host:pid` of the process executing it while running. */
  owner: string | null;
  heartbeat_at: number | null;
  rows_total: number;
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export type RetrieveRowState = 'pending' | 'done' | 'partial' | 'not-found' | 'failed' | 'skipped';

export interface RetrieveRowsTable {
  run_id: string;
  /** 1-based position among the CSV's data rows. */
  row: number;
  /** The file line the row starts on. */
  line: number;
  /** The row's key cells as written (JSON array of strings). */
  cells_json: JsonColumn;
  /** The planned query (JSON), null for an invalid row. */
  query_json: JsonColumn | null;
  state: RetrieveRowState;
  studies_matched: number | null;
  instances_expected: number | null;
  instances_received: number | null;
  /** C-FIND matches kept for the find-only outputs (JSON array of objects). */
  matches_json: JsonColumn | null;
  error: string | null;
  attempts: number;
  finished_at: number | null;
}

export type RetrieveUnitState = 'done' | 'partial' | 'failed';

/** A study (or series) fetched by a run: fetched once, however many rows match it. */
export interface RetrieveUnitsTable {
  run_id: string;
  /** The StudyInstanceUID, or `study/series` for a series. */
  unit_key: string;
  study_instance_uid: string;
  series_instance_uid: string | null;
  state: RetrieveUnitState;
  /** NumberOf{Study,Series}RelatedInstances from C-FIND, when the PACS reported it. */
  expected: number | null;
  /** Instances that arrived (C-MOVE to us, C-GET), or the completed count (external destination). */
  received: number;
  completed: number;
  failed: number;
  warning: number;
  bytes: number;
  error: string | null;
  attempts: number;
  finished_at: number;
}

export interface Database {
  patients: PatientsTable;
  studies: StudiesTable;
  series: SeriesTable;
  instances: InstancesTable;
  series_completion: SeriesCompletionTable;
  jobs: JobsTable;
  featuresets: FeaturesetsTable;
  featureset_rows: FeaturesetRowsTable;
  retrieve_runs: RetrieveRunsTable;
  retrieve_rows: RetrieveRowsTable;
  retrieve_units: RetrieveUnitsTable;
}
