/**
 * Daily time windows in local time (`19:00-07:00` spans midnight), as the PACS team allows
 * retrievals: when the next request may go. Pure: the time and the zone are arguments. The
 * original only handled windows that wrap midnight, and only by polling every 5 minutes.
 */
import { inTimeWindow, type TimeWindow } from '../../config/values.js';

const MINUTE = 60_000;
const DAY_MINUTES = 24 * 60;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local time of day at `epochMs` in `timeZone` (undefined: the system's). */
export function localTimeOfDay(
  epochMs: number,
  timeZone?: string,
): { minute: number; msIntoMinute: number } {
  const key = timeZone ?? '';
  let format = formatters.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(key, format);
  }
  const parts = format.formatToParts(new Date(epochMs));
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  // Zones are whole minutes away from UTC (all of today's), so seconds are the UTC seconds.
  const msIntoMinute = ((epochMs % MINUTE) + MINUTE) % MINUTE;
  return { minute: hour * 60 + minute, msIntoMinute };
}

/**
 * Milliseconds until the window is open at `epochMs`: 0 when it is open now. The first guess
 * counts local minutes; across a daylight saving change it lands an hour off, so it is checked
 * and corrected against the zone (a wait that overshot the opening would miss a short window).
 */
export function msUntilWindow(window: TimeWindow, epochMs: number, timeZone?: string): number {
  const { minute, msIntoMinute } = localTimeOfDay(epochMs, timeZone);
  if (inTimeWindow(window, minute)) return 0;
  let target =
    epochMs - msIntoMinute + ((window.start - minute + DAY_MINUTES) % DAY_MINUTES) * MINUTE;
  for (let i = 0; i < 3; i++) {
    const local = localTimeOfDay(target, timeZone).minute;
    if (local === window.start) break;
    let shift = (window.start - local + DAY_MINUTES) % DAY_MINUTES;
    if (shift > DAY_MINUTES / 2) shift -= DAY_MINUTES;
    target += shift * MINUTE;
  }
  return Math.max(MINUTE - msIntoMinute, target - epochMs);
}
