import type { Command } from 'commander';
import type { ImportOptions } from '../actions/config.js';

export function registerConfig(root: Command): void {
  const config = root.command('config').description('configuration tools');
  config
    .command('import-niffler')
    .description(
      "convert the original Niffler's cold-extraction system.json and config.json into our configuration (YAML), with a warning for each key that has no equivalent",
    )
    .argument('[system.json]', "cold-extraction's system.json")
    .argument('[config.json]', "cold-extraction's config.json")
    .option('--meta <file>', "meta-extraction's service/system.json")
    .option('--csv <file>', 'the cohort CSV, so that columns are mapped by header, not position')
    .option('--out <file>', 'write the configuration here (default: standard output)')
    .action(
      async (
        systemFile: string | undefined,
        configFile: string | undefined,
        options: ImportOptions,
      ) => {
        const { importNiffler } = await import('../actions/config.js');
        await importNiffler(systemFile, configFile, options);
      },
    );
}
