import { DicomParser, type ParseOptions, type ParseResult } from './parser.js';

export { DicomParser };
export type { ParseOptions, ParseResult, ParseWarning } from './parser.js';

/** Parses a whole stream held in memory. Values are views into `bytes` (no copies). */
export function parseBuffer(bytes: Uint8Array, options: ParseOptions = {}): ParseResult {
  const parser = new DicomParser(options);
  parser.write(bytes);
  return parser.end();
}
