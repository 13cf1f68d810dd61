// The golden pixel references in test/corpus-ref (a verbatim copy of shared/corpus-ref):
// REFS.tsv (one row per corpus file: decoder, status, decoded geometry, raw length and sha256)
// and VALIDATION.tsv (pairs documented as the same image in two encodings).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Absolute path of test/corpus-ref. */
export const corpusRefRoot = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../corpus-ref',
);

/** The columns of REFS.tsv, in file order. */
export const REFS_COLUMNS = [
  'path',
  'source_ts',
  'decoder',
  'status',
  'out_photometric',
  'rows',
  'cols',
  'frames',
  'spp',
  'bits_allocated',
  'bits_stored',
  'pixel_rep',
  'planar',
  'raw_bytes',
  'raw_sha256',
  'raw_file',
  'png',
  'gdcm_crosscheck',
] as const;

export type RefsColumn = (typeof REFS_COLUMNS)[number];

/** How a reference was obtained: the status column's first word. */
export type RefStatus = 'ok' | 'ok-best-effort' | 'ambiguous' | 'no-ref';

/** One REFS.tsv row: every column as its text, plus the parsed fields tests use. */
export interface RefRow {
  readonly cells: Readonly<Record<RefsColumn, string>>;
  /** Corpus path (relative to test/corpus). */
  readonly path: string;
  /** The source transfer syntax UID, or the text in the file when it is not a UID. */
  readonly transferSyntax: string;
  readonly status: RefStatus;
  /** The status column after its first word (the reason for no-ref, ambiguous...). */
  readonly statusNote: string;
  readonly photometric: string;
  readonly rows: number | undefined;
  readonly columns: number | undefined;
  /** The frames column as text (a malformed input may have '1A'). */
  readonly frames: string;
  readonly samplesPerPixel: number | undefined;
  readonly bitsAllocated: number | undefined;
  /** 0, 1, or undefined when the column is empty (one sample per pixel). */
  readonly planar: number | undefined;
  readonly rawBytes: number | undefined;
  readonly rawSha256: string;
  /** Relative to test/corpus-ref; '' when there is no raw file. */
  readonly rawFile: string;
}

/** The columns of VALIDATION.tsv. */
export const VALIDATION_COLUMNS = [
  'group',
  'expectation',
  'reference',
  'compared',
  'result',
] as const;

export interface ValidationRow {
  readonly group: string;
  /** 'lossless' pairs decode identically; 'lossy' and 'informational' pairs differ. */
  readonly expectation: 'lossless' | 'lossy' | 'informational';
  /** Corpus path of the reference image. */
  readonly reference: string;
  /** Corpus path of the other encoding. */
  readonly compared: string;
  /** IDENTICAL, or `DIFF max|d|=N (...)`. */
  readonly result: string;
  /** N of `DIFF max|d|=N`, 0 for IDENTICAL. */
  readonly maxDifference: number | undefined;
}

function readTsv<C extends string>(file: string, columns: readonly C[]): Record<C, string>[] {
  const text = readFileSync(path.join(corpusRefRoot, file), 'utf8');
  const lines = text.split('\n').filter((line) => line !== '');
  const header = lines.shift()?.split('\t');
  if (header?.join('\t') !== columns.join('\t')) {
    throw new Error(`${file}: unexpected header: ${header?.join(' | ') ?? '(empty file)'}`);
  }
  return lines.map((line, i) => {
    const cells = line.split('\t');
    if (cells.length !== columns.length) {
      throw new Error(`${file} line ${i + 2}: ${cells.length} columns, expected ${columns.length}`);
    }
    return Object.fromEntries(columns.map((c, k) => [c, cells[k] ?? ''])) as Record<C, string>;
  });
}

function integer(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function statusOf(text: string): RefStatus {
  const word = text.split(/[\s:]/)[0];
  if (word === 'ok' || word === 'ok-best-effort' || word === 'ambiguous' || word === 'no-ref') {
    return word;
  }
  throw new Error(`REFS.tsv: unknown status ${JSON.stringify(text)}`);
}

let refs: readonly RefRow[] | undefined;

/** The rows of REFS.tsv (read once). */
export function readRefs(): readonly RefRow[] {
  refs ??= readTsv('REFS.tsv', REFS_COLUMNS).map((cells) => {
    const status = statusOf(cells.status);
    return {
      cells,
      path: cells.path,
      transferSyntax: cells.source_ts,
      status,
      statusNote: cells.status.slice(status.length).replace(/^[\s:]+/, ''),
      photometric: cells.out_photometric,
      rows: integer(cells.rows),
      columns: integer(cells.cols),
      frames: cells.frames,
      samplesPerPixel: integer(cells.spp),
      bitsAllocated: integer(cells.bits_allocated),
      planar: integer(cells.planar),
      rawBytes: integer(cells.raw_bytes),
      rawSha256: cells.raw_sha256,
      rawFile: cells.raw_file,
    };
  });
  return refs;
}

let validation: readonly ValidationRow[] | undefined;

/** The rows of VALIDATION.tsv (read once). */
export function readValidation(): readonly ValidationRow[] {
  validation ??= readTsv('VALIDATION.tsv', VALIDATION_COLUMNS).map((cells) => {
    const expectation = cells.expectation;
    if (expectation !== 'lossless' && expectation !== 'lossy' && expectation !== 'informational') {
      throw new Error(`VALIDATION.tsv: unknown expectation ${expectation}`);
    }
    const diff = /max\|d\|=(\d+)/.exec(cells.result);
    return {
      group: cells.group,
      expectation,
      reference: cells.reference,
      compared: cells.compared,
      result: cells.result,
      maxDifference: cells.result === 'IDENTICAL' ? 0 : diff ? Number(diff[1]) : undefined,
    };
  });
  return validation;
}

/** The decoded reference bytes of a row (gunzipped raw_file); undefined when it has none. */
export function readRawReference(row: RefRow): Uint8Array | undefined {
  if (row.rawFile === '') return undefined;
  return gunzipSync(readFileSync(path.join(corpusRefRoot, row.rawFile)));
}
