// Test studies for retrieval: corpus files rewritten (in a temporary folder, never in the corpus)
// with the identities a cohort needs: a patient ID with leading zeros, two studies of one patient,
// a long accession number, dates in chosen months, several series and modalities, and
// uncompressed and compressed transfer syntaxes (RLE, JPEG 2000, JPEG lossless).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseBuffer } from '../../src/dicom/index.js';
import { tagForKeyword } from '../../src/dicom/dictionary/index.js';
import { setStrings } from '../../src/dicom/write/edit.js';
import { encodePart10 } from '../../src/dicom/write/part10.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { corpusRoot } from '../helpers/corpus.js';
import { LOCALHOST } from '../helpers/peers.js';

export interface TestSeries {
  readonly uid: string;
  readonly modality: string;
  /** Corpus files, one instance each. */
  readonly files: readonly string[];
}

export interface TestStudy {
  readonly patientId: string;
  readonly accession: string;
  readonly date: string;
  readonly uid: string;
  readonly description: string;
  readonly series: readonly TestSeries[];
}

const uid = (...parts: number[]): string => `2.25.9${parts.map((p) => String(p)).join('0')}`;

/** The cohort PACS: four studies of three patients, 7 instances. */
export const STUDIES: readonly TestStudy[] = [
  {
    patientId: '000123',
    accession: '0000101',
    date: '20240115',
    uid: uid(1),
    description: 'CT CHEST',
    series: [
      {
        uid: uid(1, 1),
        modality: 'CT',
        files: ['pydicom/test_files/CT_small.dcm', 'pydicom/test_files/CT_small.dcm'],
      },
      { uid: uid(1, 2), modality: 'MR', files: ['pydicom/test_files/MR_small_implicit.dcm'] },
    ],
  },
  {
    patientId: '000123',
    accession: 'A2',
    date: '20240220',
    uid: uid(2),
    description: 'MR HEAD',
    series: [
      {
        uid: uid(2, 1),
        modality: 'MR',
        files: [
          'pydicom/test_files/MR_small_RLE.dcm',
          'pydicom/test_files/MR_small_jp2klossless.dcm',
        ],
      },
    ],
  },
  {
    patientId: '0045678',
    // The CSV carries the 4-digit-year form, E1234562024000789 (17 characters).
    accession: 'E12345624000789',
    date: '20240305',
    uid: uid(3),
    description: 'NM BONE',
    series: [{ uid: uid(3, 1), modality: 'NM', files: ['pydicom-data/JPEG-LL.dcm'] }],
  },
  {
    patientId: 'P4',
    accession: 'A4',
    date: '20240229',
    uid: uid(4),
    description: 'CT ABDOMEN',
    series: [{ uid: uid(4, 1), modality: 'CT', files: ['pydicom/test_files/CT_small.dcm'] }],
  },
];

export interface WrittenInstance {
  readonly file: string;
  readonly sopInstanceUid: string;
  readonly study: TestStudy;
  readonly series: TestSeries;
}

const tag = (keyword: string): number => tagForKeyword(keyword)!;

/** Writes every instance of `studies` into `directory`; one file each. */
export async function writeStudies(
  directory: string,
  studies: readonly TestStudy[] = STUDIES,
): Promise<WrittenInstance[]> {
  const written: WrittenInstance[] = [];
  for (const [s, study] of studies.entries()) {
    for (const [r, series] of study.series.entries()) {
      for (const [i, source] of series.files.entries()) {
        const parsed = parseBuffer(await readFile(path.join(corpusRoot, source)));
        const dataset = parsed.dataset;
        const sopInstanceUid = uid(s + 1, r + 1, i + 1, 7);
        const values: Record<string, string> = {
          PatientID: study.patientId,
          PatientName: `TEST^${study.patientId}`,
          StudyInstanceUID: study.uid,
          SeriesInstanceUID: series.uid,
          SOPInstanceUID: sopInstanceUid,
          AccessionNumber: study.accession,
          StudyDate: study.date,
          StudyDescription: study.description,
          Modality: series.modality,
          InstanceNumber: String(i + 1),
          SeriesNumber: String(r + 1),
        };
        for (const [keyword, value] of Object.entries(values)) {
          setStrings(dataset, tag(keyword), [value]);
        }
        const file = path.join(directory, `${sopInstanceUid}.dcm`);
        await writeFile(
          file,
          encodePart10(parsed.meta, dataset, { sourceTransferSyntaxUid: parsed.transferSyntaxUid }),
        );
        written.push({ file, sopInstanceUid, study, series });
      }
    }
  }
  return written;
}

/** The instances of the studies a test expects, by SOP Instance UID. */
export function instancesOf(
  written: readonly WrittenInstance[],
  studyUids: readonly string[],
  seriesUids?: readonly string[],
): WrittenInstance[] {
  return written.filter(
    (w) =>
      studyUids.includes(w.study.uid) &&
      (seriesUids === undefined || seriesUids.includes(w.series.uid)),
  );
}

/**
 * A test configuration written to `work/niffler.json` and loaded: no fsync, no HTTP, and the
 * given settings (top-level keys replace these defaults).
 */
export async function writeTestConfig(work: string, settings: object): Promise<Config> {
  const file = path.join(work, 'niffler.json');
  await writeFile(
    file,
    JSON.stringify({ storage: { fsync: false }, http: { enabled: false }, ...settings }),
  );
  return loadConfig({ file, env: {} }).config;
}

/**
 * The configuration of the retrieval tests against real PACS: our C-MOVE listener on `scpPort`,
 * two attempts with short backoff.
 */
export function writeRetrievalConfig(work: string, scpPort: number): Promise<Config> {
  return writeTestConfig(work, {
    dicom: { host: LOCALHOST, port: scpPort },
    jobs: { maxAttempts: 2, backoffSeconds: 0.05, backoffMaxSeconds: 0.1 },
  });
}
