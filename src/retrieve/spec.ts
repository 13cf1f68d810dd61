/**
 * What a retrieval run does, in one serialisable value: stored with the run so that `--resume
 * RUN` needs nothing else, and hashed (its identity part) so that the same command finds its run
 * again after a kill.
 */
import { createHash } from 'node:crypto';
import type { LevelChoice } from './plan/plan.js';
import type { RunKind } from './run/executor.js';

export interface PacsSpec {
  /** The name in retrieve.pacs, or null for an AET@HOST:PORT given on the command line. */
  readonly name: string | null;
  readonly aeTitle: string;
  readonly host: string;
  readonly port: number;
  readonly tls: {
    readonly caFile: string | null;
    readonly certFile: string | null;
    readonly keyFile: string | null;
  } | null;
  readonly maxConcurrent: number;
  /** Studies per C-MOVE/C-GET; absent in runs stored before it existed (then 1). */
  readonly studiesPerRequest?: number | undefined;
  readonly maxPerMinute: number | null;
  /** HH:MM-HH:MM, local time. */
  readonly window: string | null;
}

export interface RetrieveSpec {
  /** Absolute path of the cohort CSV and the SHA-256 of its bytes. */
  readonly csvPath: string;
  readonly csvSha256: string;
  readonly kind: RunKind;
  readonly mode: 'move' | 'get';
  readonly pacs: PacsSpec;
  /** Our calling AE title, and the AE title our C-MOVE listener answers to. */
  readonly ourAeTitle: string;
  /** The port our listener binds for C-MOVE (when we are the destination). */
  readonly ourPort: number;
  readonly ourHost: string;
  /** Another system's AE title as C-MOVE destination; null = us. */
  readonly destinationAeTitle: string | null;
  /** Where images, report.csv and cfind-output.csv go. */
  readonly out: string;
  readonly pathTemplate: string;
  readonly fsync: boolean;
  readonly level: LevelChoice;
  /** `Keyword=Value` keys added to every row's query. */
  readonly filters: readonly string[];
  readonly columnMap: Readonly<Record<string, string>>;
  readonly unmappedColumns: 'keywords' | 'ignore';
  readonly dateFormat: string;
  readonly longAccession: boolean;
  readonly onRowError: 'skip' | 'stop';
  readonly concurrency: number;
  /** Attempts per request and backoff (from the jobs section). */
  readonly maxAttempts: number;
  readonly backoffSeconds: number;
  readonly backoffMaxSeconds: number;
  /** IANA time zone of the window; null = the system's. */
  readonly timeZone: string | null;
  /** The key columns of the CSV, header as written and keyword, for the report. */
  readonly columns: readonly { readonly header: string; readonly keyword: string }[];
}

/**
 * The hash of what defines the work: the CSV's content, the PACS, what is asked for and where it
 * goes. Pacing (concurrency, window, rate, retries) can change between a run and its resume.
 */
export function specHash(spec: RetrieveSpec): string {
  const identity = {
    csv: spec.csvSha256,
    kind: spec.kind,
    mode: spec.mode,
    pacs: `${spec.pacs.aeTitle}@${spec.pacs.host}:${spec.pacs.port}`,
    destination: spec.destinationAeTitle ?? spec.ourAeTitle,
    out: spec.out,
    template: spec.pathTemplate,
    level: spec.level,
    filters: [...spec.filters].sort(),
    columnMap: Object.entries(spec.columnMap).sort(),
    unmappedColumns: spec.unmappedColumns,
    dateFormat: spec.dateFormat,
    longAccession: spec.longAccession,
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

export function pacsLabel(pacs: Pick<PacsSpec, 'aeTitle' | 'host' | 'port'>): string {
  return `${pacs.aeTitle}@${pacs.host.includes(':') ? `[${pacs.host}]` : pacs.host}:${pacs.port}`;
}
