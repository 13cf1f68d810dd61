import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { CliError } from './errors.js';

/**
 * The configuration for a command: `--config FILE`, else NIFFLER_CONFIG, else the defaults (and
 * the environment). Warnings go to stderr; an invalid configuration is a CliError (exit 2) that
 * lists every problem with its file and line, before the command does anything.
 */
export function loadCliConfig(file: string | undefined): Config {
  try {
    const loaded = loadConfig({ file });
    for (const warning of loaded.warnings) process.stderr.write(`niffler: warning: ${warning}\n`);
    return loaded.config;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 2);
    throw error;
  }
}
