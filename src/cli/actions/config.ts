import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { importNifflerConfig } from '../../config/index.js';
import { validateConfig } from '../../config/validate.js';
import { parseCsv } from '../../retrieve/cohort/csv.js';
import { CliError } from '../errors.js';

export interface ImportOptions {
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

/** `niffler config import-niffler`: converts, checks against the schema, writes the YAML. */
export async function importNiffler(
  systemFile: string | undefined,
  configFile: string | undefined,
  options: ImportOptions,
): Promise<void> {
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
      options.meta === undefined ? undefined : await readJson(options.meta, 'meta system.json'),
    ...(csvHeader !== undefined && { csvHeader }),
  });
  for (const warning of warnings) process.stderr.write(`niffler config: warning: ${warning}\n`);
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
}
