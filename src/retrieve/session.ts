/**
 * A run from start to end: find or create it in the database (the same command resumes its
 * unfinished run), take ownership, open what the delivery needs (our C-MOVE listener, or the
 * C-GET sink), execute the rows, and rewrite report.csv (and cfind-output.csv) from the database.
 * The CLI is a thin layer over this; tests drive it directly with a fake clock.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { parseTimeWindow } from '../config/values.js';
import type { ProposedContext, ProposedRole } from '../net/negotiation/index.js';
import {
  defaultStorageAcceptance,
  queryContext,
  storageContextsForGet,
} from '../net/services/query-models.js';
import { DicomServer, type AllowedPeer } from '../net/services/server.js';
import { instanceStore, type CommitHook } from '../receive/instance-store.js';
import type { Db } from '../store/database.js';
import {
  createRun,
  getRun,
  latestRunOfSpec,
  rowStateCounts,
  runRows,
  setRunState,
  skipPendingRows,
  takeRun,
  type NewRow,
  type RunRecord,
} from '../store/queries/retrieve.js';
import { RetrieveError } from './errors.js';
import {
  cfindOutputCsv,
  CFIND_OUTPUT_FILE,
  REPORT_FILE,
  reportCsv,
  writeAtomically,
} from './output/report.js';
import type { PreparedCohort } from './prepare.js';
import { Arrivals, type Arrival } from './run/arrivals.js';
import { systemRunClock, type RunClock } from './run/clock.js';
import { RunExecutor, type Delivery, type RunEnding, type RunEvent } from './run/executor.js';
import { PacsGate } from './run/gate.js';
import { ClientPool } from './run/pool.js';
import { pacsLabel, specHash, type RetrieveSpec } from './spec.js';

/** `host:pid:token`: who executes a run; the pid tells whether the owner still lives. */
export function newOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** Whether the process named by an owner string is alive (same host: by pid; else by heartbeat). */
export function ownerAlive(run: RunRecord, now: number, staleMs = 60_000): boolean {
  if (run.owner === null) return false;
  const [host, pid] = run.owner.split(':');
  if (host !== hostname()) return run.heartbeatAt !== null && now - run.heartbeatAt < staleMs;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface OpenRunOptions {
  /** Start a new run even if one exists for the same spec. */
  readonly fresh?: boolean | undefined;
  readonly owner: string;
  readonly now: number;
}

export type OpenedRun =
  | { readonly kind: 'started' | 'resumed'; readonly run: RunRecord }
  | { readonly kind: 'finished'; readonly run: RunRecord };

/** The rows of a new run from the plan. */
function newRows(prepared: PreparedCohort): NewRow[] {
  return prepared.plan.rows.map((r) => ({
    row: r.row,
    line: r.line,
    cells: r.cells,
    query: r.kind === 'query' ? r.query : null,
    state: r.kind === 'query' ? 'pending' : 'skipped',
    error: r.kind === 'invalid' ? `line ${r.line}: ${r.problem}` : undefined,
  }));
}

/**
 * Finds the run of `spec` (the latest one; an unfinished one is resumed, a finished one is
 * reported as such) or creates it, and takes it for `owner`.
 */
export async function openRun(
  db: Db,
  spec: RetrieveSpec,
  prepared: PreparedCohort,
  options: OpenRunOptions,
): Promise<OpenedRun> {
  const hash = specHash(spec);
  const latest = await latestRunOfSpec(db.kysely, hash);
  if (latest !== undefined && options.fresh !== true) {
    if (latest.state === 'done') return { kind: 'finished', run: latest };
    if (latest.state !== 'cancelled')
      return { kind: 'resumed', run: await takeOver(db, latest, options) };
  }
  let id = hash.slice(0, 8);
  for (let n = 2; (await getRun(db.kysely, id)) !== undefined; n++) id = `${hash.slice(0, 8)}-${n}`;
  await db.transaction((tx) =>
    createRun(
      tx,
      {
        id,
        specHash: hash,
        spec,
        kind: spec.kind,
        csvPath: spec.csvPath,
        pacs: pacsLabel(spec.pacs),
        owner: options.owner,
      },
      newRows(prepared),
      options.now,
    ),
  );
  return { kind: 'started', run: (await getRun(db.kysely, id))! };
}

/** Resumes a run by id (`--resume RUN`). */
export async function resumeRun(db: Db, id: string, options: OpenRunOptions): Promise<OpenedRun> {
  const run = await getRun(db.kysely, id);
  if (run === undefined) throw new RetrieveError('RUN_NOT_FOUND', `no retrieval run ${id}`);
  if (run.state === 'done') return { kind: 'finished', run };
  return { kind: 'resumed', run: await takeOver(db, run, options) };
}

async function takeOver(db: Db, run: RunRecord, options: OpenRunOptions): Promise<RunRecord> {
  if (run.state === 'cancelled') {
    throw new RetrieveError(
      'RUN_CANCELLED',
      `run ${run.id} was cancelled; start a new one with --fresh`,
    );
  }
  const active = run.state === 'running' || run.state === 'pausing' || run.state === 'cancelling';
  if (active && ownerAlive(run, options.now)) {
    throw new RetrieveError(
      'RUN_BUSY',
      `run ${run.id} is being executed by process ${run.owner ?? '?'}; pause it first (niffler retrieve pause ${run.id})`,
    );
  }
  if (run.state === 'cancelling') {
    await db.transaction(async (tx) => {
      await skipPendingRows(tx, run.id, 'run cancelled', options.now);
      await setRunState(tx, run.id, 'cancelled', options.now);
    });
    throw new RetrieveError(
      'RUN_CANCELLED',
      `run ${run.id} was cancelled; start a new one with --fresh`,
    );
  }
  const taken = await takeRun(
    db.kysely,
    run.id,
    options.owner,
    active ? ['running', 'pausing'] : ['paused', 'failed'],
    active ? run.owner : null,
    options.now,
  );
  if (!taken) {
    throw new RetrieveError('RUN_BUSY', `run ${run.id} was taken by another process just now`);
  }
  return (await getRun(db.kysely, run.id))!;
}

/** Asks a run to pause (its process finishes the rows in flight) or pauses a run nobody executes. */
export async function requestPause(db: Db, id: string, now: number): Promise<string> {
  const run = await getRun(db.kysely, id);
  if (run === undefined) throw new RetrieveError('RUN_NOT_FOUND', `no retrieval run ${id}`);
  if (run.state === 'running' && ownerAlive(run, now)) {
    await setRunState(db.kysely, id, 'pausing', now, { onlyFrom: ['running'] });
    return `run ${id}: pause requested; its process finishes the rows in flight`;
  }
  if (run.state === 'running' || run.state === 'pausing') {
    await setRunState(db.kysely, id, 'paused', now);
    return `run ${id}: paused`;
  }
  return `run ${id} is ${run.state}: nothing to pause`;
}

/** Cancels a run: its process stops at once (C-CANCEL), the rows not done are skipped. */
export async function requestCancel(db: Db, id: string, now: number): Promise<string> {
  const run = await getRun(db.kysely, id);
  if (run === undefined) throw new RetrieveError('RUN_NOT_FOUND', `no retrieval run ${id}`);
  if (run.state === 'done' || run.state === 'cancelled') return `run ${id} is ${run.state}`;
  if ((run.state === 'running' || run.state === 'pausing') && ownerAlive(run, now)) {
    await setRunState(db.kysely, id, 'cancelling', now);
    return `run ${id}: cancel requested; its process stops the requests in flight`;
  }
  await db.transaction(async (tx) => {
    await skipPendingRows(tx, id, 'run cancelled', now);
    await setRunState(tx, id, 'cancelled', now);
  });
  return `run ${id}: cancelled`;
}

// --- Execution --------------------------------------------------------------------------------

export interface ExecuteOptions {
  readonly owner: string;
  readonly clock?: RunClock | undefined;
  readonly onEvent?: ((event: RunEvent) => void) | undefined;
  /** Every instance stored (C-MOVE to us, C-GET), for progress. */
  readonly onArrival?: ((arrival: Arrival) => void) | undefined;
  /** One line for the log (no PHI). */
  readonly log?: ((line: string) => void) | undefined;
  /** Aborting it pauses the run. */
  readonly pauseSignal?: AbortSignal | undefined;
  /** Peers allowed to send to our C-MOVE listener; undefined = any. */
  readonly allowedPeers?: readonly AllowedPeer[] | undefined;
  /** Timeouts towards the PACS, in ms. */
  readonly connectTimeoutMs?: number | undefined;
  readonly associationTimeoutMs?: number | undefined;
  readonly dimseTimeoutMs?: number | undefined;
  readonly heartbeatMs?: number | undefined;
  /**
   * The index commit for what arrives (the receiver's Indexer: instance rows, featuresets,
   * duplicates). Without it, only the arrivals are counted and a second copy is discarded.
   */
  readonly index?: CommitHook | undefined;
}

export interface ExecuteResult {
  readonly ending: RunEnding;
  readonly counts: Partial<Record<string, number>>;
  readonly reportPath: string;
  readonly cfindOutputPath?: string | undefined;
}

async function tlsOptions(spec: RetrieveSpec): Promise<TlsConnectionOptions | undefined> {
  const tls = spec.pacs.tls;
  if (tls === null) return undefined;
  return {
    ...(tls.caFile !== null && { ca: await readFile(tls.caFile) }),
    ...(tls.certFile !== null && { cert: await readFile(tls.certFile) }),
    ...(tls.keyFile !== null && { key: await readFile(tls.keyFile) }),
  };
}

function contextsFor(spec: RetrieveSpec): { contexts: ProposedContext[]; roles?: ProposedRole[] } {
  if (spec.kind !== 'retrieve') return { contexts: [queryContext('study', 'find')] };
  if (spec.mode === 'move') {
    return { contexts: [queryContext('study', 'find'), queryContext('study', 'move')] };
  }
  // C-GET: the storage classes with the compressed syntaxes a PACS may hold images in, each in a
  // context of its own, so that nothing has to be transcoded (Orthanc 1.10 aborts a C-GET on an
  // image it cannot transcode).
  const storage = storageContextsForGet(defaultStorageAcceptance(), 128 - 2);
  return {
    contexts: [queryContext('study', 'find'), queryContext('study', 'get'), ...storage.contexts],
    roles: storage.roles,
  };
}

/** Executes a taken run to its end (done, paused, cancelled, failed) and writes its reports. */
export async function executeRun(
  db: Db,
  run: RunRecord,
  spec: RetrieveSpec,
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  const clock = options.clock ?? systemRunClock;
  const log = options.log ?? (() => undefined);
  await mkdir(spec.out, { recursive: true });
  const arrivals = new Arrivals(options.onArrival);
  const landing = instanceStore({
    root: spec.out,
    pathTemplate: spec.pathTemplate,
    fsync: spec.fsync,
    clock: () => clock.now(),
    commit: async (stored) => {
      // Indexed first: an instance counts as arrived once its row is committed.
      const result = options.index !== undefined ? await options.index(stored) : undefined;
      arrivals.record(stored);
      if (result !== undefined) return result;
      // The template names each file by its SOP Instance UID: a taken name is this instance,
      // stored before (a retried or resumed study). Keep the first copy.
      return stored.relativePath === stored.templatePath ? undefined : { discard: true };
    },
  });

  let server: DicomServer | undefined;
  let delivery: Delivery | undefined;
  if (spec.kind === 'retrieve') {
    if (spec.mode === 'get') {
      delivery = { kind: 'get', sink: landing };
    } else if (spec.destinationAeTitle !== null && spec.destinationAeTitle !== spec.ourAeTitle) {
      delivery = { kind: 'move', destination: spec.destinationAeTitle, external: true };
      log(
        `C-MOVE destination ${spec.destinationAeTitle} is another system: counts are checked, not files`,
      );
    } else {
      server = new DicomServer({
        aeTitle: spec.ourAeTitle,
        host: spec.ourHost,
        port: spec.ourPort,
        allowedPeers: options.allowedPeers,
        handlers: { store: landing, echo: () => 0 },
      });
      try {
        const address = await server.listen();
        log(`receiving C-MOVE results as ${spec.ourAeTitle} on ${address.host}:${address.port}`);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new RetrieveError(
          'BAD_OPTION',
          `cannot listen on ${spec.ourHost}:${spec.ourPort} for the C-MOVE results (${code})` +
            (code === 'EADDRINUSE'
              ? ": another program (a running niffler start?) has the port; use --port, or --dest with that program's AE title"
              : ''),
          { cause: error },
        );
      }
      delivery = { kind: 'move', destination: spec.ourAeTitle, external: false };
    }
  }

  const { contexts, roles } = contextsFor(spec);
  const pool = new ClientPool({
    pacs: {
      aeTitle: spec.pacs.aeTitle,
      host: spec.pacs.host,
      port: spec.pacs.port,
      tls: await tlsOptions(spec),
    },
    callingAeTitle: spec.ourAeTitle,
    contexts,
    roles,
    connectTimeoutMs: options.connectTimeoutMs,
    associationTimeoutMs: options.associationTimeoutMs,
    dimseTimeoutMs: options.dimseTimeoutMs ?? 600_000,
  });
  const window = spec.pacs.window === null ? undefined : parseTimeWindow(spec.pacs.window);
  const gate = new PacsGate({
    maxConcurrent: spec.pacs.maxConcurrent,
    maxPerMinute: spec.pacs.maxPerMinute ?? undefined,
    window,
    timeZone: spec.timeZone ?? undefined,
    clock,
    onWait: (reason, ms) => options.onEvent?.({ kind: 'wait', reason, ms }),
  });
  const executor = new RunExecutor({
    db,
    runId: run.id,
    owner: options.owner,
    kind: spec.kind,
    pool,
    gate,
    delivery,
    arrivals,
    concurrency: spec.concurrency,
    studiesPerRequest: spec.pacs.studiesPerRequest ?? 1,
    retry: {
      maxAttempts: spec.maxAttempts,
      baseMs: spec.backoffSeconds * 1000,
      maxMs: spec.backoffMaxSeconds * 1000,
    },
    clock,
    heartbeatMs: options.heartbeatMs,
    pauseSignal: options.pauseSignal,
    onEvent: options.onEvent,
  });
  let ending: RunEnding;
  try {
    ending = await executor.run();
  } finally {
    await pool.close();
    await server?.close(5_000);
    // The temporary names removed after the last answers, and the directory descriptors.
    await landing.settled();
  }
  return { ending, ...(await writeReports(db, run.id, spec)) };
}

/** Rewrites report.csv (and cfind-output.csv) from the database; the row counts by state. */
export async function writeReports(
  db: Db,
  runId: string,
  spec: RetrieveSpec,
): Promise<Omit<ExecuteResult, 'ending'>> {
  await mkdir(spec.out, { recursive: true });
  const rows = await runRows(db.kysely, runId);
  const headers = spec.columns.map((c) => c.header);
  const reportPath = await writeAtomically(spec.out, REPORT_FILE, reportCsv(headers, rows));
  const cfindOutputPath =
    spec.kind === 'retrieve'
      ? undefined
      : await writeAtomically(spec.out, CFIND_OUTPUT_FILE, cfindOutputCsv(spec.kind, rows));
  return { counts: await rowStateCounts(db.kysely, runId), reportPath, cfindOutputPath };
}
