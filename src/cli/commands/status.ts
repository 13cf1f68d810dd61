import type { Command } from 'commander';

export function registerStatus(root: Command): void {
  root
    .command('status')
    .description(
      'what the receiver is doing: live figures from its HTTP status endpoint, and the index, ' +
        'series, job queue and disk from the database (exit 3 when no receiver answers)',
    )
    .option(
      '--config <file>',
      'configuration file (default: NIFFLER_CONFIG, else built-in defaults)',
    )
    .option('--json', 'print one JSON document')
    .action(async (options: { config?: string; json?: boolean }) => {
      const { status } = await import('../actions/status.js');
      process.exitCode = await status(options.config, options.json === true);
    });
}
