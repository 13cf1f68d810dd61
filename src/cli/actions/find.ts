import type { Dataset } from '../../dicom/dataset.js';
import { toDicomJson } from '../../dicom/json.js';
import { tagHex } from '../../dicom/tag.js';
import { readValue } from '../../dicom/values/index.js';
import { decodeLatin1, readStrings, splitStrings } from '../../dicom/values/strings.js';
import { STRING_VRS } from '../../dicom/vr.js';
import { DicomClient } from '../../net/services/client.js';
import type { QueryKey } from '../../net/services/query-identifier.js';
import { queryContext, type QueryLevel } from '../../net/services/query-models.js';
import { CliError } from '../errors.js';
import type { QueryCliOptions, ScuCliOptions } from '../net-options.js';
import { clientOptions, queryFromOptions, scuFailure } from './net.js';

/** What `find` asks for when no key is given: the level's unique key and a few useful ones. */
const DEFAULT_KEYS: Readonly<Record<QueryLevel, readonly string[]>> = {
  PATIENT: ['PatientID', 'PatientName', 'PatientBirthDate', 'NumberOfPatientRelatedStudies'],
  STUDY: [
    'PatientID',
    'PatientName',
    'StudyDate',
    'AccessionNumber',
    'ModalitiesInStudy',
    'StudyDescription',
    'StudyInstanceUID',
  ],
  SERIES: ['PatientID', 'StudyInstanceUID', 'SeriesInstanceUID', 'Modality', 'SeriesNumber'],
  IMAGE: ['PatientID', 'SeriesInstanceUID', 'SOPInstanceUID', 'SOPClassUID', 'InstanceNumber'],
};

export type FindCliOptions = ScuCliOptions & QueryCliOptions & { json?: boolean; csv?: boolean };

export async function find(options: FindCliOptions): Promise<void> {
  try {
    if (options.json === true && options.csv === true) {
      throw new CliError('find: --json and --csv exclude each other', 2);
    }
    const withDefaults =
      options.key.length > 0 ? options : { ...options, key: [...DEFAULT_KEYS[options.level]] };
    const { root, level, keys, identifier } = queryFromOptions(withDefaults);
    const columns = keys.filter((key) => key.name !== 'QueryRetrieveLevel');
    const client = await DicomClient.connect({
      ...clientOptions(options.from, options),
      contexts: [queryContext(root, 'find')],
    });
    try {
      const output =
        options.json === true
          ? jsonOutput()
          : options.csv === true
            ? csvOutput(columns)
            : tableOutput(columns);
      const matches = client.find({ root, level }, identifier);
      for await (const match of matches) output.match(match);
      await matches.done;
      output.end();
    } finally {
      await client.release().catch(() => client.abort());
    }
  } catch (error) {
    throw scuFailure('find', error);
  }
}

interface Output {
  match(match: Dataset): void;
  end(): void;
}

/** The DICOM JSON model array, written as the matches arrive. */
function jsonOutput(): Output {
  let count = 0;
  return {
    match: (match) => {
      const json = JSON.stringify(toDicomJson(match), null, 2).replace(/\n/g, '\n  ');
      process.stdout.write(`${count === 0 ? '[\n  ' : ',\n  '}${json}`);
      count += 1;
    },
    end: () => process.stdout.write(count === 0 ? '[]\n' : '\n]\n'),
  };
}

/** RFC 4180: a header, one row per match, CRLF line ends; values are text (leading zeros stay). */
function csvOutput(columns: readonly QueryKey[]): Output {
  process.stdout.write(`${csvRow(columns.map((key) => key.name))}\r\n`);
  return {
    match: (match) =>
      process.stdout.write(`${csvRow(columns.map((key) => valueText(match, key)))}\r\n`),
    end: () => undefined,
  };
}

/** An aligned table; it needs every row for the widths, so it is written at the end. */
function tableOutput(columns: readonly QueryKey[]): Output {
  const rows: string[][] = [];
  return {
    match: (match) => rows.push(columns.map((key) => valueText(match, key))),
    end: () => {
      process.stdout.write(
        formatTable(
          columns.map((key) => key.name),
          rows,
        ),
      );
      process.stdout.write(`${rows.length} match${rows.length === 1 ? '' : 'es'}\n`);
    },
  };
}

export function formatTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((name, i) =>
    Math.max(name.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
    .map((text) => `${text}\n`)
    .join('');
}

/** One CSV record (RFC 4180 2.6-2.7): fields with a comma, quote, CR or LF are quoted. */
export function csvRow(fields: readonly string[]): string {
  return fields
    .map((field) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field))
    .join(',');
}

/**
 * A value as text, the way it was sent: strings decoded with the character set, multiple values
 * joined with a backslash (PS3.5 6.4), numbers, dates and names as written (an IS keeps its
 * leading zeros); a sequence as its item count.
 */
export function valueText(dataset: Dataset, key: Pick<QueryKey, 'tag'>): string {
  const element = dataset.get(key.tag);
  if (element === undefined) return '';
  if (element.kind === 'sequence') {
    return `(${element.items.length} item${element.items.length === 1 ? '' : 's'})`;
  }
  if (element.kind === 'encapsulated' || element.bytes === undefined) return '(binary)';
  if (STRING_VRS.has(element.vr)) {
    try {
      return readStrings(dataset, element).join('\\');
    } catch {
      return splitStrings(decodeLatin1(element.bytes), element.vr).join('\\');
    }
  }
  const value = readValue(dataset, element, { lenient: true });
  if (value.kind === 'tags') return value.values.map(tagHex).join('\\');
  if (value.kind === 'binary' && !(value.values instanceof Uint8Array)) {
    return Array.from(value.values, String).join('\\');
  }
  return `(${element.bytes.length} bytes)`;
}
