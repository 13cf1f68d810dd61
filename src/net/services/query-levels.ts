/**
 * The Query/Retrieve information models and levels (PS3.4 C.6) as names only. Constants without
 * imports, so that the CLI can validate `--level` and `--root` without loading the dictionary.
 */
export type QueryRoot = 'patient' | 'study';
export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
export type QueryOperation = 'find' | 'move' | 'get';

export const QUERY_LEVELS: readonly QueryLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];

/** The Study Root model has no PATIENT level (PS3.4 C.6.2.1): PATIENT queries use Patient Root. */
export function defaultRoot(level: QueryLevel): QueryRoot {
  return level === 'PATIENT' ? 'patient' : 'study';
}
