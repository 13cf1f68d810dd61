/**
 * CSV as RFC 4180 writes it, and as spreadsheets export it: comma-separated, fields optionally in
 * double quotes ("" inside them is one quote, and they may span lines), CRLF or LF line ends, an
 * optional UTF-8 byte order mark. Every cell stays a string: leading zeros and long numbers are
 * never touched (the original read its CSV through pandas, which turned `000123` into `123`).
 * Pure: text in, records out, each with the line it starts on so that errors can name it.
 */
import { RetrieveError } from '../errors.js';

export interface CsvRecord {
  /** The 1-based line of the file the record starts on (the header is usually line 1). */
  readonly line: number;
  readonly cells: readonly string[];
}

/**
 * Splits `text` into records. Lines with no characters at all, and records whose cells are all
 * empty (spreadsheets leave `,,,` rows behind), are skipped. Throws CSV_MALFORMED, naming `file`
 * and the line, for a quote that is never closed or text after a closing quote.
 */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (at < n) {
    const start = line;
    const cells: string[] = [];
    let endOfRecord = false;
    while (!endOfRecord) {
      let cell = '';
      if (text[at] === '"') {
        const quoteLine = line;
        at++;
        for (;;) {
          if (at >= n) {
            throw new RetrieveError(
              'CSV_MALFORMED',
              `${file}: line ${quoteLine}: a quoted field is never closed`,
            );
          }
          const ch = text[at]!;
          if (ch === '"') {
            if (text[at + 1] === '"') {
              cell += '"';
              at += 2;
              continue;
            }
            at++;
            break;
          }
          if (ch === '\n' || (ch === '\r' && text[at + 1] !== '\n')) line++;
          cell += ch;
          at++;
        }
        if (at < n && text[at] !== ',' && text[at] !== '\n' && text[at] !== '\r') {
          throw new RetrieveError(
            'CSV_MALFORMED',
            `${file}: line ${line}: text after the closing quote of a field`,
          );
        }
      } else {
        const from = at;
        while (at < n && text[at] !== ',' && text[at] !== '\n' && text[at] !== '\r') at++;
        cell = text.slice(from, at);
      }
      cells.push(cell);
      if (at >= n) {
        endOfRecord = true;
      } else if (text[at] === ',') {
        at++;
        if (at >= n) cells.push('');
        endOfRecord = at >= n;
      } else {
        // \r\n, \n or \r
        at += text[at] === '\r' && text[at + 1] === '\n' ? 2 : 1;
        line++;
        endOfRecord = true;
      }
    }
    if (cells.some((cell) => cell !== '')) records.push({ line: start, cells });
  }
  return records;
}

/** One field as RFC 4180 wants it: quoted when it holds a comma, quote or line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One field always quoted, as the original's cfind-output.csv wrote its values. */
export function quotedCsvField(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** A CSV line (with its CRLF, as RFC 4180 ends records). */
export function csvLine(values: readonly string[], quote = csvField): string {
  return `${values.map(quote).join(',')}\r\n`;
}
