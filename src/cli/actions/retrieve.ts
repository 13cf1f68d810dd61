import { StoreError } from '../../store/errors.js';
import { DicomClientError } from '../../net/services/client-errors.js';
import {
  formatPlan,
  jsonLine,
  listRunsText,
  loggableError,
  openRetrievalDatabase,
  planFromInput,
  plainLine,
  ProgressModel,
  renderBar,
  requestCancel,
  requestPause,
  resumeRetrieval,
  RetrieveError,
  retrieveCohort,
  type RetrievalOptions,
  type RetrievalOutcome,
  type RetrieveInput,
  type RunEvent,
} from '../../retrieve/index.js';
import { loadCliConfig } from '../config-file.js';
import { CliError } from '../errors.js';
import { FeaturesetError } from '../../metadata/index.js';

export interface RetrieveCliOptions {
  config?: string;
  from?: string;
  out?: string;
  aet?: string;
  port?: number;
  host?: string;
  dest?: string;
  mode?: 'move' | 'get';
  findOnly?: boolean;
  findDetailed?: boolean;
  level?: 'AUTO' | 'STUDY' | 'SERIES';
  filter: string[];
  column: string[];
  dateFormat?: string;
  longAccession?: boolean;
  onRowError?: 'skip' | 'stop';
  window?: string;
  concurrency?: number;
  studiesPerRequest?: number;
  maxPerMinute?: number;
  dryRun?: boolean;
  resume?: string;
  fresh?: boolean;
  email: boolean;
  progress: 'auto' | 'bar' | 'lines' | 'json' | 'none';
  connectTimeout: number;
  dimseTimeout: number;
}

/** Exit codes: 0 every row done or not found; 1 rows incomplete or the run failed; 3 paused. */
export const EXIT_PAUSED = 3;

/** `niffler retrieve list`: the runs of the output folder's database, newest first. */
export async function listRuns(options: { config?: string; out?: string }): Promise<void> {
  await withDatabase(options, async (db) => {
    process.stdout.write(await listRunsText(db));
  });
}

/** `niffler retrieve pause|cancel RUN`: asks the run's process to stop (through the database). */
export async function requestStop(
  how: 'pause' | 'cancel',
  run: string,
  options: { config?: string; out?: string },
): Promise<void> {
  await withDatabase(options, async (db) => {
    const text = await (how === 'pause' ? requestPause : requestCancel)(db, run, Date.now());
    process.stdout.write(`${text}\n`);
  });
}

async function withDatabase(
  options: { config?: string; out?: string },
  fn: (db: Awaited<ReturnType<typeof openRetrievalDatabase>>) => Promise<void>,
): Promise<void> {
  const config = loadCliConfig(options.config);
  try {
    const db = await openRetrievalDatabase(config, options.out ?? config.storage.root);
    try {
      await fn(db);
    } finally {
      await db.close();
    }
  } catch (error) {
    throw asCliError(error);
  }
}

function asCliError(error: unknown): unknown {
  if (error instanceof RetrieveError) {
    const usage = ['CSV_UNREADABLE', 'CSV_MALFORMED', 'CSV_COLUMNS', 'CSV_ROWS', 'BAD_OPTION'];
    return new CliError(`retrieve: ${error.message}`, usage.includes(error.code) ? 2 : 1);
  }
  if (error instanceof StoreError || error instanceof DicomClientError) {
    return new CliError(`retrieve: ${error.message}`, 1);
  }
  // The configured featureset files (checked before any run or connection is opened).
  if (error instanceof FeaturesetError) {
    return new CliError(`retrieve: ${error.message} [${error.code}]`, 2);
  }
  return error;
}

export async function runRetrieve(
  csv: string | undefined,
  options: RetrieveCliOptions,
): Promise<number> {
  const config = loadCliConfig(options.config);
  if (options.findOnly === true && options.findDetailed === true) {
    throw new CliError('retrieve: --find-only and --find-detailed exclude each other', 2);
  }
  if (csv === undefined && options.resume === undefined) {
    throw new CliError('retrieve: give the cohort CSV, or --resume RUN', 2);
  }
  const input: RetrieveInput = {
    csv: csv ?? '',
    from: options.from,
    out: options.out,
    aet: options.aet,
    port: options.port,
    host: options.host,
    dest: options.dest,
    mode: options.mode,
    kind:
      options.findDetailed === true
        ? 'find-detailed'
        : options.findOnly === true
          ? 'find-only'
          : 'retrieve',
    level:
      options.level === undefined ? undefined : options.level === 'AUTO' ? 'auto' : options.level,
    filters: options.filter,
    columns: options.column,
    dateFormat: options.dateFormat,
    longAccession: options.longAccession,
    onRowError: options.onRowError,
    window: options.window,
    concurrency: options.concurrency,
    studiesPerRequest: options.studiesPerRequest,
    maxPerMinute: options.maxPerMinute,
  };
  try {
    if (options.dryRun === true) {
      if (csv === undefined) throw new CliError('retrieve: --dry-run needs the CSV', 2);
      const { prepared, spec } = await planFromInput(config, input);
      const how =
        spec.kind !== 'retrieve'
          ? spec.kind
          : spec.mode === 'get'
            ? 'C-GET'
            : `C-MOVE to ${spec.destinationAeTitle ?? spec.ourAeTitle}`;
      process.stdout.write(
        formatPlan(
          prepared.plan,
          `Plan for ${spec.csvPath}: ${how} from ${spec.pacs.aeTitle}@${spec.pacs.host}:${spec.pacs.port} into ${spec.out}`,
        ),
      );
      for (const note of prepared.notes) process.stderr.write(`niffler retrieve: ${note}\n`);
      return 0;
    }
    const outcome = await execute(config, csv, input, options);
    return summarise(outcome);
  } catch (error) {
    throw asCliError(error);
  }
}

async function execute(
  config: ReturnType<typeof loadCliConfig>,
  csv: string | undefined,
  input: RetrieveInput,
  options: RetrieveCliOptions,
): Promise<RetrievalOutcome> {
  const err = (line: string): void => void process.stderr.write(`niffler retrieve: ${line}\n`);
  const pause = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    pause.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = reporter(options.progress);
  const retrievalOptions: RetrievalOptions = {
    fresh: options.fresh,
    noEmail: !options.email,
    pauseSignal: pause.signal,
    log: err,
    onEvent: progress.event,
    onArrival: progress.arrival,
    connectTimeoutMs: options.connectTimeout * 1000,
    dimseTimeoutMs: options.dimseTimeout * 1000,
    onRun: (run, how) =>
      err(
        how === 'finished'
          ? `run ${run.id} finished before; its report is rewritten (--fresh starts a new run)`
          : `run ${run.id} ${how} (${run.rowsTotal} rows); pause with Ctrl-C or niffler retrieve pause ${run.id}`,
      ),
    onMailError: (error) =>
      err(`could not send the e-mail: ${error instanceof Error ? error.message : String(error)}`),
  };
  try {
    return options.resume !== undefined
      ? await resumeRetrieval(
          config,
          options.resume,
          options.out ?? config.storage.root,
          {
            concurrency: input.concurrency,
            studiesPerRequest: input.studiesPerRequest,
            window: input.window,
            maxPerMinute: input.maxPerMinute,
          },
          retrievalOptions,
        )
      : await retrieveCohort(config, { ...input, csv: csv! }, retrievalOptions);
  } finally {
    progress.close();
    process.off('SIGINT', onSigint);
  }
}

function summarise(outcome: RetrievalOutcome): number {
  const counts = Object.entries(outcome.counts ?? {})
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  const ending = outcome.ending?.state ?? 'done';
  process.stdout.write(`run ${outcome.run.id}: ${ending}; rows: ${counts || 'none'}\n`);
  if (outcome.reportPath !== undefined) process.stdout.write(`report: ${outcome.reportPath}\n`);
  if (outcome.cfindOutputPath !== undefined) {
    process.stdout.write(`C-FIND results: ${outcome.cfindOutputPath}\n`);
  }
  if (outcome.ending?.state === 'failed') {
    process.stderr.write(
      // Without the PACS's free-text comment (it may name the patient); report.csv and the
      // run's record keep the whole text.
      `niffler retrieve: run ${outcome.run.id} failed: ${loggableError(outcome.ending.error)}\n`,
    );
    process.stderr.write(
      `niffler retrieve: fix it, then: niffler retrieve resume ${outcome.run.id}\n`,
    );
    return 1;
  }
  if (ending === 'paused') {
    process.stderr.write(
      `niffler retrieve: resume with: niffler retrieve resume ${outcome.run.id}\n`,
    );
    return EXIT_PAUSED;
  }
  if (ending === 'cancelled') return 1;
  const incomplete = (outcome.counts?.['partial'] ?? 0) + (outcome.counts?.['failed'] ?? 0);
  return incomplete > 0 ? 1 : 0;
}

/** The progress display the option asks for: a bar on a terminal, log lines otherwise. */
function reporter(how: RetrieveCliOptions['progress']): {
  event: (event: RunEvent) => void;
  arrival: NonNullable<RetrievalOptions['onArrival']>;
  close: () => void;
} {
  const model = new ProgressModel(Date.now());
  const mode = how === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : how;
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = (): void => {
    const now = Date.now();
    process.stderr.write(`\r\x1b[2K${renderBar(model.snapshot(now), now)}`);
  };
  if (mode === 'bar') {
    timer = setInterval(draw, 200);
    timer.unref();
  }
  return {
    event: (event) => {
      model.event(event, Date.now());
      const snapshot = model.snapshot(Date.now());
      if (mode === 'json') process.stdout.write(`${jsonLine(event, snapshot)}\n`);
      // Above the bar: the start, a stop, and every retry with its cause (a wrong address must
      // not look like a run that merely waits).
      const aboveBar =
        event.kind === 'stopping' ||
        event.kind === 'start' ||
        (event.kind === 'wait' && event.retry !== undefined);
      if (mode === 'lines' || (mode === 'bar' && aboveBar)) {
        const line = plainLine(event, snapshot);
        if (line !== undefined) {
          process.stderr.write(`${mode === 'bar' ? '\r\x1b[2K' : ''}niffler retrieve: ${line}\n`);
        }
      }
    },
    arrival: (arrival) => model.arrival(arrival),
    close: () => {
      if (timer !== undefined) {
        clearInterval(timer);
        draw();
        process.stderr.write('\n');
      }
    },
  };
}
