/**
 * Dates in cohort CSVs: a strptime-style format (the original's DateFormat: `%Y%m%d`,
 * `%m/%d/%Y`...) read into the DICOM DA form (PS3.5 Table 6.2-1: YYYYMMDD), date ranges
 * (`from-to`, either end open, PS3.4 C.2.2.2.5), and the original's StudyMonth column (YYYYMM),
 * which becomes one range query for the whole month rather than the original's one query per day.
 * Pure.
 */

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

export type DateResult = { readonly value: string } | { readonly problem: string };

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** One date in `format`, as YYYYMMDD; undefined when it does not match or is not a real date. */
export function parseDate(text: string, format: string): string | undefined {
  let at = 0;
  let year: number | undefined;
  let month: number | undefined;
  let day: number | undefined;
  let dayOfYear: number | undefined;
  const digits = (min: number, max: number): number | undefined => {
    const match = new RegExp(`^\\d{${min},${max}}`).exec(text.slice(at));
    if (match === null) return undefined;
    at += match[0].length;
    return Number(match[0]);
  };
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      if (text[at] !== ch) return undefined;
      at++;
      continue;
    }
    const directive = format[++i];
    switch (directive) {
      case 'Y':
        year = digits(4, 4);
        if (year === undefined) return undefined;
        break;
      case 'y': {
        const yy = digits(2, 2);
        if (yy === undefined) return undefined;
        // Python's pivot (POSIX): 69-99 are 1969-1999, 00-68 are 2000-2068.
        year = yy >= 69 ? 1900 + yy : 2000 + yy;
        break;
      }
      case 'm':
        month = digits(1, 2);
        if (month === undefined) return undefined;
        break;
      case 'd':
        day = digits(1, 2);
        if (day === undefined) return undefined;
        break;
      case 'j':
        dayOfYear = digits(1, 3);
        if (dayOfYear === undefined) return undefined;
        break;
      case 'b':
      case 'B': {
        const rest = text.slice(at).toLowerCase();
        const full = MONTHS.findIndex((name) => rest.startsWith(name));
        const short = MONTHS.findIndex((name) => rest.startsWith(name.slice(0, 3)));
        const index = directive === 'B' ? full : short;
        if (index < 0) return undefined;
        month = index + 1;
        at += directive === 'B' ? MONTHS[index]!.length : 3;
        break;
      }
      case '%':
        if (text[at] !== '%') return undefined;
        at++;
        break;
      default:
        return undefined;
    }
  }
  if (at !== text.length || year === undefined) return undefined;
  if (dayOfYear !== undefined) {
    const days = daysInMonth(year, 2) === 29 ? 366 : 365;
    if (dayOfYear < 1 || dayOfYear > days) return undefined;
    const date = new Date(Date.UTC(year, 0, dayOfYear));
    month = date.getUTCMonth() + 1;
    day = date.getUTCDate();
  }
  if (month === undefined || day === undefined) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return `${pad(year, 4)}${pad(month, 2)}${pad(day, 2)}`;
}

/**
 * A date cell: one date, or a range `from-to` with either end empty (`20240101-`), each end in
 * `format`. A format that itself contains `-` (`%Y-%m-%d`) is tried at every `-` of the cell.
 */
export function parseDateCell(text: string, format: string): DateResult {
  const value = text.trim();
  const single = parseDate(value, format);
  if (single !== undefined) return { value: single };
  for (let at = value.indexOf('-'); at >= 0; at = value.indexOf('-', at + 1)) {
    const left = value.slice(0, at).trim();
    const right = value.slice(at + 1).trim();
    if (left === '' && right === '') break;
    const from = left === '' ? '' : parseDate(left, format);
    const to = right === '' ? '' : parseDate(right, format);
    if (from === undefined || to === undefined) continue;
    if (from !== '' && to !== '' && from > to) {
      return { problem: `date range '${value}' ends before it starts` };
    }
    return { value: `${from}-${to}` };
  }
  return { problem: `'${value}' is not a date in the format ${format}` };
}

/** The original's StudyMonth (YYYYMM, or YYYY-MM): the whole month as a StudyDate range. */
export function parseStudyMonth(text: string): DateResult {
  const match = /^(\d{4})-?(\d{2})$/.exec(text.trim());
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  if (match === null || month < 1 || month > 12) {
    return { problem: `'${text.trim()}' is not a month as YYYYMM` };
  }
  const first = `${pad(year, 4)}${pad(month, 2)}01`;
  const last = `${pad(year, 4)}${pad(month, 2)}${pad(daysInMonth(year, month), 2)}`;
  return { value: `${first}-${last}` };
}
