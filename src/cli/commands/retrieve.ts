import { InvalidArgumentError, type Command } from 'commander';
import type { RetrieveCliOptions } from '../actions/retrieve.js';
import { parsePort, parsePositiveInteger } from '../net-options.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function choice<T extends string>(values: readonly T[], upper = false) {
  return (value: string): T => {
    const v = (upper ? value.toUpperCase() : value.toLowerCase()) as T;
    if (!values.includes(v)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return v;
  };
}

export function registerRetrieve(root: Command): void {
  const retrieve = root
    .command('retrieve')
    // `retrieve pause RUN --out DIR`: the options after a subcommand are the subcommand's.
    .enablePositionalOptions()
    .description(
      'retrieve the studies of a cohort CSV from a PACS (C-FIND, then C-MOVE or C-GET), resumable; see also: retrieve list|pause|cancel|resume',
    )
    .argument('[csv]', 'the cohort CSV (a header row of DICOM keywords, or mapped with --column)')
    .option('--config <file>', 'configuration file (default: $NIFFLER_CONFIG)')
    .option('--from <AET@HOST:PORT|NAME>', 'the PACS: an address, or a name in retrieve.pacs')
    .option(
      '--out <dir>',
      'where images, report.csv and cfind-output.csv go (default storage.root)',
    )
    .option('--aet <title>', 'our AE title (default retrieve.ourAeTitle)')
    .option(
      '--port <n>',
      'port we receive C-MOVE results on (default retrieve.ourPort, dicom.port)',
      parsePort,
    )
    .option('--host <address>', 'address that listener binds (default dicom.host)')
    .option(
      '--dest <AET>',
      "C-MOVE destination: another system's AE title (a running niffler start)",
    )
    .option(
      '--mode <mode>',
      'move (C-MOVE) or get (C-GET: no inbound port needed)',
      choice(['move', 'get'] as const),
    )
    .option('--find-only', 'only C-FIND: write cfind-output.csv (the original CFIND-ONLY)')
    .option('--find-detailed', 'only C-FIND, more columns (the original CFIND-DETAILED)')
    .option(
      '--level <level>',
      'auto, study or series (default auto: series when a key needs it)',
      choice(['AUTO', 'STUDY', 'SERIES'] as const, true),
    )
    .option(
      '--filter <Keyword=Value>',
      'a key added to every row, e.g. Modality=CT (repeatable)',
      collect,
      [],
    )
    .option(
      '--column <NAME=Keyword>',
      'map a CSV column (header or #index) to a keyword (repeatable)',
      collect,
      [],
    )
    .option(
      '--date-format <format>',
      'strptime format of date columns (default retrieve.csv.dateFormat)',
    )
    .option('--long-accession', 'shorten accession numbers over 16 characters (YYYY -> YY)')
    .option(
      '--on-row-error <what>',
      'skip (default) or stop: a malformed row stops the run before any traffic',
      choice(['skip', 'stop'] as const),
    )
    .option(
      '--window <HH:MM-HH:MM>',
      'only send requests in this daily window, local time (19:00-07:00)',
    )
    .option(
      '--concurrency <n>',
      'requests to the PACS at once (default the PACS maxConcurrent)',
      parsePositiveInteger,
    )
    .option(
      '--studies-per-request <n>',
      'studies named in one C-MOVE/C-GET, a list of UIDs (default the PACS studiesPerRequest, 16)',
      parsePositiveInteger,
    )
    .option('--max-per-minute <n>', 'requests per minute at most', parsePositiveInteger)
    .option('--dry-run', 'print the plan and exit: no connection, no database')
    .option('--resume <run>', 'resume a run by id (no CSV needed)')
    .option('--fresh', 'start a new run even if this command has one')
    .option('--no-email', 'do not send the end-of-run e-mail')
    .option(
      '--progress <how>',
      'auto, bar, lines, json or none',
      choice(['auto', 'bar', 'lines', 'json', 'none'] as const),
      'auto',
    )
    .option('--connect-timeout <s>', 'TCP connect timeout', parsePositiveInteger, 30)
    .option(
      '--dimse-timeout <s>',
      'abort a request the PACS is silent on for this long',
      parsePositiveInteger,
      600,
    )
    .action(async (csv: string | undefined, options: RetrieveCliOptions) => {
      const { runRetrieve } = await import('../actions/retrieve.js');
      process.exitCode = await runRetrieve(csv, options);
    });

  retrieve
    .command('list')
    .description('list the retrieval runs of a database (newest first)')
    .option('--config <file>', 'configuration file')
    .option('--out <dir>', 'the output folder whose runs to list (default storage.root)')
    .action(async (options: { config?: string; out?: string }) => {
      const { listRuns } = await import('../actions/retrieve.js');
      await listRuns(options);
    });
  for (const [name, what] of [
    ['pause', 'pause a run: its process finishes the rows in flight and stops'],
    ['cancel', 'cancel a run: requests in flight are cancelled, the rows not done are skipped'],
  ] as const) {
    retrieve
      .command(name)
      .description(what)
      .argument('<run>', 'the run id (niffler retrieve list)')
      .option('--config <file>', 'configuration file')
      .option('--out <dir>', 'the output folder of the run (default storage.root)')
      .action(async (run: string, options: { config?: string; out?: string }) => {
        const { requestStop } = await import('../actions/retrieve.js');
        await requestStop(name, run, options);
      });
  }
  retrieve
    .command('resume')
    .description('resume a paused, failed or interrupted run (the same as retrieve --resume RUN)')
    .argument('<run>', 'the run id')
    .option('--config <file>', 'configuration file')
    .option('--out <dir>', 'the output folder of the run (default storage.root)')
    .option('--concurrency <n>', 'requests to the PACS at once', parsePositiveInteger)
    .option('--studies-per-request <n>', 'studies in one C-MOVE/C-GET', parsePositiveInteger)
    .option('--window <HH:MM-HH:MM>', 'a new daily window')
    .option('--no-email', 'do not send the end-of-run e-mail')
    .option(
      '--progress <how>',
      'auto, bar, lines, json or none',
      choice(['auto', 'bar', 'lines', 'json', 'none'] as const),
      'auto',
    )
    .action(async (run: string, options: Partial<RetrieveCliOptions>) => {
      const { runRetrieve } = await import('../actions/retrieve.js');
      process.exitCode = await runRetrieve(undefined, {
        filter: [],
        column: [],
        email: true,
        progress: 'auto',
        connectTimeout: 30,
        dimseTimeout: 600,
        ...options,
        resume: run,
      });
    });
}
