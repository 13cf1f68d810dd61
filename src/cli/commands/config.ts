import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { importNifflerConfig } from '../../config/index.js';
import { validateConfig } from '../../config/validate.js';
import { parseCsv } from '../../retrieve/cohort/csv.js';
import { CliError } from '../errors.js';

interface ImportOptions {
  meta?: string;
  csv?: string;
  out?: string;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CliError(`config import-niffler: cannot read ${what} ${file} (${code})`, 2);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(
      `config import-niffler: ${file} is not JSON (${error instanceof Error ? error.message : String(error)})`,
      2,
    );
  }
}

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
        if (systemFile === undefined && configFile === undefined && options.meta === undefined) {
          throw new CliError('config import-niffler: give system.json, config.json or --meta', 2);
        }
        let csvHeader: string[] | undefined;
        if (options.csv !== undefined) {
          try {
            const first = parseCsv(await readFile(options.csv, 'utf8'), options.csv)[0];
            csvHeader = first === undefined ? undefined : [...first.cells];
          } catch (error) {
            throw new CliError(
              `config import-niffler: ${error instanceof Error ? error.message : String(error)}`,
              2,
            );
          }
        }
        const { config: converted, warnings } = importNifflerConfig({
          system: systemFile === undefined ? undefined : await readJson(systemFile, 'system.json'),
          config: configFile === undefined ? undefined : await readJson(configFile, 'config.json'),
          metaSystem:
            options.meta === undefined
              ? undefined
              : await readJson(options.meta, 'meta system.json'),
          ...(csvHeader !== undefined && { csvHeader }),
        });
        for (const warning of warnings)
          process.stderr.write(`niffler config: warning: ${warning}\n`);
        // What we write must load: check it against the schema before writing it.
        const checked = validateConfig(converted, () => ({ kind: 'default' }));
        if (!checked.ok) {
          throw new CliError(
            `config import-niffler: the converted configuration is invalid:\n${checked.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
            1,
          );
        }
        const text =
          '# Converted from the original Niffler configuration by niffler config import-niffler.\n' +
          stringify(converted);
        if (options.out === undefined) process.stdout.write(text);
        else {
          await writeFile(options.out, text);
          process.stderr.write(`niffler config: wrote ${options.out}\n`);
        }
      },
    );
}
