import type { Command } from 'commander';

export function registerStart(root: Command): void {
  root
    .command('start')
    .description(
      'run the receiver: a storage SCP that makes each image durable, indexes it, extracts ' +
        'featuresets, tracks series completion, answers C-FIND/C-MOVE/C-GET and serves status ' +
        'and metrics over HTTP',
    )
    .option(
      '--config <file>',
      'configuration file, YAML or JSON (default: NIFFLER_CONFIG, else built-in defaults)',
    )
    .action(async (options: { config?: string }) => {
      const { start } = await import('../actions/start.js');
      await start(options.config);
    });
}
