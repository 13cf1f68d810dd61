/**
 * The store layer's public surface: the index database (SQLite or PostgreSQL behind Kysely), its
 * numbered migrations, every query (./queries/), and the job runner.
 */
export {
  Db,
  openDatabase,
  dialectOf,
  type Executor,
  type OpenDatabaseOptions,
} from './database.js';
export type { DialectName } from './url.js';
export { parseDatabaseUrl, redactUrl, MEMORY } from './url.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { migrateToLatest, MIGRATION_TABLE, MIGRATION_LOCK_TABLE } from './migrate.js';
export { MIGRATIONS, type Migration } from './migrations/index.js';
export type * from './schema.js';
export { JOB_STATES } from './schema.js';
export * from './queries/index.js';
export {
  JobRunner,
  JobError,
  type JobHandler,
  type JobRunnerEvent,
  type JobRunnerOptions,
} from './job-runner.js';
