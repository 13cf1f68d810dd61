/**
 * Every SQL statement of the store, one file per concern (as graphile/worker keeps src/sql/):
 * nothing outside ./queries/ and ../migrations/ writes SQL.
 */
export * from './completion.js';
export * from './featuresets.js';
export * from './find.js';
export * from './index-instance.js';
export * from './jobs.js';
export { fromJson, stripNul, toJson } from './json.js';
export * from './matching.js';
export * from './retention.js';
export * from './retrieve.js';
export * from './summary.js';
