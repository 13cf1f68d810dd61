/**
 * Image export for research (issue 6): `niffler export png` and `niffler export nifti`.
 *
 * - render.ts, attributes.ts, lut.ts, colour.ts, stored.ts: one frame to display values (pure).
 * - png.ts: a rendered frame to PNG bytes (sharp).
 * - nifti/: slices to a NIfTI-1 volume (geometry and header pure; series.ts writes).
 * - pseudonym.ts, layout.ts: keyed-pseudonym folder and file names (pure).
 * - headers.ts, phi.ts: metadata.csv columns and the PHI rule (pure).
 * - journal.ts, nifti/journal.ts: the SQLite state that makes a run resumable.
 * - run-png.ts, run-nifti.ts: the runs (walk, worker pool, journal, CSVs).
 */
export { renderAttributes, type RenderAttributes } from './attributes.js';
export { ExportError, type ExportErrorCode } from './errors.js';
export { FAILURE_REASONS, type Failure, type FailureReason } from './failures.js';
export { headerColumns, type HeaderFilter, type PrivateAttribute } from './headers.js';
export { IMAGES_FOLDER, LEVELS, type Level } from './layout.js';
export { encodeNiftiHeader, type NiftiHeader } from './nifti/header.js';
export { planVolume, type VolumePlan } from './nifti/geometry.js';
export { VOLUMES_FOLDER } from './nifti/series.js';
export { FAILURES_CSV, MAPPING_CSV, METADATA_CSV, type ColumnChoice } from './outputs.js';
export { isPhi } from './phi.js';
export { encodePng, type PngOptions } from './png.js';
export { progressLine, progressWriter, type ProgressState } from './progress.js';
export { pseudonymizer, type Pseudonymizer } from './pseudonym.js';
export {
  renderFrame,
  type OutputBits,
  type RenderOptions,
  type RenderResult,
  type WindowChoice,
} from './render.js';
export { exportNifti, type NiftiExportOptions, type NiftiSummary } from './run-nifti.js';
export { exportPng, type ExportSummary, type PngExportOptions } from './run-png.js';
