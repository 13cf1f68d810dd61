/**
 * `niffler retrieve` as a function: options and configuration in, a finished (or paused) run
 * out. Checks everything it can before any network traffic, opens the database (the configured
 * one, else index.sqlite in the output folder), creates or resumes the run, executes it, writes
 * the reports and sends the e-mail.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/load.js';
import { loadFeaturesets, type Featureset } from '../metadata/index.js';
import { Indexer } from '../receive/indexer.js';
import { SQLITE_FILE_NAME } from '../config/database.js';
import { openDatabase, type Db } from '../store/database.js';
import type { RunRecord } from '../store/queries/retrieve.js';
import { sendRunMail } from './output/email.js';
import { buildSpec, checkOptions, cohortSettings, type RetrieveInput } from './options.js';
import { prepareCohort, type PreparedCohort } from './prepare.js';
import { loggableError } from './run/failures.js';
import type { RunEnding } from './run/executor.js';
import {
  executeRun,
  newOwner,
  openRun,
  resumeRun,
  writeReports,
  type ExecuteOptions,
  type ExecuteResult,
} from './session.js';
import { pacsLabel, type RetrieveSpec } from './spec.js';

export interface RetrievalOptions extends Omit<ExecuteOptions, 'owner'> {
  /** Start a new run even when the same command has one. */
  readonly fresh?: boolean | undefined;
  /** Do not send the end-of-run e-mail. */
  readonly noEmail?: boolean | undefined;
  /** Told once the run is known (before execution), e.g. to print its id. */
  readonly onRun?: ((run: RunRecord, how: 'started' | 'resumed' | 'finished') => void) | undefined;
  /** Told when the e-mail could not be sent (the run itself is not affected). */
  readonly onMailError?: ((error: unknown) => void) | undefined;
}

export interface RetrievalOutcome extends Partial<ExecuteResult> {
  readonly run: RunRecord;
  /** Undefined when the run had finished before (nothing was executed). */
  readonly ending?: RunEnding | undefined;
  readonly spec: RetrieveSpec;
}

/** The database of retrievals into `out`: the configured one, else `out/index.sqlite`. */
export async function openRetrievalDatabase(config: Config, out: string): Promise<Db> {
  if (config.database.url !== null) return openDatabase({ url: config.database.url });
  await mkdir(out, { recursive: true });
  // NORMAL, not FULL: in WAL mode a process crash (kill -9) loses no commit either way; a power
  // cut may lose the last row and study records, which are then simply done again (their files
  // are already durable, and a second copy is discarded). Two fsyncs less per row.
  return openDatabase({ url: path.join(out, SQLITE_FILE_NAME), synchronous: 'NORMAL' });
}

/** Reads and plans the CSV of `input` (no network, no database): for --dry-run and for runs. */
export async function planFromInput(
  config: Config,
  input: RetrieveInput,
): Promise<{ prepared: PreparedCohort; spec: RetrieveSpec }> {
  checkOptions(config, input);
  const settings = cohortSettings(config, input);
  const prepared = await prepareCohort(path.resolve(input.csv), settings);
  return { prepared, spec: buildSpec(config, input, settings, prepared) };
}

/** Runs (or resumes) the retrieval of a CSV. */
export async function retrieveCohort(
  config: Config,
  input: RetrieveInput,
  options: RetrievalOptions = {},
): Promise<RetrievalOutcome> {
  const { prepared, spec } = await planFromInput(config, input);
  // A column that is not a query key is ignored: say so on every run, not only on --dry-run, so a
  // misspelt key column cannot widen the queries unnoticed.
  for (const note of prepared.notes) options.log?.(note);
  const featuresets = loadFeaturesets(config.featuresets).featuresets;
  const db = await openRetrievalDatabase(config, spec.out);
  try {
    const owner = newOwner();
    const opened = await openRun(db, spec, prepared, {
      fresh: options.fresh,
      owner,
      now: Date.now(),
    });
    return await execute(config, featuresets, db, opened, owner, spec, options);
  } finally {
    await db.close();
  }
}

/** Resumes a run by id; pacing given here (concurrency, lists, window, rate) overrides the stored. */
export async function resumeRetrieval(
  config: Config,
  id: string,
  out: string,
  overrides: Pick<RetrieveInput, 'concurrency' | 'studiesPerRequest' | 'window' | 'maxPerMinute'>,
  options: RetrievalOptions = {},
): Promise<RetrievalOutcome> {
  const featuresets = loadFeaturesets(config.featuresets).featuresets;
  const db = await openRetrievalDatabase(config, path.resolve(out));
  try {
    const owner = newOwner();
    const opened = await resumeRun(db, id, { owner, now: Date.now() });
    const stored = opened.run.spec as RetrieveSpec;
    const spec: RetrieveSpec = {
      ...stored,
      concurrency: overrides.concurrency ?? stored.concurrency,
      pacs: {
        ...stored.pacs,
        window: overrides.window ?? stored.pacs.window,
        maxPerMinute: overrides.maxPerMinute ?? stored.pacs.maxPerMinute,
        studiesPerRequest: overrides.studiesPerRequest ?? stored.pacs.studiesPerRequest,
        maxConcurrent: Math.max(stored.pacs.maxConcurrent, overrides.concurrency ?? 0),
      },
    };
    return await execute(config, featuresets, db, opened, owner, spec, options);
  } finally {
    await db.close();
  }
}

async function execute(
  config: Config,
  featuresets: readonly Featureset[],
  db: Db,
  opened: Awaited<ReturnType<typeof openRun>>,
  owner: string,
  spec: RetrieveSpec,
  options: RetrievalOptions,
): Promise<RetrievalOutcome> {
  options.onRun?.(opened.run, opened.kind);
  if (opened.kind === 'finished') {
    return { run: opened.run, spec, ...(await writeReports(db, opened.run.id, spec)) };
  }
  const index = await retrievalIndexer(config, featuresets, db, spec.out);
  const result = await executeRun(db, opened.run, spec, { index: index.commit, ...options, owner });
  if (result.ending.state !== 'paused') await mail(config, opened.run, spec, result, options);
  return { run: opened.run, spec, ...result };
}

/**
 * Retrieved instances are indexed like received ones (instance rows with the header, the
 * configured featuresets, the duplicate policy), in the run's database, so the index answers
 * queries about them and pipelines can use them.
 */
async function retrievalIndexer(
  config: Config,
  featuresets: readonly Featureset[],
  db: Db,
  root: string,
): Promise<Indexer> {
  const indexer = new Indexer({
    db,
    root,
    duplicates: config.storage.duplicates,
    featuresets,
    featuresetMode: config.featuresets.mode,
  });
  await indexer.prepare();
  return indexer;
}

async function mail(
  config: Config,
  run: RunRecord,
  spec: RetrieveSpec,
  result: ExecuteResult,
  options: RetrievalOptions,
): Promise<void> {
  const smtp = config.smtp;
  if (smtp.host === null || smtp.from === null || !config.retrieve.emailOnCompletion) return;
  if (options.noEmail === true) return;
  try {
    await sendRunMail(
      { ...smtp, host: smtp.host, from: smtp.from },
      {
        runId: run.id,
        ending: result.ending.state,
        pacs: pacsLabel(spec.pacs),
        counts: Object.fromEntries(Object.entries(result.counts).map(([k, v]) => [k, v ?? 0])),
        reportPath: result.reportPath,
        extraPaths: result.cfindOutputPath === undefined ? [] : [result.cfindOutputPath],
        // An e-mail leaves the hospital's systems more easily than a log: no PACS free text.
        error: result.ending.state === 'failed' ? loggableError(result.ending.error) : undefined,
      },
    );
  } catch (error) {
    options.onMailError?.(error);
  }
}
