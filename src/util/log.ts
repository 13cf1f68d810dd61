/**
 * Structured logs: pino (one JSON object per line on standard error, asynchronous writes that do
 * not stall the event loop) or, for a terminal, a short human line per record. No PHI by default:
 * everything that could identify a patient goes through `Phi.mask`, which gives a short stable
 * hash unless the configuration allows PHI in logs (logging.includePhi), so two lines about the
 * same patient or study can still be matched.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogOptions {
  readonly level: LogLevel;
  readonly format: 'json' | 'pretty';
  readonly includePhi: boolean;
  /** Where lines go; default standard error. */
  readonly destination?: NodeJS.WritableStream | undefined;
}

export type Logger = PinoLogger;

/** Hides identifying values in logs, or shows them when includePhi is set. */
export class Phi {
  constructor(private readonly include: boolean) {}

  /** `value`, or `#` + the first 10 hex digits of its SHA-256 (stable across lines and runs). */
  mask(value: string | null | undefined): string | undefined {
    if (value == null || value === '') return undefined;
    if (this.include) return value;
    return `#${createHash('sha256').update(value).digest('hex').slice(0, 10)}`;
  }
}

export function createLogger(options: LogOptions): { logger: Logger; phi: Phi } {
  const destination = options.destination ?? process.stderr;
  const stream =
    options.format === 'pretty'
      ? prettyStream(destination)
      : destination === process.stderr
        ? pino.destination({ fd: 2, sync: false })
        : destination;
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  return { logger, phi: new Phi(options.includePhi) };
}

/** A logger that writes nothing (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** `12:00:01.234 INFO  message key=value ...` for a person at a terminal. */
function prettyStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(line) as Record<string, unknown>;
        } catch {
          out.write(`${line}\n`);
          continue;
        }
        const { time, level, msg, pid: _pid, ...rest } = record;
        const when = typeof time === 'string' ? time.slice(11, 23) : '';
        const fields = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        out.write(
          `${when} ${String(level).toUpperCase().padEnd(5)} ${typeof msg === 'string' ? msg : ''}${fields === '' ? '' : ` ${fields}`}\n`,
        );
      }
      callback();
    },
  });
}
