import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { ConfigError, loadConfig, secretKeys, configSchema } from '../../config/index.js';
import { ExportError } from '../../export/errors.js';
import { type HeaderFilter, type PrivateAttribute } from '../../export/headers.js';
import { FeaturesetError, parseFeatureset } from '../../metadata/index.js';
import { LEVELS, type Level } from '../../export/layout.js';
import type { ColumnChoice } from '../../export/outputs.js';
import { progressWriter, type ProgressState } from '../../export/progress.js';
import { isPhi } from '../../export/phi.js';
import { isPrivateTag, lookupTag, type Tag } from '../../dicom/index.js';
import { exportPng } from '../../export/run-png.js';
import { exportNifti } from '../../export/run-nifti.js';
import { CliError } from '../errors.js';

const KEY_PATH = ['export', 'pseudonymKey'];

/**
 * The spelling `--headers featureset FILE` as one option value (`featureset=FILE`):
 * commander options take one value, and a variadic one would swallow the inputs after it.
 */
export function normalizeExportArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg === '--headers' && next === 'featureset' && argv[i + 2] !== undefined) {
      const file = argv[i + 2]!;
      if (!file.startsWith('-')) {
        out.push(arg, `featureset=${file}`);
        i += 2;
        continue;
      }
    }
    out.push(arg);
  }
  return out;
}

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new CliError(`${name} must be an integer from ${min} to ${max}, not "${value}"`);
    }
    return n;
  };
}

export function registerExport(root: Command): void {
  const command = root
    .command('export')
    .description('export images for research: PNG per frame, or NIfTI volumes per series');
  command
    .command('png')
    .description(
      'DICOM files to PNGs (one per frame) with metadata.csv, mapping.csv and failures.csv; ' +
        'resumable: run the same command again to finish an interrupted export',
    )
    .argument('<input...>', 'DICOM files or folders (searched at every depth, any file name)')
    .requiredOption('--out <dir>', 'output folder')
    .addOption(
      new Option('--level <level>', 'flatten extracted-images/ to this level')
        .choices(LEVELS)
        .default('patient'),
    )
    .addOption(new Option('--bits <n>', 'bits per PNG sample').choices(['8', '16']).default('16'))
    .addOption(
      new Option(
        '--window <choice>',
        "grey levels: 'minmax' stretches each frame's values over the output range; 'file' " +
          "uses the object's window or VOI LUT (min-max when it has none)",
      )
        .choices(['file', 'minmax'])
        .default('minmax'),
    )
    .option(
      '--headers <mode>',
      'metadata.csv columns: public, common (present in >= 90% of rows), all (private too), ' +
        'or featureset FILE (the featureset syntax: a keyword, tag or CREATOR:0019xx0B per line)',
      'public',
    )
    .option('--phi', 'include PHI attributes and the source path in metadata.csv', false)
    .option(
      '--resize <pixels>',
      'fit each PNG inside a square of this size',
      integer('--resize', 1, 65535),
    )
    .option('--workers <n>', 'worker threads (default: one per core)', integer('--workers', 0, 256))
    .option('--retry-failed', 'try again the files that failed in an earlier run', false)
    .option('--config <file>', 'configuration file (for export.pseudonymKey)')
    .option('--no-progress', 'no progress bar')
    .action(async (inputs: string[], options: PngCommandOptions) => {
      process.exitCode = await png(inputs, options);
    });
  registerNifti(command);
}

function registerNifti(command: Command): void {
  command
    .command('nifti')
    .description(
      'DICOM series to NIfTI-1 volumes (.nii.gz, one per series) with metadata.csv, ' +
        'mapping.csv and failures.csv; resumable like export png',
    )
    .argument('<input...>', 'DICOM files or folders (searched at every depth, any file name)')
    .requiredOption('--out <dir>', 'output folder')
    .option(
      '--headers <mode>',
      'metadata.csv columns (from the first slice): public or all (private too)',
      'public',
    )
    .option('--phi', 'include PHI attributes in metadata.csv', false)
    .option('--workers <n>', 'worker threads (default: one per core)', integer('--workers', 0, 256))
    .option('--config <file>', 'configuration file (for export.pseudonymKey)')
    .option('--no-progress', 'no progress bar')
    .action(async (inputs: string[], options: NiftiCommandOptions) => {
      process.exitCode = await nifti(inputs, options);
    });
}

interface NiftiCommandOptions {
  out: string;
  headers: string;
  phi: boolean;
  workers?: number;
  config?: string;
  progress: boolean;
}

async function nifti(inputs: string[], options: NiftiCommandOptions): Promise<number> {
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

interface PngCommandOptions {
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

async function png(inputs: string[], options: PngCommandOptions): Promise<number> {
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
