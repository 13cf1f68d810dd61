/**
 * JSON in and out of the database. PostgreSQL rejects U+0000 in text and jsonb, and DICOM text
 * from broken writers sometimes carries NUL padding, so every string is written without it (on
 * both dialects, so they hold the same data).
 */

/** Removes U+0000 (PostgreSQL cannot store it in text or jsonb). */
export function stripNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}

export function stripNulOrNull(text: string | null | undefined): string | null {
  return text == null ? null : stripNul(text);
}

/**
 * A value already written as JSON text (by a serializer faster than JSON.stringify for its
 * shape, such as dicomJsonText), which toJson takes as it is.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** JSON text for a JSON column; strings lose U+0000 (see above). */
export function toJson(value: unknown): string {
  if (value instanceof JsonText) {
    // The text of a string with a NUL holds the escape `\u0000`; only then is it parsed again.
    return value.text.includes('\\u0000') ? toJson(JSON.parse(value.text)) : value.text;
  }
  // Without a replacer first: JSON.stringify is several times faster without one, and a NUL
  // always comes out as the escape `\u0000`. Only when that text appears (a NUL, or a literal
  // backslash followed by u0000) is the value written again with every string stripped.
  let text = JSON.stringify(value);
  if (text?.includes('\\u0000') === true) {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? stripNul(v) : v));
  }
  // JSON.stringify(undefined) is undefined: store null rather than fail on a NOT NULL column.
  return text ?? 'null';
}

/** A JSON column as read: parsed by pg (jsonb), text from SQLite. */
export function fromJson(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}
