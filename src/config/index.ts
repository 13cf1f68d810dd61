// The configuration layer's public surface. One schema (schema.ts) with the defaults, loaded once
// at start by loadConfig() and frozen; docs/configuration.md is generated from the schema.
export { loadConfig, CONFIG_FILE_VARIABLE } from './load.js';
export type { Config, LoadConfigOptions, LoadedConfig } from './load.js';
export { ConfigError, formatProblem } from './errors.js';
export type { ConfigErrorCode, ConfigProblem, ConfigSource } from './errors.js';
export { configSchema } from './schema.js';
export type { ConfigInput, ConfigOutput } from './schema.js';
export { databaseTarget, SQLITE_FILE_NAME } from './database.js';
export type { DatabaseTarget } from './database.js';
export { redactConfig, REDACTED } from './redact.js';
export { importNifflerConfig } from './niffler-import.js';
export type { NifflerImport, NifflerOriginalFiles } from './niffler-import.js';
export { describeKeys, envName } from './introspect.js';
export type { KeyDoc } from './introspect.js';
export { secretKeys, SECRET_ENV_PREFIX } from './secrets.js';
export type { SecretKey } from './secrets.js';
export { ENV_PREFIX, DATABASE_URL_VARIABLE } from './env.js';
export {
  inTimeWindow,
  isLoopbackHost,
  parsePeerAddress,
  parseTimeOfDay,
  parseTimeWindow,
} from './values.js';
export type { PeerAddress, TimeWindow } from './values.js';
