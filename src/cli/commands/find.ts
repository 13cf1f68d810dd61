import type { Command } from 'commander';
import { addQueryOptions, addScuOptions } from '../net-options.js';
import type { FindCliOptions } from '../actions/find.js';

export function registerFind(root: Command): void {
  addScuOptions(
    addQueryOptions(
      root
        .command('find')
        .description('query a peer (C-FIND) and print the matches: a table, --csv or --json'),
    )
      .option('--json', 'print the matches as an array of DICOM JSON model objects (PS3.18 F.2)')
      .option('--csv', 'print a header and one row per match, the requested keys as columns'),
  ).action(async (options: FindCliOptions) => {
    const { find } = await import('../actions/find.js');
    await find(options);
  });
}
