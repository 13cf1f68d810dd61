/**
 * Dates and times with their precision (PS3.5 table 6.2-1: DA, TM, DT) and the ranges of query
 * keys (PS3.4 C.2.2.2.5). Parsers take one value without padding and return undefined when the
 * text is not a valid value; they never throw.
 */

export type DatePrecision = 'year' | 'month' | 'day';
export type TimePrecision = 'hour' | 'minute' | 'second' | 'fraction';
export type DateTimePrecision = DatePrecision | TimePrecision;

export interface DicomDate {
  readonly year: number;
  readonly month?: number;
  readonly day?: number;
  readonly precision: DatePrecision;
  /** The value as written (padding removed). */
  readonly text: string;
}

export interface DicomTime {
  readonly hours: number;
  readonly minutes?: number;
  /** 0-60: 60 is a leap second. */
  readonly seconds?: number;
  /** The fractional second in microseconds ('.5' gives 500000). */
  readonly fraction?: number;
  /** How many fraction digits the text has (1-6): '.5' has 1, '.500000' has 6. */
  readonly fractionDigits?: number;
  readonly precision: TimePrecision;
  readonly text: string;
}

export interface DicomDateTime {
  readonly year: number;
  readonly month?: number;
  readonly day?: number;
  readonly hours?: number;
  readonly minutes?: number;
  readonly seconds?: number;
  readonly fraction?: number;
  readonly fractionDigits?: number;
  /** The &ZZXX suffix: offset from UTC in minutes (east positive), when present. */
  readonly offsetMinutes?: number;
  readonly precision: DateTimePrecision;
  readonly text: string;
}

/**
 * A range query value. A missing end is open ('-20201231' has no from). A text without a
 * hyphen is a single value: from and to are both that value.
 */
export interface DicomRange<T> {
  readonly from?: T;
  readonly to?: T;
}

const DATE = /^(\d{4})(?:(\d{2})(\d{2})?)?$/;
/** ACR-NEMA 300 dates, still found in old files: YYYY.MM.DD. */
const OLD_DATE = /^(\d{4})\.(\d{2})\.(\d{2})$/;
/** HH, HHMM, HHMMSS, HHMMSS.F to HHMMSS.FFFFFF; 'HHMMSS.' (no digits) is tolerated. */
const TIME = /^(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{0,6}))?)?)?$/;
/** ACR-NEMA 300 times: HH:MM, HH:MM:SS, HH:MM:SS.FFFFFF. */
const OLD_TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{0,6}))?)?$/;
const DATE_TIME =
  /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?)?)?)?([+-]\d{4})?$/;

/** The number written by `count` decimal digits at `start`; -1 if one is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let k = start; k < start + count; k++) {
    const d = text.charCodeAt(k) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

interface DateParts {
  year: number;
  month?: number;
  day?: number;
  precision: DatePrecision;
}

function dateParts(
  yearText: string,
  monthText: string | undefined,
  dayText: string | undefined,
): DateParts | undefined {
  const year = Number(yearText);
  if (monthText === undefined) return { year, precision: 'year' };
  const month = Number(monthText);
  if (month < 1 || month > 12) return undefined;
  if (dayText === undefined) return { year, month, precision: 'month' };
  const day = Number(dayText);
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day, precision: 'day' };
}

interface TimeParts {
  hours: number;
  minutes?: number;
  seconds?: number;
  fraction?: number;
  fractionDigits?: number;
  precision: TimePrecision;
}

function timeParts(
  hoursText: string,
  minutesText: string | undefined,
  secondsText: string | undefined,
  fractionText: string | undefined,
): TimeParts | undefined {
  const hours = Number(hoursText);
  if (hours > 23) return undefined;
  if (minutesText === undefined) return { hours, precision: 'hour' };
  const minutes = Number(minutesText);
  if (minutes > 59) return undefined;
  if (secondsText === undefined) return { hours, minutes, precision: 'minute' };
  const seconds = Number(secondsText);
  if (seconds > 60) return undefined;
  if (fractionText === undefined || fractionText === '') {
    return { hours, minutes, seconds, precision: 'second' };
  }
  return {
    hours,
    minutes,
    seconds,
    fraction: Number(fractionText.padEnd(6, '0')),
    fractionDigits: fractionText.length,
    precision: 'fraction',
  };
}

/**
 * A DA value: YYYYMMDD, or the ACR-NEMA form YYYY.MM.DD. YYYY and YYYYMM (not valid DA, but the
 * leading part of a DT) are accepted with precision 'year' / 'month'. Checks the calendar
 * (20230229 is not a date).
 */
export function parseDate(text: string): DicomDate | undefined {
  // Fast path for the common YYYYMMDD: no regular expression, one object.
  if (text.length === 8) {
    const year = digits(text, 0, 4);
    const month = digits(text, 4, 2);
    const day = digits(text, 6, 2);
    if (year < 0 || month < 0 || day < 0) return undefined;
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
    return { year, month, day, precision: 'day', text };
  }
  const match = DATE.exec(text) ?? OLD_DATE.exec(text);
  if (!match) return undefined;
  const parts = dateParts(match[1]!, match[2], match[3]);
  return parts && { ...parts, text };
}

/** A TM value: HH[MM[SS[.F{1,6}]]], or the ACR-NEMA form HH:MM[:SS[.F{1,6}]]. */
export function parseTime(text: string): DicomTime | undefined {
  // Fast path for the common HHMMSS and HHMMSS.F to HHMMSS.FFFFFF.
  const length = text.length;
  if (length === 6 || (length >= 8 && length <= 13 && text.charCodeAt(6) === 0x2e)) {
    const hours = digits(text, 0, 2);
    const minutes = digits(text, 2, 2);
    const seconds = digits(text, 4, 2);
    if (hours < 0 || minutes < 0 || seconds < 0) return undefined;
    if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
    if (length === 6) return { hours, minutes, seconds, precision: 'second', text };
    const fractionDigits = length - 7;
    const fraction = digits(text, 7, fractionDigits);
    if (fraction < 0) return undefined;
    return {
      hours,
      minutes,
      seconds,
      fraction: fraction * 10 ** (6 - fractionDigits),
      fractionDigits,
      precision: 'fraction',
      text,
    };
  }
  const match = TIME.exec(text) ?? OLD_TIME.exec(text);
  if (!match) return undefined;
  const parts = timeParts(match[1]!, match[2], match[3], match[4]);
  return parts && { ...parts, text };
}

/** A DT value: YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX], the offset within -1200..+1400. */
export function parseDateTime(text: string): DicomDateTime | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const date = dateParts(match[1]!, match[2], match[3]);
  if (date === undefined) return undefined;
  let result: DicomDateTime = { ...date, text };
  if (match[4] !== undefined) {
    const time = timeParts(match[4], match[5], match[6], match[7]);
    if (time === undefined) return undefined;
    result = { ...result, ...time };
  }
  const offset = match[8];
  if (offset !== undefined) {
    const hours = Number(offset.slice(1, 3));
    const minutes = Number(offset.slice(3, 5));
    if (minutes > 59) return undefined;
    const offsetMinutes = (offset[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
    if (offsetMinutes < -12 * 60 || offsetMinutes > 14 * 60) return undefined;
    result = { ...result, offsetMinutes: offsetMinutes === 0 ? 0 : offsetMinutes };
  }
  return result;
}

function parseRange<T>(
  text: string,
  parse: (part: string) => T | undefined,
): DicomRange<T> | undefined {
  const value = text.trim();
  if (value === '' || value === '-') return undefined;
  const single = parse(value);
  if (single !== undefined) return { from: single, to: single };
  // Try every hyphen: a DT offset may hold one too ('20200101-0500-20200102').
  for (let at = value.indexOf('-'); at >= 0; at = value.indexOf('-', at + 1)) {
    const left = value.slice(0, at).trim();
    const right = value.slice(at + 1).trim();
    const from = left === '' ? undefined : parse(left);
    const to = right === '' ? undefined : parse(right);
    if ((left === '' || from !== undefined) && (right === '' || to !== undefined)) {
      return { ...(from !== undefined && { from }), ...(to !== undefined && { to }) };
    }
  }
  return undefined;
}

/**
 * A DA query value (PS3.4 C.2.2.2.5.1): 'D1-D2', '-D2', 'D1-' or a single date; undefined when
 * it is none of these.
 */
export function parseDateRange(text: string): DicomRange<DicomDate> | undefined {
  return parseRange(text, parseDate);
}

/** A TM query value: 'T1-T2', '-T2', 'T1-' or a single time. */
export function parseTimeRange(text: string): DicomRange<DicomTime> | undefined {
  return parseRange(text, parseTime);
}

/**
 * A DT query value. A text that is a valid single DT is read as one ('2020-0100' is year 2020 at
 * offset -01:00, not a range to year 100); otherwise the first hyphen that splits it into two
 * valid (or open) ends is the range delimiter.
 */
export function parseDateTimeRange(text: string): DicomRange<DicomDateTime> | undefined {
  return parseRange(text, parseDateTime);
}
