import type { Command } from 'commander';
import { parseIntegerIn, parsePort } from '../net-options.js';
import type { StoreScpOptions } from '../actions/store-scp.js';

export function registerStoreScp(root: Command): void {
  root
    .command('store-scp')
    .description('a storage SCP that writes every object it receives as a Part 10 file, verbatim')
    .requiredOption('--aet <title>', 'our AE title')
    .requiredOption('--port <n>', 'TCP port to listen on', parsePort)
    .requiredOption('--out <dir>', 'directory for the received files (<SOPInstanceUID>.dcm)')
    .option('--host <address>', 'address to bind', '0.0.0.0')
    .option('--allow <peers...>', 'accepted calling AE titles, each AET or AET@HOST (default: any)')
    .option('--accept-any-called-aet', 'accept associations addressed to any called AE title')
    .option(
      '--transfer-syntax <uids...>',
      'accept only these transfer syntaxes (default: every one offered)',
    )
    .option(
      '--sop-class <uids...>',
      'accept only these SOP classes (default: every one, unknown included)',
    )
    .option(
      '--max-associations <n>',
      'simultaneous associations',
      parseIntegerIn(1, 65535, 'a number of associations'),
      32,
    )
    .option(
      '--max-pdu <bytes>',
      'our maximum PDU length',
      parseIntegerIn(1, 0xffffffff, 'a PDU length'),
      262144,
    )
    .option('--no-fsync', 'do not fsync files before acknowledging (faster, not durable)')
    .option(
      '--workers <n>',
      'processes sharing the port, each serving whole associations (like storescp --fork)',
      parseIntegerIn(1, 64, 'a number of workers'),
      1,
    )
    .option('--tls-key <file>', 'TLS private key (PEM); with --tls-cert enables TLS')
    .option('--tls-cert <file>', 'TLS certificate (PEM)')
    .option('--tls-ca <file>', 'CA certificates (PEM) to require and verify client certificates')
    .action(async (options: StoreScpOptions) => {
      const { storeScp } = await import('../actions/store-scp.js');
      await storeScp(options);
    });
}
