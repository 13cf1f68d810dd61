// DICOM files made for a test from a corpus file: the same object with new identities (patient,
// study, series, SOP instance, instance number), written as Part 10 in a temporary folder.
// The source must be explicit or implicit VR little endian (the writer re-encodes it).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tagForKeyword } from '../../src/dicom/dictionary/index.js';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import type { Tag } from '../../src/dicom/tag.js';
import { setStrings } from '../../src/dicom/write/edit.js';
import { encodePart10 } from '../../src/dicom/write/part10.js';
import { corpusRoot } from './corpus.js';

/** pydicom's CT_small.dcm: a 128 x 128 CT in explicit VR little endian (39 KB). */
export const CT_SMALL = path.join(corpusRoot, 'pydicom/test_files/CT_small.dcm');

export interface Identity {
  readonly patientId: string;
  readonly patientName?: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly instanceNumber?: number;
  readonly accessionNumber?: string;
  readonly studyDate?: string;
  readonly modality?: string;
}

const tag = (keyword: string): Tag => {
  const t = tagForKeyword(keyword);
  if (t === undefined) throw new Error(keyword);
  return t;
};

/** Writes `source` with `identity` to `file`; returns the file's path. */
export function writeVariant(source: string, file: string, identity: Identity): string {
  const parsed = parseBuffer(readFileSync(source));
  const ds = parsed.dataset;
  setStrings(ds, tag('PatientID'), [identity.patientId]);
  if (identity.patientName !== undefined)
    setStrings(ds, tag('PatientName'), [identity.patientName]);
  setStrings(ds, tag('StudyInstanceUID'), [identity.studyInstanceUid]);
  setStrings(ds, tag('SeriesInstanceUID'), [identity.seriesInstanceUid]);
  setStrings(ds, tag('SOPInstanceUID'), [identity.sopInstanceUid]);
  if (identity.instanceNumber !== undefined) {
    setStrings(ds, tag('InstanceNumber'), [String(identity.instanceNumber)]);
  }
  if (identity.accessionNumber !== undefined) {
    setStrings(ds, tag('AccessionNumber'), [identity.accessionNumber]);
  }
  if (identity.studyDate !== undefined) setStrings(ds, tag('StudyDate'), [identity.studyDate]);
  if (identity.modality !== undefined) setStrings(ds, tag('Modality'), [identity.modality]);
  const parts = encodePart10(parsed.meta, ds, {
    sourceTransferSyntaxUid: parsed.transferSyntaxUid,
  });
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/**
 * `patients` x `studies` x `series` x `instances` variants of `source` in `directory`, with UIDs
 * under `2.25.<root>...`; returns the files with their identities.
 */
export function writeStudySet(
  source: string,
  directory: string,
  shape: { root: number; patients: number; studies: number; series: number; instances: number },
): { file: string; identity: Identity }[] {
  const out: { file: string; identity: Identity }[] = [];
  for (let p = 1; p <= shape.patients; p++) {
    for (let s = 1; s <= shape.studies; s++) {
      for (let se = 1; se <= shape.series; se++) {
        for (let i = 1; i <= shape.instances; i++) {
          const identity: Identity = {
            patientId: `PAT${shape.root}${String(p).padStart(3, '0')}`,
            patientName: `TEST^PATIENT${p}`,
            studyInstanceUid: `2.25.${shape.root}.${p}.${s}`,
            seriesInstanceUid: `2.25.${shape.root}.${p}.${s}.${se}`,
            sopInstanceUid: `2.25.${shape.root}.${p}.${s}.${se}.${i}`,
            instanceNumber: i,
            accessionNumber: `ACC${shape.root}${p}${s}`,
            studyDate: `2025${String((s % 12) + 1).padStart(2, '0')}15`,
          };
          const file = path.join(directory, `${shape.root}_${p}_${s}_${se}_${i}.dcm`);
          out.push({ file: writeVariant(source, file, identity), identity });
        }
      }
    }
  }
  return out;
}
