/**
 * Where outputs go: the original's tree `extracted-images/<patient>[/<study>[/<series>]]/` cut at
 * the chosen level, but every folder and file name is a keyed pseudonym (pseudonym.ts), and files
 * are named after the SOP Instance UID rather than the source file's name (two files called
 * 1.dcm in two series of one patient overwrote each other at patient level in the original).
 * Pure.
 */
import { readStrings, tagForKeyword, type Dataset, type Tag } from '../dicom/index.js';
import type { Level } from './levels.js';
import type { Pseudonymizer } from './pseudonym.js';

export { LEVELS, type Level } from './levels.js';

/** The folder the images go into, under the output folder (the original's name). */
export const IMAGES_FOLDER = 'extracted-images';

/** Folder names used when an identifier is missing from the header. */
export const MISSING = {
  patient: 'no-patient-id',
  study: 'no-study-uid',
  series: 'no-series-uid',
} as const;

export interface Identity {
  readonly patientId: string | undefined;
  readonly studyUid: string | undefined;
  readonly seriesUid: string | undefined;
  readonly sopInstanceUid: string | undefined;
}

/** The pseudonyms of an object (what metadata.csv carries instead of the identifiers). */
export interface Pseudonyms {
  readonly patient: string;
  readonly study: string;
  readonly series: string;
  readonly instance: string;
}

function tag(keyword: string): Tag {
  const value = tagForKeyword(keyword);
  if (value === undefined) throw new Error(`dictionary lacks ${keyword}`);
  return value;
}

function first(dataset: Dataset, keyword: string): string | undefined {
  const element = dataset.get(tag(keyword));
  if (element?.kind !== 'value' || element.bytes === undefined) return undefined;
  try {
    const value = readStrings(dataset, element)[0]?.trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

export function readIdentity(dataset: Dataset): Identity {
  return {
    patientId: first(dataset, 'PatientID'),
    studyUid: first(dataset, 'StudyInstanceUID'),
    seriesUid: first(dataset, 'SeriesInstanceUID'),
    sopInstanceUid: first(dataset, 'SOPInstanceUID'),
  };
}

/** Pseudonyms for an identity; `sourcePath` names an instance that has no SOP Instance UID. */
export function pseudonymsOf(
  identity: Identity,
  sourcePath: string,
  pseudonym: Pseudonymizer,
): Pseudonyms {
  return {
    patient:
      identity.patientId === undefined ? MISSING.patient : pseudonym('patient', identity.patientId),
    study: identity.studyUid === undefined ? MISSING.study : pseudonym('study', identity.studyUid),
    series:
      identity.seriesUid === undefined ? MISSING.series : pseudonym('series', identity.seriesUid),
    instance:
      identity.sopInstanceUid === undefined
        ? pseudonym('file', sourcePath)
        : pseudonym('instance', identity.sopInstanceUid),
  };
}

/** The folder of an object's images, relative to the output folder, with forward slashes. */
export function imageFolder(names: Pseudonyms, level: Level): string {
  const parts = [IMAGES_FOLDER, names.patient];
  if (level === 'study' || level === 'series') parts.push(names.study);
  if (level === 'series') parts.push(names.series);
  return parts.join('/');
}

/**
 * The PNG of one frame (0-based): `<instance>.png` for a single frame, `<instance>_0001.png` ...
 * for each frame of a multi-frame object (at least 4 digits, more when there are more frames).
 */
export function pngName(instance: string, frame: number, frames: number): string {
  if (frames === 1) return `${instance}.png`;
  const width = Math.max(4, String(frames).length);
  return `${instance}_${String(frame + 1).padStart(width, '0')}.png`;
}
