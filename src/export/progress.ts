/**
 * The progress line on a terminal: files done, failed, rate, and a bar once the walk has counted
 * every input. Pure formatting (progressLine) plus a throttled writer that only writes to a TTY.
 */
export interface ProgressState {
  readonly done: number;
  readonly failed: number;
  /** Already settled in an earlier run, skipped in this one. */
  readonly skipped: number;
  /** Files found so far; final once `walked` is set. */
  readonly found: number;
  readonly walked: boolean;
  readonly elapsedMs: number;
}

export function progressLine(s: ProgressState, width = 30): string {
  const handled = s.done + s.failed + s.skipped;
  const rate = s.elapsedMs > 0 ? ((s.done + s.failed) * 1000) / s.elapsedMs : 0;
  const counts =
    `${handled}/${s.found}${s.walked ? '' : '+'} files, ${s.done} exported, ` +
    `${s.failed} failed${s.skipped > 0 ? `, ${s.skipped} from an earlier run` : ''}, ` +
    `${rate.toFixed(1)} files/s`;
  if (!s.walked || s.found === 0) return counts;
  const fraction = Math.min(1, handled / s.found);
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0)}% ${counts}`;
}

export interface ProgressWriter {
  update(state: ProgressState): void;
  /** Writes the last state and a newline. */
  finish(state: ProgressState): void;
}

/** Redraws at most every `intervalMs` on `stream` if it is a TTY; does nothing otherwise. */
export function progressWriter(
  stream: NodeJS.WriteStream,
  now: () => number,
  intervalMs = 200,
): ProgressWriter {
  const tty = stream.isTTY === true;
  let last = -Infinity;
  const draw = (state: ProgressState): void => {
    const columns = stream.columns ?? 100;
    stream.write(`\r${progressLine(state).slice(0, columns - 1)}\x1b[K`);
  };
  return {
    update(state) {
      if (!tty) return;
      const t = now();
      if (t - last < intervalMs) return;
      last = t;
      draw(state);
    },
    finish(state) {
      if (!tty) return;
      draw(state);
      stream.write('\n');
    },
  };
}
