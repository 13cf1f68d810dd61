import { Command, CommanderError } from 'commander';
import { registerConfig } from './commands/config.js';
import { registerDump } from './commands/dump.js';
import { registerEcho } from './commands/echo.js';
import { normalizeExportArgs, registerExport } from './commands/export.js';
import { registerFind } from './commands/find.js';
import { registerGet } from './commands/get.js';
import { registerMove } from './commands/move.js';
import { registerPixels } from './commands/pixels.js';
import { registerRetrieve } from './commands/retrieve.js';
import { registerSend } from './commands/send.js';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';
import { registerStoreScp } from './commands/store-scp.js';
import { CliError } from './errors.js';
import { packageVersion } from './version.js';

/**
 * Builds the command tree. Commands are thin: they parse arguments and call the layers below.
 *
 * Start-up time is part of every command (`niffler echo` is compared with DCMTK's echoscu, a
 * retrieval with a loop of movescu processes), so building the tree loads only commander and
 * the commands' declarations (commands/*.ts, net-options.ts): each action imports its
 * implementation (actions/*.ts) when it runs, and only that command's layers are loaded.
 */
export function program(): Command {
  const root = new Command('niffler')
    .description('Moves radiology images from hospital PACS into research pipelines.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // Options after a subcommand belong to it (`retrieve pause RUN --out DIR`).
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
    });
  registerDump(root);
  registerPixels(root);
  registerStart(root);
  registerStatus(root);
  registerStoreScp(root);
  registerEcho(root);
  registerSend(root);
  registerFind(root);
  registerMove(root);
  registerGet(root);
  registerRetrieve(root);
  registerConfig(root);
  registerExport(root);
  return root;
}

/** Runs the CLI with the arguments after the program name; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const root = program();
  if (argv.length === 0) {
    root.outputHelp();
    return 0;
  }
  try {
    const args = argv[0] === 'export' ? normalizeExportArgs(argv) : argv;
    await root.parseAsync(args, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" in commander's model; their exit code is 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      process.stderr.write(`niffler: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
