import { migration0001 } from './0001_initial.js';
import { migration0002 } from './0002_retrieve.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/**
 * Every migration, in order. Add a new one at the end (next number), never edit or remove a
 * released one; `npm run check:schema` enforces both.
 */
export const MIGRATIONS: readonly Migration[] = [migration0001, migration0002];
