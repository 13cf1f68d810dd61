// Pure checks and parsers for the value formats the configuration uses. The schema calls them to
// validate; the modules that use a value (retrieval windows, peer addresses) call them to parse.

/**
 * PS3.5 Table 6.2-1, VR AE: at most 16 characters of the default repertoire without backslash
 * and control characters; leading and trailing spaces are not significant and a value of only
 * spaces is not allowed. We also refuse leading and trailing spaces, so that what is written is
 * what goes on the wire.
 */
export function aeTitleProblem(value: string): string | undefined {
  if (value.length === 0) return 'an AE title cannot be empty';
  if (value.length > 16)
    return `an AE title has at most 16 characters ("${value}" has ${value.length})`;
  if (!/^[\x20-\x7e]*$/.test(value) || value.includes('\\')) {
    return 'an AE title uses printable ASCII characters other than backslash';
  }
  if (value.trim() !== value) return 'an AE title cannot start or end with a space';
  return undefined;
}

/** PS3.5 9.1: digits and dots, components without leading zeros, at most 64 characters. */
export function isUid(value: string): boolean {
  return value.length <= 64 && /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(value);
}

/** A host name, IPv4 or IPv6 address: no scheme, no port, no spaces. */
export function isHost(value: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(value) || /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.%A-Za-z]*$/.test(value);
}

/** True for `localhost`, 127.0.0.0/8 and ::1: addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export interface PeerAddress {
  aeTitle: string;
  host: string;
  port: number;
}

/**
 * `AET@HOST:PORT` (the original Niffler's SrcAet form; `[::1]` for an IPv6 host), or undefined
 * when the text does not have that shape or the AE title or port is not valid.
 */
export function parsePeerAddress(text: string): PeerAddress | undefined {
  const match = /^([^@]+)@(\[[^\]]+\]|[^:@[\]]+):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const [, aeTitle = '', rawHost = '', rawPort = ''] = match;
  const host = rawHost.replace(/^\[|\]$/g, '');
  const port = Number(rawPort);
  if (aeTitleProblem(aeTitle) !== undefined || !isHost(host) || port < 1 || port > 65535) {
    return undefined;
  }
  return { aeTitle, host, port };
}

export interface TimeWindow {
  /** Minutes after midnight, 0-1439. */
  start: number;
  /** Minutes after midnight, 0-1439; smaller than `start` when the window spans midnight. */
  end: number;
}

/** `HH:MM-HH:MM` in 24-hour time, e.g. `19:00-07:00`; the two ends must differ. */
export function parseTimeWindow(text: string): TimeWindow | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) return undefined;
  const start = Number(match[1]) * 60 + Number(match[2]);
  const end = Number(match[3]) * 60 + Number(match[4]);
  return start === end ? undefined : { start, end };
}

/** True when `minute` (after midnight) lies inside the window, start included, end excluded. */
export function inTimeWindow(window: TimeWindow, minute: number): boolean {
  return window.start < window.end
    ? minute >= window.start && minute < window.end
    : minute >= window.start || minute < window.end;
}

/** `HH:MM` in 24-hour time. */
export function parseTimeOfDay(text: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** A DICOM keyword as the data dictionary spells them (`PatientID`, `StudyInstanceUID`). */
export const KEYWORD_PATTERN = /^[A-Za-z][A-Za-z0-9]*$/;
/** A tag as 8 hex digits, group then element (`00100020`). */
export const HEX_TAG_PATTERN = /^[0-9A-Fa-f]{8}$/;

/** The placeholders a path template may use to name the SOP Instance UID. */
const INSTANCE_PLACEHOLDERS = new Set(['00080018', 'SOPInstanceUID']);

/**
 * Why a storage path template is not usable, or undefined. The syntax is the original Niffler's
 * (dcm4che storescp `--filepath`): text with `{...}` placeholders, each an 8-hex-digit tag or a
 * keyword. The template must be relative, stay inside the storage root, and contain the SOP
 * Instance UID so that two instances can never be written to the same file.
 */
export function pathTemplateProblem(template: string): string | undefined {
  const placeholders: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of template) {
    if (ch === '{') {
      if (depth > 0) return 'placeholders cannot be nested ("{" inside "{...}")';
      depth = 1;
      current = '';
    } else if (ch === '}') {
      if (depth === 0) return 'unbalanced "}"';
      depth = 0;
      if (!HEX_TAG_PATTERN.test(current) && !KEYWORD_PATTERN.test(current)) {
        return `"{${current}}" is neither an 8-hex-digit tag ({00100020}) nor a keyword ({PatientID})`;
      }
      placeholders.push(current);
    } else if (depth > 0) {
      current += ch;
    }
  }
  if (depth > 0) return 'unbalanced "{"';
  if (template.startsWith('/') || /^[A-Za-z]:[\\/]/.test(template)) {
    return 'the template must be relative to storage.root';
  }
  const segments = template.split(/[\\/]/);
  if (segments.some((s) => s === '..' || s === '.')) {
    return 'the template cannot contain "." or ".." segments';
  }
  if (segments.some((s) => s === '')) return 'the template has an empty path segment';
  if (!placeholders.some((p) => INSTANCE_PLACEHOLDERS.has(p))) {
    return 'the template must contain the SOP Instance UID ({00080018} or {SOPInstanceUID}), or two instances could share a file';
  }
  return undefined;
}

/** The strptime directives a cohort CSV date format may use. */
const DATE_DIRECTIVES = new Set(['Y', 'y', 'm', 'd', 'b', 'B', 'j', '%']);

/** Why a strptime-style date format (`%Y%m%d`, `%m/%d/%Y`) is not usable, or undefined. */
export function dateFormatProblem(format: string): string | undefined {
  const directives = [...format.matchAll(/%(.?)/g)].map((m) => m[1] ?? '');
  const unknown = directives.find((d) => !DATE_DIRECTIVES.has(d));
  if (unknown !== undefined) {
    return `unsupported directive "%${unknown}" (use %Y %y %m %d %b %B %j %%)`;
  }
  if (!directives.some((d) => d === 'Y' || d === 'y')) return 'the format needs a year (%Y or %y)';
  return undefined;
}

/** True for a time zone name the runtime knows (`Europe/Paris`, `America/New_York`, `UTC`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** True for an e-mail address of the simple `local@domain` shape. */
export function isEmailAddress(value: string): boolean {
  return /^[^\s@<>]+@[^\s@<>]+$/.test(value);
}
