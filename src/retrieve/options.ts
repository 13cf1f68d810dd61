/**
 * A run's spec from the configuration and the command's options (the options win). Every check
 * here happens before the CSV is read or any connection made, and names the option or key.
 */
import path from 'node:path';
import type { Config } from '../config/load.js';
import { PACS_DEFAULTS } from '../config/schema.js';
import { parsePeerAddress, parseTimeWindow } from '../config/values.js';
import { RetrieveError } from './errors.js';
import type { LevelChoice } from './plan/plan.js';
import type { CohortSettings, PreparedCohort } from './prepare.js';
import type { RunKind } from './run/executor.js';
import type { PacsSpec, RetrieveSpec } from './spec.js';

export interface RetrieveInput {
  /** The cohort CSV. */
  readonly csv: string;
  /** `AET@HOST:PORT`, or the name of a PACS in retrieve.pacs; default retrieve.defaultPacs. */
  readonly from?: string | undefined;
  /** Output folder; default storage.root. */
  readonly out?: string | undefined;
  readonly aet?: string | undefined;
  readonly port?: number | undefined;
  readonly host?: string | undefined;
  readonly mode?: 'move' | 'get' | undefined;
  readonly kind?: RunKind | undefined;
  /** Another system's AE title as the C-MOVE destination. */
  readonly dest?: string | undefined;
  readonly window?: string | undefined;
  readonly concurrency?: number | undefined;
  readonly studiesPerRequest?: number | undefined;
  readonly maxPerMinute?: number | undefined;
  readonly level?: LevelChoice | undefined;
  readonly filters?: readonly string[] | undefined;
  /** `NAME=Keyword` column mappings, added to retrieve.csv.columnMap. */
  readonly columns?: readonly string[] | undefined;
  readonly dateFormat?: string | undefined;
  readonly longAccession?: boolean | undefined;
  readonly onRowError?: 'skip' | 'stop' | undefined;
  readonly fsync?: boolean | undefined;
}

function pacsFrom(config: Config, from: string | undefined): PacsSpec {
  const configured = config.retrieve.pacs;
  const names = Object.keys(configured);
  const pick = (name: string): PacsSpec => {
    const p = configured[name]!;
    return {
      name,
      aeTitle: p.aeTitle,
      host: p.host,
      port: p.port,
      tls:
        p.tls === null
          ? null
          : { caFile: p.tls.caFile, certFile: p.tls.certFile, keyFile: p.tls.keyFile },
      maxConcurrent: p.maxConcurrent,
      studiesPerRequest: p.studiesPerRequest,
      maxPerMinute: p.maxPerMinute,
      window: p.window,
    };
  };
  if (from === undefined) {
    const name = config.retrieve.defaultPacs ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) {
      throw new RetrieveError(
        'BAD_OPTION',
        names.length === 0
          ? 'no PACS to retrieve from: give --from AET@HOST:PORT or configure retrieve.pacs'
          : `several PACS are configured (${names.join(', ')}): choose one with --from NAME or retrieve.defaultPacs`,
      );
    }
    return pick(name);
  }
  if (Object.hasOwn(configured, from)) return pick(from);
  const address = parsePeerAddress(from);
  if (address === undefined) {
    throw new RetrieveError(
      'BAD_OPTION',
      `--from ${from}: neither AET@HOST:PORT nor a PACS in retrieve.pacs${names.length > 0 ? ` (${names.join(', ')})` : ''}`,
    );
  }
  // A PACS given by address takes the settings of a configured one with the same address.
  const same = names.find((n) => {
    const p = configured[n]!;
    return p.aeTitle === address.aeTitle && p.host === address.host && p.port === address.port;
  });
  if (same !== undefined) return pick(same);
  return { name: null, ...address, tls: null, ...PACS_DEFAULTS, maxPerMinute: null, window: null };
}

/** What reading the CSV needs, from the configuration and the options. */
export function cohortSettings(config: Config, input: RetrieveInput): CohortSettings {
  const csv = config.retrieve.csv;
  const columnMap: Record<string, string> = { ...csv.columnMap };
  for (const text of input.columns ?? []) {
    const equals = text.lastIndexOf('=');
    if (equals <= 0 || equals === text.length - 1) {
      throw new RetrieveError(
        'BAD_OPTION',
        `--column ${text}: expected NAME=Keyword (EMPI=PatientID)`,
      );
    }
    columnMap[text.slice(0, equals)] = text.slice(equals + 1);
  }
  return {
    columnMap,
    unmappedColumns: csv.unmappedColumns,
    dateFormat: input.dateFormat ?? csv.dateFormat,
    longAccession: input.longAccession ?? csv.longAccession,
    level: input.level ?? 'auto',
    filters: input.filters ?? [],
    onRowError: input.onRowError ?? 'skip',
  };
}

/** Checks the options that need no CSV; returns the PACS. Throws BAD_OPTION. */
export function checkOptions(config: Config, input: RetrieveInput): PacsSpec {
  const pacs = pacsFrom(config, input.from);
  if (input.window !== undefined && parseTimeWindow(input.window) === undefined) {
    throw new RetrieveError(
      'BAD_OPTION',
      `--window ${input.window}: expected HH:MM-HH:MM with different ends (19:00-07:00)`,
    );
  }
  if (input.concurrency !== undefined && (input.concurrency < 1 || input.concurrency > 64)) {
    throw new RetrieveError('BAD_OPTION', `--concurrency ${input.concurrency}: expected 1-64`);
  }
  const list = input.studiesPerRequest;
  if (list !== undefined && (list < 1 || list > 100)) {
    throw new RetrieveError('BAD_OPTION', `--studies-per-request ${list}: expected 1-100`);
  }
  return pacs;
}

/** The spec of a new run. */
export function buildSpec(
  config: Config,
  input: RetrieveInput,
  settings: CohortSettings,
  prepared: PreparedCohort,
): RetrieveSpec {
  const base = checkOptions(config, input);
  const concurrency = input.concurrency ?? base.maxConcurrent;
  const pacs: PacsSpec = {
    ...base,
    window: input.window ?? base.window,
    maxPerMinute: input.maxPerMinute ?? base.maxPerMinute,
    studiesPerRequest: input.studiesPerRequest ?? base.studiesPerRequest,
    // The PACS limit holds whatever the row concurrency: every request takes a slot.
    maxConcurrent: Math.max(base.maxConcurrent, input.concurrency ?? 0),
  };
  const r = config.retrieve;
  return {
    csvPath: path.resolve(input.csv),
    csvSha256: prepared.csvSha256,
    kind: input.kind ?? 'retrieve',
    mode: input.mode ?? r.mode,
    pacs,
    ourAeTitle: input.aet ?? r.ourAeTitle,
    ourPort: input.port ?? r.ourPort ?? config.dicom.port,
    ourHost: input.host ?? config.dicom.host,
    destinationAeTitle: input.dest ?? r.destinationAeTitle,
    out: path.resolve(input.out ?? config.storage.root),
    pathTemplate: config.storage.pathTemplate,
    fsync: input.fsync ?? config.storage.fsync,
    level: settings.level,
    filters: settings.filters,
    columnMap: settings.columnMap,
    unmappedColumns: settings.unmappedColumns,
    dateFormat: settings.dateFormat,
    longAccession: settings.longAccession,
    onRowError: settings.onRowError,
    concurrency,
    maxAttempts: config.jobs.maxAttempts,
    backoffSeconds: config.jobs.backoffSeconds,
    backoffMaxSeconds: config.jobs.backoffMaxSeconds,
    timeZone: config.retention.timezone,
    columns: prepared.columns.map((c) => ({ header: c.header, keyword: c.keyword })),
  };
}
