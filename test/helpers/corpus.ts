// The real DICOM test corpus in test/corpus (a verbatim copy of shared/corpus; see test/README.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of test/corpus. */
export const corpusRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../corpus');

/** The columns of MANIFEST.tsv, in file order. */
export const MANIFEST_COLUMNS = [
  'path',
  'source_repo',
  'source_path',
  'source_pin',
  'license',
  'sop_class_uid',
  'sop_class_name',
  'modality',
  'transfer_syntax_uid',
  'transfer_syntax_name',
  'photometric',
  'bits_allocated',
  'bits_stored',
  'pixel_representation',
  'samples_per_pixel',
  'planar_configuration',
  'rows_x_cols_x_frames',
  'specific_character_set',
  'size_bytes',
  'sha256',
  'reference',
  'note',
] as const;

export type ManifestColumn = (typeof MANIFEST_COLUMNS)[number];

/** One MANIFEST.tsv row: every column as the text in the file ('' when empty). */
export type ManifestRow = Record<ManifestColumn, string> & {
  /** The file is deliberately broken (its note starts with `MALFORMED`). */
  malformed: boolean;
};

let cached: readonly ManifestRow[] | undefined;

/** The rows of test/corpus/MANIFEST.tsv (read once). Throws if the header or a row is off. */
export function readManifest(): ManifestRow[] {
  cached ??= parseManifest(readFileSync(path.join(corpusRoot, 'MANIFEST.tsv'), 'utf8'));
  return cached.map((row) => ({ ...row }));
}

/** Parses the text of a MANIFEST.tsv. */
export function parseManifest(text: string): ManifestRow[] {
  const lines = text.split('\n').filter((line) => line !== '');
  const header = lines.shift()?.split('\t');
  if (header?.join('\t') !== MANIFEST_COLUMNS.join('\t')) {
    throw new Error(`MANIFEST.tsv: unexpected header: ${header?.join(' | ') ?? '(empty file)'}`);
  }
  return lines.map((line, i) => {
    const cells = line.split('\t');
    if (cells.length !== MANIFEST_COLUMNS.length) {
      throw new Error(
        `MANIFEST.tsv line ${i + 2}: ${cells.length} columns, expected ${MANIFEST_COLUMNS.length}`,
      );
    }
    const row = Object.fromEntries(MANIFEST_COLUMNS.map((c, k) => [c, cells[k] ?? ''])) as Record<
      ManifestColumn,
      string
    >;
    return { ...row, malformed: row.note.startsWith('MALFORMED') };
  });
}

/** Absolute path of a corpus file. */
export function corpusPath(row: Pick<ManifestRow, 'path'>): string {
  return path.join(corpusRoot, row.path);
}
