/**
 * The levels `--level` flattens extracted-images/ to (layout.ts builds the folders). Constants
 * without imports, so that the CLI can offer the choices without loading the export pipeline.
 */
export type Level = 'patient' | 'study' | 'series';
export const LEVELS: readonly Level[] = ['patient', 'study', 'series'];
