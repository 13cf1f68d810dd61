import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { DialectName } from '../url.js';
import { columnTypes, type Migration } from './types.js';

/**
 * The index (patients, studies, series, instances), series completion, the job queue and the
 * featureset rows. Every index below serves a lookup named in ../README.md; none is a guess.
 */
export const migration0001: Migration = {
  name: '0001_initial',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    const { int64, json } = columnTypes(dialect);
    /** A surrogate key: an identity column on PostgreSQL, the rowid on SQLite. */
    const id = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
      dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey();
    /** A key that is never reused, even after deletes (jobs: a stale worker holds old ids). */
    const neverReusedId = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
      dialect === 'postgres'
        ? c.primaryKey().generatedByDefaultAsIdentity()
        : c.primaryKey().autoIncrement();
    const notNull = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder => c.notNull();
    const idType = dialect === 'postgres' ? 'bigint' : 'integer';
    // DICOM values compare byte by byte (C collation) on PostgreSQL, as they do on SQLite: range
    // matching on dates and times is then a plain string comparison whatever the database's
    // locale, and LIKE 'prefix%' can use the b-tree indexes.
    const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';

    await db.schema
      .createTable('patients')
      .addColumn('id', idType, id)
      .addColumn('patient_id', text, notNull)
      .addColumn('issuer_of_patient_id', text, (c) => c.notNull().defaultTo(''))
      .addColumn('patient_name', text)
      .addColumn('patient_birth_date', text)
      .addColumn('patient_sex', text)
      .addColumn('created_at', int64, notNull)
      .addColumn('updated_at', int64, notNull)
      .addUniqueConstraint('patients_identity_key', ['patient_id', 'issuer_of_patient_id'])
      .execute();

    await db.schema
      .createTable('studies')
      .addColumn('id', idType, id)
      .addColumn('study_instance_uid', text, notNull)
      .addColumn('patient_ref', idType, (c) => c.notNull().references('patients.id'))
      .addColumn('study_date', text)
      .addColumn('study_time', text)
      .addColumn('accession_number', text)
      .addColumn('study_id', text)
      .addColumn('study_description', text)
      .addColumn('referring_physician_name', text)
      .addColumn('created_at', int64, notNull)
      .addColumn('updated_at', int64, notNull)
      .addUniqueConstraint('studies_study_instance_uid_key', ['study_instance_uid'])
      .execute();
    await db.schema
      .createIndex('studies_patient_ref_idx')
      .on('studies')
      .column('patient_ref')
      .execute();
    await db.schema
      .createIndex('studies_accession_number_idx')
      .on('studies')
      .column('accession_number')
      .execute();
    await db.schema
      .createIndex('studies_study_date_idx')
      .on('studies')
      .column('study_date')
      .execute();

    await db.schema
      .createTable('series')
      .addColumn('id', idType, id)
      .addColumn('series_instance_uid', text, notNull)
      .addColumn('study_ref', idType, (c) => c.notNull().references('studies.id'))
      .addColumn('modality', text)
      .addColumn('series_number', 'integer')
      .addColumn('series_description', text)
      .addColumn('body_part_examined', text)
      .addColumn('series_date', text)
      .addColumn('series_time', text)
      .addColumn('station_name', text)
      .addColumn('manufacturer', text)
      .addColumn('manufacturer_model_name', text)
      .addColumn('device_serial_number', text)
      .addColumn('institution_name', text)
      .addColumn('created_at', int64, notNull)
      .addColumn('updated_at', int64, notNull)
      .addColumn('purged_at', int64)
      .addColumn('files_removed_at', int64)
      .addUniqueConstraint('series_series_instance_uid_key', ['series_instance_uid'])
      .execute();
    await db.schema.createIndex('series_study_ref_idx').on('series').column('study_ref').execute();
    await db.schema.createIndex('series_modality_idx').on('series').column('modality').execute();
    // Retention's journal: series marked purged whose files are not all removed yet (a crash
    // between the two); nearly always empty.
    await db.schema
      .createIndex('series_purge_pending_idx')
      .on('series')
      .column('purged_at')
      .where(sql<boolean>`purged_at is not null and files_removed_at is null`)
      .execute();

    await db.schema
      .createTable('instances')
      .addColumn('id', idType, id)
      .addColumn('sop_instance_uid', text, notNull)
      .addColumn('copy_number', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('series_ref', idType, (c) => c.notNull().references('series.id'))
      .addColumn('sop_class_uid', text, notNull)
      .addColumn('instance_number', 'integer')
      .addColumn('transfer_syntax_uid', text, notNull)
      .addColumn('calling_ae', text, notNull)
      .addColumn('received_at', int64, notNull)
      .addColumn('path', text, notNull)
      .addColumn('size_bytes', int64, notNull)
      .addColumn('header_json', json, notNull)
      .addColumn('purged_at', int64)
      .addUniqueConstraint('instances_sop_copy_key', ['sop_instance_uid', 'copy_number'])
      .execute();
    await db.schema
      .createIndex('instances_series_ref_idx')
      .on('instances')
      .column('series_ref')
      .execute();

    await db.schema
      .createTable('series_completion')
      // No foreign key to series: a PACS may announce a series' count before its first
      // instance arrives (state 'expected').
      .addColumn('series_instance_uid', text, (c) => c.primaryKey())
      .addColumn('version', 'integer', notNull)
      .addColumn('state', text, notNull)
      .addColumn('instance_count', 'integer', notNull)
      .addColumn('expected_count', 'integer')
      .addColumn('first_received_at', int64, notNull)
      .addColumn('last_received_at', int64, notNull)
      .addColumn('completed_at', int64)
      .addCheckConstraint(
        'series_completion_state_check',
        sql`state in ('expected', 'open', 'complete')`,
      )
      .execute();
    // dueSeries: open series by quiet time. Partial, so completed series (nearly all of them at
    // scale) cost nothing to the scan.
    await db.schema
      .createIndex('series_completion_open_idx')
      .on('series_completion')
      .column('last_received_at')
      .where(sql<boolean>`state = 'open'`)
      .execute();
    // purgeableSeries: completed series, oldest completion first.
    await db.schema
      .createIndex('series_completion_complete_idx')
      .on('series_completion')
      .column('completed_at')
      .where(sql<boolean>`state = 'complete'`)
      .execute();

    await db.schema
      .createTable('jobs')
      .addColumn('id', idType, neverReusedId)
      .addColumn('queue', text, notNull)
      .addColumn('kind', text, notNull)
      .addColumn('payload', json, notNull)
      .addColumn('state', text, notNull)
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', notNull)
      .addColumn('run_at', int64, notNull)
      .addColumn('locked_by', text)
      .addColumn('locked_at', int64)
      .addColumn('last_error', text)
      .addColumn('created_at', int64, notNull)
      .addColumn('updated_at', int64, notNull)
      .addColumn('job_key', text)
      .addColumn('series_instance_uid', text)
      .addUniqueConstraint('jobs_job_key_key', ['job_key'])
      .addCheckConstraint(
        'jobs_state_check',
        sql`state in ('pending', 'running', 'done', 'failed', 'dead')`,
      )
      .execute();
    // claim: the next runnable jobs of a queue, oldest first. Partial: done and dead jobs, which
    // pile up, are not in it.
    await db.schema
      .createIndex('jobs_runnable_idx')
      .on('jobs')
      .columns(['queue', 'run_at', 'id'])
      .where(sql<boolean>`state in ('pending', 'failed')`)
      .execute();
    // requeueStale: running jobs by lock time.
    await db.schema
      .createIndex('jobs_running_idx')
      .on('jobs')
      .column('locked_at')
      .where(sql<boolean>`state = 'running'`)
      .execute();
    // purgeableSeries: does a series still have a job that is not done?
    await db.schema
      .createIndex('jobs_series_unfinished_idx')
      .on('jobs')
      .column('series_instance_uid')
      .where(sql<boolean>`state <> 'done'`)
      .execute();

    await db.schema
      .createTable('featuresets')
      .addColumn('name', text, (c) => c.primaryKey())
      .addColumn('keywords', json, notNull)
      .addColumn('created_at', int64, notNull)
      .addColumn('updated_at', int64, notNull)
      .execute();

    await db.schema
      .createTable('featureset_rows')
      .addColumn('id', idType, id)
      .addColumn('featureset', text, (c) =>
        c.notNull().references('featuresets.name').onDelete('cascade'),
      )
      .addColumn('series_instance_uid', text, notNull)
      .addColumn('sop_instance_uid', text, notNull)
      .addColumn('values_json', json, notNull)
      .addColumn('created_at', int64, notNull)
      .addUniqueConstraint('featureset_rows_instance_key', [
        'featureset',
        'series_instance_uid',
        'sop_instance_uid',
      ])
      .execute();
    await db.schema
      .createIndex('featureset_rows_series_idx')
      .on('featureset_rows')
      .column('series_instance_uid')
      .execute();
  },
};
