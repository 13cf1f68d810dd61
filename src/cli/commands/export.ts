import { Option, type Command } from 'commander';
import { LEVELS } from '../../export/levels.js';
import type { NiftiCommandOptions, PngCommandOptions } from '../actions/export.js';
import { CliError } from '../errors.js';

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
      const { png } = await import('../actions/export.js');
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
      const { nifti } = await import('../actions/export.js');
      process.exitCode = await nifti(inputs, options);
    });
}
