// The retrieval layer's public surface: cohort CSV -> plan -> executor -> reports
// (`niffler retrieve`). Everything before the network is pure (cohort/, plan/); the executor's
// clock, sockets and database are injected.
export { RetrieveError } from './errors.js';
export type { RetrieveErrorCode } from './errors.js';
export { parseCsv } from './cohort/csv.js';
export { resolveColumns, STUDY_MONTH } from './cohort/columns.js';
export { parseDate, parseDateCell, parseStudyMonth } from './cohort/dates.js';
export { readCohortRows, shortenAccession } from './cohort/rows.js';
export type { CohortRow, RowKey, RowProblem } from './cohort/rows.js';
export { planRetrieval } from './plan/plan.js';
export type { LevelChoice, PlannedQuery, PlannedRow, RetrievalPlan } from './plan/plan.js';
export { formatPlan } from './plan/format.js';
export { prepareCohort, parseFilters } from './prepare.js';
export type { CohortSettings, PreparedCohort } from './prepare.js';
export { buildSpec, checkOptions, cohortSettings } from './options.js';
export type { RetrieveInput } from './options.js';
export { specHash } from './spec.js';
export type { RetrieveSpec, PacsSpec } from './spec.js';
export {
  openRetrievalDatabase,
  planFromInput,
  resumeRetrieval,
  retrieveCohort,
} from './retrieval.js';
export type { RetrievalOptions, RetrievalOutcome } from './retrieval.js';
export {
  executeRun,
  openRun,
  requestCancel,
  requestPause,
  resumeRun,
  writeReports,
} from './session.js';
export { RunExecutor, completeness } from './run/executor.js';
export type { Delivery, RunEnding, RunEvent, RunKind } from './run/executor.js';
export { PacsGate } from './run/gate.js';
export { msUntilWindow, localTimeOfDay } from './run/window.js';
export { systemRunClock } from './run/clock.js';
export type { RunClock } from './run/clock.js';
export { ProgressModel, renderBar, plainLine, jsonLine } from './output/progress.js';
export { listRunsText } from './output/runs.js';
export { sendRunMail, summaryText } from './output/email.js';
export type { SmtpSettings } from './output/email.js';
export { loggableError } from './run/failures.js';
