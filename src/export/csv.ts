/**
 * CSV output (RFC 4180): fields with a comma, quote, CR or LF are quoted, quotes doubled; lines end
 * with CRLF as the RFC says. Written through a stream that waits for 'drain', into a temporary
 * file renamed over the final name, so a reader never sees half a CSV.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** Writes lines from an iterable to `file` atomically; resolves with the number of lines. */
export async function writeCsv(file: string, lines: Iterable<string>): Promise<number> {
  const temporary = `${file}.${process.pid}.tmp`;
  const stream = createWriteStream(temporary);
  let count = 0;
  try {
    for (const line of lines) {
      count++;
      if (!stream.write(line)) await once(stream, 'drain');
    }
    stream.end();
    await once(stream, 'finish');
    await rename(temporary, file);
  } catch (error) {
    stream.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
  return count;
}
