import type { Command } from 'commander';
import { addQueryOptions, addScuOptions } from '../net-options.js';
import type { GetCliOptions } from '../actions/get.js';

export function registerGet(root: Command): void {
  addScuOptions(
    addQueryOptions(
      root
        .command('get')
        .description(
          'retrieve the matching objects on the same association (C-GET) into a folder, verbatim; Ctrl-C cancels',
        ),
    )
      .requiredOption('--out <dir>', 'folder for the received files (<SOPInstanceUID>.dcm)')
      .option(
        '--sop-class <uids...>',
        'storage SOP classes to accept (default: the common image, SR, RT and document classes)',
      )
      .option(
        '--transfer-syntax <uids...>',
        'transfer syntaxes to accept, each proposed in its own context so nothing is transcoded (default: uncompressed, and JPEG, JPEG-LS, JPEG 2000 and RLE for image classes)',
      )
      .option('--no-fsync', 'do not fsync files before acknowledging (faster, not durable)'),
  ).action(async (options: GetCliOptions) => {
    const { get } = await import('../actions/get.js');
    await get(options);
  });
}
