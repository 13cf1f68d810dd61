import { mapMarkedLeaves } from './introspect.js';
import type { Config } from './load.js';
import { configSchema, type ConfigOutput } from './schema.js';

export const REDACTED = '[redacted]';

/**
 * A copy of the configuration safe to log or show: every secret replaced by `[redacted]`, and the
 * password of the database URL too.
 */
export function redactConfig(config: Config): ConfigOutput {
  const copy = mapMarkedLeaves(configSchema, structuredClone(config), 'secret', () => REDACTED);
  const out = copy as ConfigOutput;
  if (out.database.url !== null) {
    try {
      const url = new URL(out.database.url);
      if (url.password !== '') {
        url.password = 'redacted';
        out.database.url = url.toString();
      }
    } catch {
      // validated at load: always a URL
    }
  }
  return out;
}
