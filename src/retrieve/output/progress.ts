/**
 * Progress of a run, from the executor's events and the arrivals: rows, studies, instances, MB,
 * rate and ETA. The model is pure (time is an argument); the renderers make a one-line bar for a
 * terminal, plain log lines otherwise, and JSON for machines (the web API later). No patient data
 * in any of them: rows are named by number and line.
 */
import type { RowOutcome } from '../../store/queries/retrieve.js';
import type { Arrival } from '../run/arrivals.js';
import type { RunEvent } from '../run/executor.js';
import { loggableError } from '../run/failures.js';

export interface ProgressSnapshot {
  readonly rowsTotal: number;
  readonly rowsFinished: number;
  readonly rowStates: Readonly<Record<string, number>>;
  readonly studiesDone: number;
  readonly instances: number;
  readonly bytes: number;
  /** Instances per second since the start of this execution. */
  readonly rate: number;
  /** Seconds left at the current row pace; undefined before the first row. */
  readonly etaSeconds: number | undefined;
  /** What the run waits for, if it waits. */
  readonly waiting: { readonly reason: string; readonly until: number } | undefined;
  readonly elapsedSeconds: number;
}

export class ProgressModel {
  private rowsTotal = 0;
  private rowsAtStart = 0;
  private rowsFinished = 0;
  private readonly rowStates: Record<string, number> = {};
  private studiesDone = 0;
  private instances = 0;
  private bytes = 0;
  private readonly startedAt: number;
  private waiting: ProgressSnapshot['waiting'];

  constructor(now: number) {
    this.startedAt = now;
  }

  event(event: RunEvent, now: number): void {
    switch (event.kind) {
      case 'start':
        this.rowsTotal = event.rowsTotal;
        this.rowsAtStart = event.rowsFinished;
        this.rowsFinished = event.rowsFinished;
        break;
      case 'row-done':
        this.rowsFinished++;
        this.rowStates[event.outcome.state] = (this.rowStates[event.outcome.state] ?? 0) + 1;
        this.waiting = undefined;
        break;
      case 'unit-done':
        this.studiesDone++;
        break;
      case 'wait':
        this.waiting = { reason: event.reason, until: now + event.ms };
        break;
      case 'row-start':
      case 'unit-progress':
      case 'stopping':
      case 'notice':
        break;
    }
  }

  arrival(arrival: Arrival): void {
    this.instances++;
    this.bytes += arrival.size;
    this.waiting = undefined;
  }

  snapshot(now: number): ProgressSnapshot {
    const elapsed = Math.max(0.001, (now - this.startedAt) / 1000);
    const doneHere = this.rowsFinished - this.rowsAtStart;
    const left = this.rowsTotal - this.rowsFinished;
    return {
      rowsTotal: this.rowsTotal,
      rowsFinished: this.rowsFinished,
      rowStates: { ...this.rowStates },
      studiesDone: this.studiesDone,
      instances: this.instances,
      bytes: this.bytes,
      rate: this.instances / elapsed,
      etaSeconds: doneHere > 0 ? (left * elapsed) / doneHere : undefined,
      waiting: this.waiting !== undefined && this.waiting.until > now ? this.waiting : undefined,
      elapsedSeconds: elapsed,
    };
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The terminal line: `[#####.....] 120/500 rows  98 studies  1734 inst  812.4 MB  41.2/s  ETA 9m12s`. */
export function renderBar(snapshot: ProgressSnapshot, now: number, width = 24): string {
  const fraction = snapshot.rowsTotal === 0 ? 1 : snapshot.rowsFinished / snapshot.rowsTotal;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const tail =
    snapshot.waiting !== undefined
      ? `waiting (${snapshot.waiting.reason}) ${formatDuration((snapshot.waiting.until - now) / 1000)}`
      : snapshot.etaSeconds === undefined
        ? ''
        : `ETA ${formatDuration(snapshot.etaSeconds)}`;
  return [
    bar,
    `${snapshot.rowsFinished}/${snapshot.rowsTotal} rows`,
    `${snapshot.studiesDone} studies`,
    `${snapshot.instances} inst`,
    `${(snapshot.bytes / 1e6).toFixed(1)} MB`,
    `${snapshot.rate.toFixed(1)}/s`,
    tail,
  ]
    .filter((part) => part !== '')
    .join('  ');
}

function describeOutcome(outcome: RowOutcome): string {
  const parts: string[] = [outcome.state];
  if (outcome.studiesMatched !== null) {
    parts.push(`${outcome.studiesMatched} ${outcome.studiesMatched === 1 ? 'study' : 'studies'}`);
  }
  if (outcome.instancesReceived !== null) {
    parts.push(
      `${outcome.instancesReceived}${outcome.instancesExpected === null ? '' : `/${outcome.instancesExpected}`} instances`,
    );
  }
  if (outcome.error !== undefined) parts.push(loggableError(outcome.error));
  return parts.join(', ');
}

/** A log line for an event, or undefined for the events a log does not need. */
export function plainLine(event: RunEvent, snapshot: ProgressSnapshot): string | undefined {
  switch (event.kind) {
    case 'start':
      return `${event.rowsTotal} rows, ${event.rowsFinished} already finished`;
    case 'row-done':
      return `row ${event.row}/${snapshot.rowsTotal} (line ${event.line}): ${describeOutcome(event.outcome)}`;
    case 'wait':
      if (event.retry !== undefined) {
        // Every retry is told, with its cause: a wrong address or a PACS that refuses us should
        // not look like a run that is merely slow.
        const { failed, of, cause } = event.retry;
        const wait = event.ms < 1000 ? `${event.ms} ms` : formatDuration(event.ms / 1000);
        return `attempt ${failed} of ${of} failed (${cause}); retrying in ${wait}`;
      }
      return event.ms >= 1000
        ? `waiting ${formatDuration(event.ms / 1000)} (${event.reason === 'window' ? 'outside the time window' : event.reason === 'rate' ? 'rate limit' : 'retry backoff'})`
        : undefined;
    case 'stopping':
      return event.why === 'pause'
        ? 'pausing: the rows in flight finish, then the run stops (Ctrl-C again to quit now)'
        : 'cancelling: the requests in flight are cancelled';
    case 'notice':
      return event.message;
    case 'row-start':
    case 'unit-progress':
    case 'unit-done':
      return undefined;
  }
}

/** A JSON line for machines: the event and the progress at that moment. */
export function jsonLine(event: RunEvent, snapshot: ProgressSnapshot): string {
  // A find-only row's matches hold patient IDs: counts only. Errors lose the PACS's comment
  // (free text, where some PACS put the patient's name or ID), a row's and a study's alike.
  const safe =
    event.kind === 'row-done'
      ? {
          ...event,
          outcome: {
            ...event.outcome,
            matches: undefined,
            error:
              event.outcome.error === undefined ? undefined : loggableError(event.outcome.error),
          },
        }
      : event.kind === 'unit-done' && event.unit.error !== null
        ? { ...event, unit: { ...event.unit, error: loggableError(event.unit.error) } }
        : event;
  return JSON.stringify({ event: safe, progress: snapshot });
}
