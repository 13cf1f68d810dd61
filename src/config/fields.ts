// Building blocks of the schema: one constructor per kind of value, each with its check and the
// name the generated documentation shows for its type. No defaults here: they live in schema.ts.
import * as z from 'zod';
import { parseByteSize } from '../util/byte-size.js';
import {
  aeTitleProblem,
  dateFormatProblem,
  isEmailAddress,
  isHost,
  isTimeZone,
  isUid,
  parsePeerAddress,
  parseTimeOfDay,
  parseTimeWindow,
  pathTemplateProblem,
  HEX_TAG_PATTERN,
  KEYWORD_PATTERN,
} from './values.js';

/** What the loader and the documentation need to know about a leaf beyond its zod type. */
export interface KeyMeta {
  /** `path`: resolved against the config file's directory; `secret`: see secrets.ts. */
  readonly kind?: 'path' | 'secret';
  /** The type as the documentation names it (`AE title`, `port`, `path`). */
  readonly type?: string;
}

/** Marks on leaf schemas. Read through `keyMeta()`. */
export const keyMetaRegistry = z.registry<KeyMeta>();

export function keyMeta(schema: z.core.$ZodType): KeyMeta | undefined {
  return keyMetaRegistry.get(schema);
}

function refineText(type: string, problem: (value: string) => string | undefined): z.ZodString {
  return z
    .string()
    .superRefine((value, ctx) => {
      const message = problem(value);
      if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
    })
    .register(keyMetaRegistry, { type });
}

export const aeTitle = (): z.ZodString => refineText('AE title', aeTitleProblem);

export const host = (): z.ZodString =>
  refineText('host', (v) =>
    isHost(v) ? undefined : 'expected a host name or IP address (no scheme, port or spaces)',
  );

/** A port to connect to. */
export const port = (): z.ZodNumber =>
  z.number().int().min(1).max(65535).register(keyMetaRegistry, { type: 'port 1-65535' });

/** A port to listen on; 0 asks the system for a free one (tests). */
export const listenPort = (): z.ZodNumber =>
  z.number().int().min(0).max(65535).register(keyMetaRegistry, { type: 'port 0-65535' });

export const count = (min: number, max = Number.MAX_SAFE_INTEGER): z.ZodNumber =>
  z.number().int().min(min).max(max);

export const percent = (): z.ZodNumber =>
  z.number().min(1).max(100).register(keyMetaRegistry, { type: 'percent 1-100' });

/** A file or directory; relative paths are resolved against the config file's directory. */
export const filePath = (): z.ZodString =>
  z.string().min(1).register(keyMetaRegistry, { kind: 'path', type: 'path' });

/** A secret (password, token, key). Where it may come from: secrets.ts. */
export const secretText = (minLength = 1): z.ZodString =>
  z.string().min(minLength).register(keyMetaRegistry, { kind: 'secret', type: 'secret' });

export const uid = (): z.ZodString =>
  refineText('UID', (v) => (isUid(v) ? undefined : 'expected a UID (digits and dots, at most 64)'));

export const keyword = (): z.ZodString =>
  refineText('DICOM keyword', (v) =>
    KEYWORD_PATTERN.test(v) || HEX_TAG_PATTERN.test(v)
      ? undefined
      : 'expected a DICOM keyword (PatientID) or a tag as 8 hex digits (00100020)',
  );

export const pathTemplate = (): z.ZodString => refineText('path template', pathTemplateProblem);

export const timeOfDay = (): z.ZodString =>
  refineText('HH:MM', (v) =>
    parseTimeOfDay(v) === undefined ? 'expected a time of day as HH:MM (23:59)' : undefined,
  );

export const timeWindow = (): z.ZodString =>
  refineText('HH:MM-HH:MM', (v) =>
    parseTimeWindow(v) === undefined
      ? 'expected a window as HH:MM-HH:MM with different ends (19:00-07:00)'
      : undefined,
  );

export const timeZone = (): z.ZodString =>
  refineText('IANA time zone', (v) =>
    isTimeZone(v) ? undefined : 'expected an IANA time zone name (Europe/Paris, UTC)',
  );

export const dateFormat = (): z.ZodString => refineText('strptime format', dateFormatProblem);

export const emailAddress = (): z.ZodString =>
  refineText('e-mail address', (v) =>
    isEmailAddress(v) ? undefined : 'expected an e-mail address (name@example.org)',
  );

/** A number of bytes, or a string with a unit: `1073741824`, `512MB`, `10GiB`. */
export const byteSize = () =>
  z.preprocess(
    (v) => (typeof v === 'string' ? (parseByteSize(v) ?? v) : v),
    z
      .number({ error: 'expected a number of bytes or a size such as 512MB or 10GiB' })
      .int()
      .min(0)
      .register(keyMetaRegistry, { type: 'byte size' }),
  );

/** A database connection URL: `postgres://` or `postgresql://`. */
export const postgresUrl = (): z.ZodString =>
  refineText('postgres:// URL', (v) => {
    if (!/^postgres(ql)?:\/\//.test(v)) return 'expected a postgres:// or postgresql:// URL';
    try {
      new URL(v);
      return undefined;
    } catch {
      return 'not a valid URL';
    }
  });

/**
 * A remote peer: an object, or the original Niffler's `AET@HOST:PORT` string, which is read as
 * `{ aeTitle, host, port }`.
 */
export function peerShorthand<T extends z.ZodType>(object: T) {
  return z.preprocess((v) => (typeof v === 'string' ? (parsePeerAddress(v) ?? v) : v), object);
}
