/**
 * Wall-clock times in a time zone, for the nightly retention run (the original's 23:59). Pure,
 * with Intl only: the next instant at which the clock in `timeZone` reads HH:MM. Around a DST
 * change a local time may not exist (it is then taken an hour later) or exist twice (the first
 * is taken).
 */

/** Minutes east of UTC of `timeZone` at `instant`. */
export function offsetMinutes(instant: number, timeZone: string | undefined): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(instant));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return Math.round((local - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** The first instant after `now` at which the local time in `timeZone` is `minuteOfDay`. */
export function nextDailyAt(now: number, minuteOfDay: number, timeZone?: string): number {
  const offset = offsetMinutes(now, timeZone);
  const local = new Date(now + offset * 60_000);
  for (let day = 0; day <= 2; day++) {
    const wall =
      Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + day) +
      minuteOfDay * 60_000;
    // The UTC instant whose local time is `wall`: correct the offset once more, for DST.
    let instant = wall - offsetMinutes(wall - offset * 60_000, timeZone) * 60_000;
    instant = wall - offsetMinutes(instant, timeZone) * 60_000;
    if (instant > now) return instant;
  }
  throw new Error('unreachable: a daily time occurs within two days');
}
