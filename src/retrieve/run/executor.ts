/**
 * Runs the pending rows of a retrieval run: for each row the C-FIND of its query, then the
 * C-MOVE or C-GET of every study (or series) it matched that this run has not fetched yet, with
 * completeness checked against the sub-operation counts, the instances that arrived and the
 * counts the PACS announced. Each study and each row is committed to the database as it
 * finishes, so after a kill the same run resumes with exactly the unfinished rows.
 *
 * Rows run `concurrency` at a time; every request passes the PACS gate (slots, rate, window).
 * Transient failures are retried with exponential backoff; a fatal one stops the run with the
 * rows left pending. A pause (SIGINT, or `niffler retrieve pause` setting the run's state) lets
 * the rows in flight finish; a cancel sends C-CANCEL to them and skips the rest.
 */
import { setMaxListeners } from 'node:events';
import { statusCategory, Status } from '../../net/dimse/status.js';
import { DicomClientError } from '../../net/services/client-errors.js';
import type { RetrieveResult } from '../../net/services/client.js';
import type { StoreHandler } from '../../net/services/handlers.js';
import type { Db } from '../../store/database.js';
import {
  finishRow,
  getUnit,
  heartbeatRun,
  pendingRows,
  rowStateCounts,
  saveUnit,
  setRunState,
  skipPendingRows,
  type RowOutcome,
  type RowRecord,
  type UnitRecord,
} from '../../store/queries/retrieve.js';
import type { PlannedQuery } from '../plan/plan.js';
import type { Arrivals } from './arrivals.js';
import type { RunClock } from './clock.js';
import {
  backoffDelay,
  classifyFailure,
  FatalRunError,
  loggableError,
  messageOf,
  type RetryPolicy,
} from './failures.js';
import type { PacsGate } from './gate.js';
import {
  DETAILED_RETURN_KEYS,
  findMatches,
  retrieveUnits,
  unitsOf,
  type Match,
  type RetrieveUnit,
} from './operations.js';
import type { ClientPool } from './pool.js';

export type RunKind = 'retrieve' | 'find-only' | 'find-detailed';

/** Where the images go: a C-MOVE destination (ours, or another system), or C-GET into a sink. */
export type Delivery =
  | { readonly kind: 'move'; readonly destination: string; readonly external: boolean }
  | { readonly kind: 'get'; readonly sink: StoreHandler };

export type RunEvent =
  | { readonly kind: 'start'; readonly rowsTotal: number; readonly rowsFinished: number }
  | { readonly kind: 'row-start'; readonly row: number; readonly line: number }
  | {
      readonly kind: 'row-done';
      readonly row: number;
      readonly line: number;
      readonly outcome: RowOutcome;
    }
  | {
      readonly kind: 'unit-progress';
      readonly unit: string;
      readonly completed: number;
      readonly failed: number;
      readonly remaining: number | undefined;
    }
  | { readonly kind: 'unit-done'; readonly unit: UnitRecord; readonly reused: boolean }
  | {
      readonly kind: 'wait';
      readonly reason: 'window' | 'rate' | 'retry';
      readonly ms: number;
      /** A retry: the attempt that failed, out of how many, and why (no patient data). */
      readonly retry?: { readonly failed: number; readonly of: number; readonly cause: string };
    }
  | { readonly kind: 'stopping'; readonly why: 'pause' | 'cancel' }
  | { readonly kind: 'notice'; readonly message: string };

export type RunEnding =
  | { readonly state: 'done' }
  | { readonly state: 'paused' }
  | { readonly state: 'cancelled' }
  | { readonly state: 'failed'; readonly error: string };

export interface ExecutorOptions {
  readonly db: Db;
  readonly runId: string;
  /** `host:pid` of this process, the run's owner. */
  readonly owner: string;
  readonly kind: RunKind;
  readonly pool: ClientPool;
  readonly gate: PacsGate;
  /** Undefined for the find-only kinds. */
  readonly delivery?: Delivery | undefined;
  readonly arrivals: Arrivals;
  /** Rows in flight at once (times `studiesPerRequest` when studies are requested in lists). */
  readonly concurrency: number;
  /**
   * Studies named in one C-MOVE or C-GET (a list of UIDs); 1 = one study per request. Used when
   * the images come to us (their arrivals tell each study's completeness); a study the list
   * left incomplete is requested again on its own, and a PACS that answers a list with nothing
   * is asked one study at a time for the rest of the run.
   */
  readonly studiesPerRequest?: number | undefined;
  readonly retry: RetryPolicy;
  readonly clock: RunClock;
  /** How often the run's state is read (pause and cancel requests) and the owner's heartbeat written. */
  readonly heartbeatMs?: number | undefined;
  /** Aborting it pauses the run (Ctrl-C). */
  readonly pauseSignal?: AbortSignal | undefined;
  readonly onEvent?: ((event: RunEvent) => void) | undefined;
}

/** The columns kept from each match for cfind-output.csv. */
export const FIND_ONLY_COLUMNS = [
  'PatientID',
  'StudyInstanceUID',
  'AccessionNumber',
  'StudyDescription',
];
export const FIND_DETAILED_COLUMNS = [
  ...FIND_ONLY_COLUMNS,
  'StudyDate',
  'StudyTime',
  'DeviceSerialNumber',
  'ProtocolName',
  'PerformedProcedureStepDescription',
  'NumberOfStudyRelatedSeries',
  'NumberOfStudyRelatedInstances',
  'AcquisitionDate',
];

/** A study waiting to be requested in a list with others. */
interface QueuedUnit {
  readonly unit: RetrieveUnit;
  readonly resolve: (record: UnitRecord) => void;
  readonly reject: (error: unknown) => void;
}

/** How long a partial list waits for more studies while rows are still being queried. */
const LIST_WAIT_MS = 500;

class Stop extends Error {
  constructor() {
    super('the run is stopping');
    this.name = 'Stop';
  }
}

export class RunExecutor {
  private readonly o: ExecutorOptions;
  /** Aborted on cancel and on a fatal failure: the requests in flight are cancelled. */
  private readonly abort = new AbortController();
  /**
   * Aborted on any stop: requests still waiting for the gate (window, rate) or for a retry give
   * up, and their rows stay pending for the resume.
   */
  private readonly waits = new AbortController();
  private stopping: 'pause' | 'cancel' | 'fatal' | undefined;
  private fatal: FatalRunError | undefined;
  private readonly finds = new Map<string, Promise<Match[]>>();
  private readonly units = new Map<string, Promise<UnitRecord>>();
  /** Studies per C-MOVE/C-GET; 1 once the PACS has shown it does not answer lists. */
  private listSize: number;
  /** Studies waiting for a list request, and the rows still in their C-FIND. */
  private readonly queued: QueuedUnit[] = [];
  private finding = 0;
  private listTimer: NodeJS.Timeout | undefined;

  constructor(options: ExecutorOptions) {
    this.o = options;
    // Every row in flight listens on both signals (its requests and its waits).
    setMaxListeners(0, this.abort.signal, this.waits.signal);
    const delivery = options.delivery;
    const listable =
      options.kind === 'retrieve' &&
      delivery !== undefined &&
      !(delivery.kind === 'move' && delivery.external);
    this.listSize = listable ? Math.max(1, options.studiesPerRequest ?? 1) : 1;
  }

  async run(): Promise<RunEnding> {
    const { db, runId, clock } = this.o;
    const rows = await pendingRows(db.kysely, runId);
    const counts = await rowStateCounts(db.kysely, runId);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    this.emit({ kind: 'start', rowsTotal: total, rowsFinished: total - rows.length });

    const onPause = (): void => this.stop('pause');
    this.o.pauseSignal?.addEventListener('abort', onPause, { once: true });
    if (this.o.pauseSignal?.aborted === true) this.stop('pause');
    const heartbeat = setInterval(() => void this.heartbeat(), this.o.heartbeatMs ?? 2000);
    heartbeat.unref();
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (this.stopping === undefined && next < rows.length) {
          await this.runRow(rows[next++]!);
        }
      };
      // Lists need rows enough in flight to fill them; the gate still bounds the requests.
      const inFlight = this.o.concurrency * this.listSize;
      await Promise.all(
        Array.from({ length: Math.max(1, Math.min(inFlight, rows.length)) }, worker),
      );
    } finally {
      clearInterval(heartbeat);
      this.o.pauseSignal?.removeEventListener('abort', onPause);
    }
    // A request to pause or cancel that came in while the last rows ran.
    await this.heartbeat();

    const now = clock.now();
    if (this.stopping === 'fatal') {
      const error = this.fatal?.message ?? 'failed';
      await setRunState(db.kysely, runId, 'failed', now, { error });
      return { state: 'failed', error };
    }
    if (this.stopping === 'cancel') {
      await db.transaction(async (tx) => {
        await skipPendingRows(tx, runId, 'run cancelled', now);
        await setRunState(tx, runId, 'cancelled', now);
      });
      return { state: 'cancelled' };
    }
    const left = await pendingRows(db.kysely, runId);
    if (left.length > 0) {
      await setRunState(db.kysely, runId, 'paused', now);
      return { state: 'paused' };
    }
    await setRunState(db.kysely, runId, 'done', now, { error: null });
    return { state: 'done' };
  }

  private emit(event: RunEvent): void {
    this.o.onEvent?.(event);
  }

  private stop(why: 'pause' | 'cancel'): void {
    if (this.stopping === 'cancel' || this.stopping === 'fatal') return;
    if (this.stopping === why) return;
    this.stopping = why;
    this.emit({ kind: 'stopping', why });
    this.waits.abort(new Stop());
    if (why === 'cancel') this.abort.abort(new Stop());
  }

  private async heartbeat(): Promise<void> {
    try {
      const state = await heartbeatRun(
        this.o.db.kysely,
        this.o.runId,
        this.o.owner,
        this.o.clock.now(),
      );
      if (state === 'pausing' || state === 'paused') this.stop('pause');
      if (state === 'cancelling' || state === 'cancelled') this.stop('cancel');
    } catch {
      // The next heartbeat tries again; the rows' own writes report a lost database.
    }
  }

  // --- Rows -------------------------------------------------------------------------------------

  private async runRow(row: RowRecord): Promise<void> {
    this.emit({ kind: 'row-start', row: row.row, line: row.line });
    let outcome: RowOutcome;
    try {
      outcome = await this.processRow(row);
    } catch (error) {
      if (error instanceof FatalRunError) {
        this.fatal ??= error;
        this.stopping = 'fatal';
        this.abort.abort(new Stop());
        this.waits.abort(new Stop());
        return;
      }
      if (error instanceof Stop || this.stopping === 'cancel') return;
      throw error;
    }
    if (this.stopping === 'cancel' || this.stopping === 'fatal') return;
    await finishRow(this.o.db.kysely, this.o.runId, row.row, outcome, this.o.clock.now());
    this.emit({ kind: 'row-done', row: row.row, line: row.line, outcome });
  }

  private async processRow(row: RowRecord): Promise<RowOutcome> {
    // Counted as finding until its studies are queued, so that lists wait for them.
    this.finding++;
    let finding = true;
    const found = (): void => {
      if (!finding) return;
      finding = false;
      this.finding--;
      this.sendLists();
    };
    try {
      return await this.queryAndFetch(row, found);
    } finally {
      found();
    }
  }

  private async queryAndFetch(row: RowRecord, found: () => void): Promise<RowOutcome> {
    const query = row.query as PlannedQuery;
    let attempts = 0;
    let matches: Match[];
    try {
      matches = await this.find(query, (n) => (attempts = n));
    } catch (error) {
      if (error instanceof FatalRunError || error instanceof Stop) throw error;
      return {
        state: 'failed',
        studiesMatched: null,
        instancesExpected: null,
        instancesReceived: null,
        error: `C-FIND: ${messageOf(error)}`,
        attempts,
      };
    }
    const studies = new Set(matches.map((m) => m['StudyInstanceUID'] ?? '')).size;
    if (this.o.kind !== 'retrieve') {
      const columns = this.o.kind === 'find-detailed' ? FIND_DETAILED_COLUMNS : FIND_ONLY_COLUMNS;
      const expected = matches.map((m) => Number(m['NumberOfStudyRelatedInstances'] ?? NaN));
      return {
        state: matches.length === 0 ? 'not-found' : 'done',
        studiesMatched: studies,
        instancesExpected: expected.every(Number.isSafeInteger) ? sumOf(expected) : null,
        instancesReceived: null,
        matches: matches.map((m) => Object.fromEntries(columns.map((c) => [c, m[c] ?? '']))),
        attempts,
      };
    }
    const units = unitsOf(matches, query.level);
    if (units.length === 0) {
      return {
        state: 'not-found',
        studiesMatched: 0,
        instancesExpected: null,
        instancesReceived: 0,
        attempts,
      };
    }
    const results: UnitRecord[] = [];
    if (this.listSize > 1) {
      const records = units.map((unit) => this.unit(unit));
      found();
      results.push(...(await Promise.all(records)));
    } else {
      found();
      for (const unit of units) {
        if (this.stopping === 'cancel' || this.stopping === 'fatal') throw new Stop();
        results.push(await this.unit(unit));
      }
    }
    const incomplete = results.filter((u) => u.state !== 'done');
    const received = sumOf(results.map((u) => u.received));
    const expected = results.every((u) => u.expected !== null)
      ? sumOf(results.map((u) => u.expected ?? 0))
      : null;
    return {
      state: incomplete.length === 0 ? 'done' : received > 0 ? 'partial' : 'failed',
      studiesMatched: new Set(results.map((u) => u.studyInstanceUid)).size,
      instancesExpected: expected,
      instancesReceived: received,
      error:
        incomplete.length === 0
          ? undefined
          : `${incomplete.length} of ${results.length} ${query.level === 'SERIES' ? 'series' : 'studies'} incomplete: ${incomplete[0]!.error ?? 'incomplete'}`,
      attempts: Math.max(attempts, ...results.map((u) => u.attempts)),
    };
  }

  /** The matches of a query; identical queries of several rows share one C-FIND. */
  private find(query: PlannedQuery, onAttempt: (n: number) => void): Promise<Match[]> {
    let found = this.finds.get(query.id);
    if (found === undefined) {
      const extra = this.o.kind === 'find-detailed' ? DETAILED_RETURN_KEYS : [];
      found = this.withRetries(
        'C-FIND',
        () =>
          this.o.gate.run(
            () => findMatches(this.o.pool, query, extra, this.abort.signal),
            this.waits.signal,
          ),
        onAttempt,
      );
      this.finds.set(query.id, found);
      found.catch(() => this.finds.delete(query.id));
    }
    return found;
  }

  /** Retries transient failures with backoff; a fatal one becomes FatalRunError. */
  private async withRetries<T>(
    what: string,
    fn: () => Promise<T>,
    onAttempt: (n: number) => void,
  ): Promise<T> {
    const { retry, clock } = this.o;
    for (let attempt = 1; ; attempt++) {
      onAttempt(attempt);
      try {
        return await fn();
      } catch (error) {
        if (error instanceof Stop || this.stopping === 'cancel' || this.stopping === 'fatal') {
          throw new Stop();
        }
        const kind = classifyFailure(error);
        if (kind === 'fatal') {
          throw new FatalRunError(`${what}: ${messageOf(error)}`, { cause: error });
        }
        if (kind === 'permanent' || attempt >= retry.maxAttempts) throw error;
        const wait = backoffDelay(retry, attempt);
        this.emit({
          kind: 'wait',
          reason: 'retry',
          ms: wait,
          retry: {
            failed: attempt,
            of: retry.maxAttempts,
            cause: `${what}: ${loggableError(messageOf(error))}`,
          },
        });
        await clock.sleep(wait, this.waits.signal);
        if (this.stopping !== undefined) throw new Stop();
      }
    }
  }

  // --- Studies and series -------------------------------------------------------------------

  /** A unit's record: fetched once per run, whichever rows match it. */
  private unit(unit: RetrieveUnit): Promise<UnitRecord> {
    let record = this.units.get(unit.key);
    if (record === undefined) {
      record =
        this.listSize > 1 && unit.seriesInstanceUid === undefined
          ? this.queue(unit)
          : this.fetchUnit(unit);
      this.units.set(unit.key, record);
      record.catch(() => this.units.delete(unit.key));
    }
    return record;
  }

  /**
   * One C-MOVE or C-GET of `units` through the gate, its progress reported under `label` (the
   * unit key, or "N studies" for a list).
   */
  private request(units: readonly RetrieveUnit[], label: string): Promise<RetrieveResult> {
    const delivery = this.o.delivery!;
    return this.o.gate.run(
      () =>
        retrieveUnits(
          this.o.pool,
          units,
          delivery.kind === 'move'
            ? { destination: delivery.destination }
            : { sink: delivery.sink },
          (progress) =>
            this.emit({
              kind: 'unit-progress',
              unit: label,
              completed: (progress.completed ?? 0) + (progress.warning ?? 0),
              failed: progress.failed ?? 0,
              remaining: progress.remaining,
            }),
          this.abort.signal,
        ),
      this.waits.signal,
    );
  }

  // --- Studies in lists ----------------------------------------------------------------------

  private queue(unit: RetrieveUnit): Promise<UnitRecord> {
    return new Promise<UnitRecord>((resolve, reject) => {
      this.queued.push({ unit, resolve, reject });
      this.sendLists();
    });
  }

  /**
   * Sends the queued studies as lists: a full list at once, a partial one when no row is still
   * in its C-FIND (no more studies are coming soon) or after LIST_WAIT_MS.
   */
  private sendLists(): void {
    while (
      this.queued.length > 0 &&
      (this.queued.length >= this.listSize || this.finding === 0 || this.listSize === 1)
    ) {
      void this.fetchList(this.queued.splice(0, this.listSize));
    }
    clearTimeout(this.listTimer);
    this.listTimer = undefined;
    if (this.queued.length > 0) {
      this.listTimer = setTimeout(() => {
        this.listTimer = undefined;
        if (this.queued.length > 0) void this.fetchList(this.queued.splice(0, this.listSize));
        this.sendLists();
      }, LIST_WAIT_MS);
      this.listTimer.unref();
    }
  }

  /**
   * One C-MOVE/C-GET for the studies of `list` (those this run has not fetched before). A study
   * is done when the list request ended cleanly and every instance the PACS announced for it
   * arrived; any other study is requested again on its own, with the usual retries.
   */
  private async fetchList(list: readonly QueuedUnit[]): Promise<void> {
    const { db, runId, arrivals, clock } = this.o;
    const todo: QueuedUnit[] = [];
    for (const queued of list) {
      try {
        const existing = await getUnit(db.kysely, runId, queued.unit.key);
        if (existing === undefined) {
          todo.push(queued);
        } else {
          this.emit({ kind: 'unit-done', unit: existing, reused: true });
          queued.resolve(existing);
        }
      } catch (error) {
        queued.reject(error);
      }
    }
    // Checked against the database just above: requested at once.
    const alone = (queued: QueuedUnit): void =>
      void this.requestUnit(queued.unit).then(queued.resolve, queued.reject);
    if (todo.length < 2 || this.listSize === 1) {
      todo.forEach(alone);
      return;
    }
    const units = todo.map((queued) => queued.unit);
    for (const unit of units) arrivals.watch(unit.key);
    let result: RetrieveResult | undefined;
    try {
      result = await this.request(units, `${units.length} studies`);
    } catch (caught) {
      if (caught instanceof Stop || this.stopping !== undefined) {
        for (const unit of units) arrivals.forget(unit.key);
        for (const queued of todo) queued.reject(new Stop());
        return;
      }
      // Whatever went wrong is met again (and retried, or found fatal) study by study.
      result =
        caught instanceof DicomClientError && caught.status !== undefined
          ? {
              status: caught.status,
              ...(caught.subOperations ?? {}),
            }
          : undefined;
    }
    const verdicts = listCompleteness(units, result, (key) => arrivals.count(key));
    const received = sumOf(units.map((unit) => arrivals.count(unit.key)));
    if (result !== undefined && received === 0 && verdicts.every((done) => !done)) {
      this.listSize = 1;
      this.emit({
        kind: 'notice',
        message: `the PACS answered a list of ${units.length} studies with no instance: asking for one study at a time from now on`,
      });
    }
    for (const [i, queued] of todo.entries()) {
      if (!verdicts[i]) {
        alone(queued);
        continue;
      }
      const unit = queued.unit;
      const count = arrivals.count(unit.key);
      const record: UnitRecord = {
        unitKey: unit.key,
        studyInstanceUid: unit.studyInstanceUid,
        seriesInstanceUid: null,
        state: 'done',
        expected: unit.expected ?? null,
        received: count,
        completed: count,
        failed: 0,
        warning: 0,
        bytes: arrivals.bytes(unit.key),
        error: null,
        attempts: 1,
        finishedAt: clock.now(),
      };
      arrivals.forget(unit.key);
      saveUnit(db.kysely, runId, record).then(() => {
        this.emit({ kind: 'unit-done', unit: record, reused: false });
        queued.resolve(record);
      }, queued.reject);
    }
  }

  /** A cancel or a fatal error aborts the requests under way (C-CANCEL). */
  private interrupted(): boolean {
    return this.stopping === 'cancel' || this.stopping === 'fatal';
  }

  /** A unit this run fetched before (a resume) is reused; any other is requested on its own. */
  private async fetchUnit(unit: RetrieveUnit): Promise<UnitRecord> {
    const existing = await getUnit(this.o.db.kysely, this.o.runId, unit.key);
    if (existing !== undefined) {
      this.emit({ kind: 'unit-done', unit: existing, reused: true });
      return existing;
    }
    return this.requestUnit(unit);
  }

  /** Requests one unit (with retries) until it is complete or the attempts run out; saves it. */
  private async requestUnit(unit: RetrieveUnit): Promise<UnitRecord> {
    const { db, runId, arrivals, retry, clock } = this.o;
    const delivery = this.o.delivery!;
    const external = delivery.kind === 'move' && delivery.external;
    arrivals.watch(unit.key);
    let result: RetrieveResult | undefined;
    let error: string | undefined;
    let attempt: number;
    try {
      for (attempt = 1; attempt <= retry.maxAttempts; attempt++) {
        error = undefined;
        try {
          result = await this.request([unit], unit.key);
        } catch (caught) {
          if (caught instanceof Stop || this.interrupted()) throw new Stop();
          const kind = classifyFailure(caught);
          if (kind === 'fatal') {
            throw new FatalRunError(`${operationName(delivery)}: ${messageOf(caught)}`, {
              cause: caught,
            });
          }
          error = messageOf(caught);
          // A failure status still tells how far the sub-operations went.
          result =
            caught instanceof DicomClientError && caught.subOperations !== undefined
              ? { status: caught.status ?? Status.UnableToProcess, ...caught.subOperations }
              : undefined;
          if (kind === 'permanent' && result === undefined) break;
        }
        if (result !== undefined) {
          const check = completeness(unit, result, external ? undefined : arrivals.count(unit.key));
          if (check.complete) break;
          // Cut short by a cancel or another row's fatal error (its C-CANCEL): not a failed
          // attempt, and nothing to save, so a resumed run asks for this study again.
          if (this.interrupted()) throw new Stop();
          error ??= check.reason;
        }
        if (attempt < retry.maxAttempts) {
          const wait = backoffDelay(retry, attempt);
          this.emit({
            kind: 'wait',
            reason: 'retry',
            ms: wait,
            retry: {
              failed: attempt,
              of: retry.maxAttempts,
              cause: `${operationName(delivery)}: ${loggableError(error ?? 'incomplete')}`,
            },
          });
          await clock.sleep(wait, this.waits.signal);
          if (this.stopping !== undefined) throw new Stop();
        }
      }
      const received = external
        ? (result?.completed ?? 0) + (result?.warning ?? 0)
        : arrivals.count(unit.key);
      const complete =
        result !== undefined &&
        completeness(unit, result, external ? undefined : received).complete;
      const record: UnitRecord = {
        unitKey: unit.key,
        studyInstanceUid: unit.studyInstanceUid,
        seriesInstanceUid: unit.seriesInstanceUid ?? null,
        state: complete ? 'done' : received > 0 ? 'partial' : 'failed',
        expected: unit.expected ?? null,
        received,
        completed: result?.completed ?? 0,
        failed: result?.failed ?? 0,
        warning: result?.warning ?? 0,
        bytes: arrivals.bytes(unit.key),
        error: complete ? null : (error ?? 'incomplete'),
        attempts: Math.min(attempt, retry.maxAttempts),
        finishedAt: clock.now(),
      };
      await saveUnit(db.kysely, runId, record);
      this.emit({ kind: 'unit-done', unit: record, reused: false });
      return record;
    } finally {
      arrivals.forget(unit.key);
    }
  }
}

/**
 * Whether a study or series arrived whole: no failed sub-operation, a final status that is not
 * a failure or a cancel, at least the instances the PACS announced in C-FIND, and (when the
 * images come to us) every instance the PACS says it sent actually stored here.
 */
export function completeness(
  unit: RetrieveUnit,
  result: RetrieveResult,
  received: number | undefined,
): { complete: true } | { complete: false; reason: string } {
  const category = statusCategory(result.status);
  const sent = (result.completed ?? 0) + (result.warning ?? 0);
  const got = received ?? sent;
  if (category === 'failure') return { complete: false, reason: `status ${hex(result.status)}` };
  if (category === 'cancel') return { complete: false, reason: 'cancelled' };
  if ((result.failed ?? 0) > 0) {
    return { complete: false, reason: `${result.failed} sub-operations failed` };
  }
  if (unit.expected !== undefined && got < unit.expected) {
    return {
      complete: false,
      reason: `${got} of the ${unit.expected} instances the PACS announced`,
    };
  }
  if (received !== undefined && received < sent) {
    return { complete: false, reason: `the PACS sent ${sent} instances, ${received} were stored` };
  }
  return { complete: true };
}

/**
 * Which studies of a list request arrived whole: none unless the request ended with success or
 * warning, no failed sub-operation and every instance the PACS says it sent stored here; then
 * each study whose announced count arrived (or, with no count announced, that got instances).
 */
export function listCompleteness(
  units: readonly RetrieveUnit[],
  result: RetrieveResult | undefined,
  received: (key: string) => number,
): boolean[] {
  if (result === undefined) return units.map(() => false);
  const category = statusCategory(result.status);
  const sent = (result.completed ?? 0) + (result.warning ?? 0);
  const got = sumOf(units.map((unit) => received(unit.key)));
  const clean =
    category !== 'failure' && category !== 'cancel' && (result.failed ?? 0) === 0 && got >= sent;
  return units.map((unit) => {
    if (!clean) return false;
    const count = received(unit.key);
    return unit.expected === undefined ? count > 0 : count >= unit.expected;
  });
}

function operationName(delivery: Delivery): string {
  return delivery.kind === 'move' ? 'C-MOVE' : 'C-GET';
}

function hex(status: number): string {
  return status.toString(16).toUpperCase().padStart(4, '0');
}

function sumOf(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
