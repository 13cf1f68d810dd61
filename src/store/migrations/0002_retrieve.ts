import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { DialectName } from '../url.js';
import { columnTypes, type Migration } from './types.js';

/**
 * Cohort retrievals (niffler retrieve): one row per run, one per CSV data row, one per study (or
 * series) fetched. Row and study states are committed as each finishes, so a run killed at any
 * point resumes with exactly the unfinished work.
 */
export const migration0002: Migration = {
  name: '0002_retrieve',
  async up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
    const { int64, json } = columnTypes(dialect);
    const notNull = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder => c.notNull();
    const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';

    await db.schema
      .createTable('retrieve_runs')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('spec_hash', text, notNull)
      .addColumn('spec_json', json, notNull)
      .addColumn('kind', text, notNull)
      .addColumn('csv_path', text, notNull)
      .addColumn('pacs', text, notNull)
      .addColumn('state', text, notNull)
      .addColumn('owner', text)
      .addColumn('heartbeat_at', int64)
      .addColumn('rows_total', 'integer', notNull)
      .addColumn('error', text)
      .addColumn('created_at', int64, notNull)
      .addColumn('updated_at', int64, notNull)
      .addColumn('finished_at', int64)
      .addCheckConstraint(
        'retrieve_runs_state_check',
        sql`state in ('running', 'pausing', 'paused', 'cancelling', 'cancelled', 'done', 'failed')`,
      )
      .execute();
    // "The same command again": the latest run of a spec.
    await db.schema
      .createIndex('retrieve_runs_spec_idx')
      .on('retrieve_runs')
      .columns(['spec_hash', 'created_at'])
      .execute();

    await db.schema
      .createTable('retrieve_rows')
      .addColumn('run_id', text, (c) =>
        c.notNull().references('retrieve_runs.id').onDelete('cascade'),
      )
      .addColumn('row', 'integer', notNull)
      .addColumn('line', 'integer', notNull)
      .addColumn('cells_json', json, notNull)
      .addColumn('query_json', json)
      .addColumn('state', text, notNull)
      .addColumn('studies_matched', 'integer')
      .addColumn('instances_expected', 'integer')
      .addColumn('instances_received', 'integer')
      .addColumn('matches_json', json)
      .addColumn('error', text)
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('finished_at', int64)
      .addPrimaryKeyConstraint('retrieve_rows_pkey', ['run_id', 'row'])
      .addCheckConstraint(
        'retrieve_rows_state_check',
        sql`state in ('pending', 'done', 'partial', 'not-found', 'failed', 'skipped')`,
      )
      .execute();
    // The rows still to do, in order: partial so that finished rows cost the lookup nothing.
    await db.schema
      .createIndex('retrieve_rows_pending_idx')
      .on('retrieve_rows')
      .columns(['run_id', 'row'])
      .where(sql<boolean>`state = 'pending'`)
      .execute();

    await db.schema
      .createTable('retrieve_units')
      .addColumn('run_id', text, (c) =>
        c.notNull().references('retrieve_runs.id').onDelete('cascade'),
      )
      .addColumn('unit_key', text, notNull)
      .addColumn('study_instance_uid', text, notNull)
      .addColumn('series_instance_uid', text)
      .addColumn('state', text, notNull)
      .addColumn('expected', 'integer')
      .addColumn('received', 'integer', notNull)
      .addColumn('completed', 'integer', notNull)
      .addColumn('failed', 'integer', notNull)
      .addColumn('warning', 'integer', notNull)
      .addColumn('bytes', int64, notNull)
      .addColumn('error', text)
      .addColumn('attempts', 'integer', notNull)
      .addColumn('finished_at', int64, notNull)
      .addPrimaryKeyConstraint('retrieve_units_pkey', ['run_id', 'unit_key'])
      .addCheckConstraint('retrieve_units_state_check', sql`state in ('done', 'partial', 'failed')`)
      .execute();
  },
};
