import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig, secretKeys, configSchema } from '../../config/index.js';
import { ExportError } from '../../export/errors.js';
import { type HeaderFilter, type PrivateAttribute } from '../../export/headers.js';
import { FeaturesetError, parseFeatureset } from '../../metadata/index.js';
import type { Level } from '../../export/levels.js';
import type { ColumnChoice } from '../../export/outputs.js';
import { progressWriter, type ProgressState } from '../../export/progress.js';
import { isPhi } from '../../export/phi.js';
import { isPrivateTag, lookupTag, type Tag } from '../../dicom/index.js';
import { exportPng } from '../../export/run-png.js';
import { exportNifti } from '../../export/run-nifti.js';
import { CliError } from '../errors.js';

const KEY_PATH = ['export', 'pseudonymKey'];

export interface NiftiCommandOptions {
  out: string;
  headers: string;
  phi: boolean;
  workers?: number;
  config?: string;
  progress: boolean;
}

export async function nifti(inputs: string[], options: NiftiCommandOptions): Promise<number> {
  const key = pseudonymKey(options.config);
  if (options.headers !== 'public' && options.headers !== 'all') {
    throw new CliError(`--headers must be public or all for NIfTI, not "${options.headers}"`);
  }
  return runExport(
    'the series in progress',
    options.progress,
    (controls) =>
      exportNifti({
        inputs,
        outDir: options.out,
        key,
        headers: { privateAttributes: options.headers === 'all', phi: options.phi },
        workers: options.workers ?? availableParallelism(),
        ...controls,
      }),
    (summary) => ({
      interrupted: summary.interrupted,
      line:
        `niffler export nifti: ${summary.volumes} volumes, ${summary.failedSeries} series not ` +
        `exported, ${summary.failedFiles} files unreadable` +
        (summary.skippedSeries > 0
          ? `, ${summary.skippedSeries} series done in an earlier run`
          : '') +
        `; ${summary.total.series} volumes in all -> ${summary.files.metadata}, ` +
        `${summary.files.mapping}, ${summary.files.failures}`,
    }),
  );
}

interface RunControls {
  signal: AbortSignal;
  onProgress: ((state: ProgressState) => void) | undefined;
}

/**
 * Runs one export: Ctrl-C or SIGTERM stops it after `inProgress` (a second run resumes), a
 * progress line on stderr unless `showProgress` is off, the summary line on stdout, and an
 * ExportError as one CLI line. Resolves to the exit code (130 when interrupted).
 */
async function runExport<S>(
  inProgress: string,
  showProgress: boolean,
  run: (controls: RunControls) => Promise<S>,
  report: (summary: S) => { line: string; interrupted: boolean },
): Promise<number> {
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) return;
    process.stderr.write(`\nniffler export: stopping after ${inProgress}; run again to resume\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = showProgress
    ? progressWriter(process.stderr, () => performance.now())
    : undefined;
  let last: ProgressState | undefined;
  try {
    const summary = await run({
      signal: abort.signal,
      onProgress:
        progress === undefined
          ? undefined
          : (state) => {
              last = state;
              progress.update(state);
            },
    });
    if (last !== undefined) progress?.finish(last);
    const { line, interrupted } = report(summary);
    process.stdout.write(`${line}\n`);
    return interrupted ? 130 : 0;
  } catch (error) {
    if (error instanceof ExportError) throw new CliError(`${error.message} [${error.code}]`);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export interface PngCommandOptions {
  out: string;
  level: Level;
  bits: '8' | '16';
  window: 'file' | 'minmax';
  headers: string;
  phi: boolean;
  resize?: number;
  workers?: number;
  retryFailed: boolean;
  config?: string;
  progress: boolean;
}

/** The pseudonym key from the configuration (file, NIFFLER_SECRET_EXPORT_PSEUDONYM_KEY...). */
export function pseudonymKey(configFile: string | undefined): string {
  let key: string | null | undefined;
  try {
    key = loadConfig({ file: configFile }).config.export.pseudonymKey;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  if (key === null || key === undefined) {
    const variable = secretKeys(configSchema).find(
      (k) => k.path.join('.') === KEY_PATH.join('.'),
    )?.variable;
    throw new CliError(
      `no pseudonym key [${'NO_KEY' satisfies ExportError['code']}]: folder and file names are ` +
        `keyed pseudonyms (HMAC), and the key must come from you. Set ${variable ?? 'the secret'} ` +
        '(at least 16 characters; e.g. the output of `openssl rand -hex 32`), or ' +
        'export.pseudonymKeyFile in the config file. Keep it: the same key gives the same names.',
    );
  }
  return key;
}

function columnChoice(
  mode: string,
  phiAllowed: boolean,
): { choice: ColumnChoice; filter: HeaderFilter; phi: string[] } {
  if (mode === 'all' || mode === 'public' || mode === 'common') {
    return {
      choice: { kind: mode },
      filter: { privateAttributes: mode === 'all', phi: false },
      phi: [],
    };
  }
  const match = /^featureset[=:](.+)$/.exec(mode);
  if (match === null) {
    throw new CliError(`--headers must be public, common, all or featureset FILE, not "${mode}"`);
  }
  const file = match[1]!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `--headers featureset: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  // The featureset syntax of the whole product (src/metadata): keywords, tags in the original's
  // spellings, private attributes by creator; unknown keywords warn and are ignored.
  let parsed: ReturnType<typeof parseFeatureset>;
  try {
    parsed = parseFeatureset('featureset', text, file);
  } catch (error) {
    if (error instanceof FeaturesetError) throw new CliError(`${error.message} [${error.code}]`);
    throw error;
  }
  for (const warning of parsed.warnings) process.stderr.write(`niffler export: ${warning}\n`);
  const tags = new Set<Tag>();
  const names = new Map<Tag, string>();
  const privateEntries: PrivateAttribute[] = [];
  for (const entry of parsed.featureset.entries) {
    if (entry.kind === 'tag') {
      tags.add(entry.tag);
      names.set(entry.tag, entry.key);
    } else if (entry.kind === 'private') {
      privateEntries.push({ creator: entry.creator, group: entry.group, offset: entry.offset });
    }
  }
  if (tags.size === 0 && privateEntries.length === 0) {
    throw new CliError(`${file}: the featureset names no attribute`);
  }
  const phi = [...names].filter(([tag]) => {
    const entry = lookupTag(tag);
    return isPhi(tag, entry?.vr ?? 'UN', entry?.keyword ?? '');
  });
  return {
    choice: {
      kind: 'featureset',
      tags,
      columns: featuresetColumns(tags, phiAllowed),
    },
    filter: { privateAttributes: true, phi: false, only: tags, onlyPrivate: privateEntries },
    phi: phi.map(([, name]) => name),
  };
}

/**
 * The columns a featureset always gives (present or not in the files): its public attributes
 * by keyword. Private ones are named after their creator, known only from the files.
 */
function featuresetColumns(tags: ReadonlySet<Tag>, phiAllowed: boolean): string[] {
  const columns: string[] = [];
  for (const tag of tags) {
    const entry = lookupTag(tag);
    if (isPrivateTag(tag) || entry === undefined || entry.keyword === '') continue;
    if (!phiAllowed && isPhi(tag, entry.vr, entry.keyword)) continue;
    columns.push(entry.keyword);
  }
  return columns;
}

export async function png(inputs: string[], options: PngCommandOptions): Promise<number> {
  const key = pseudonymKey(options.config);
  const { choice, filter, phi } = columnChoice(options.headers, options.phi);
  const headers: HeaderFilter = { ...filter, phi: options.phi };
  if (phi.length > 0 && !options.phi) {
    process.stderr.write(
      `niffler export: ${phi.join(', ')}: PHI (PS3.15 basic profile), left out of ` +
        'metadata.csv; add --phi to include them\n',
    );
  }
  return runExport(
    'the files in progress',
    options.progress,
    (controls) =>
      exportPng({
        inputs,
        outDir: options.out,
        key,
        level: options.level,
        bits: options.bits === '8' ? 8 : 16,
        window: options.window,
        resize: options.resize,
        columns: choice,
        headers,
        workers: options.workers ?? availableParallelism(),
        retryFailed: options.retryFailed,
        ...controls,
      }),
    (summary) => ({
      interrupted: summary.interrupted,
      line:
        `niffler export png: ${summary.done} exported, ${summary.failed} failed` +
        (summary.skipped > 0 ? `, ${summary.skipped} done in an earlier run` : '') +
        `; ${summary.total.done} exported and ${summary.total.failed} failed in all -> ` +
        `${summary.files.metadata}, ${summary.files.mapping}, ${summary.files.failures}`,
    }),
  );
}
