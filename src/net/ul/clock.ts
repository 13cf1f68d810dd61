/**
 * Time as the protocol machine sees it. The transport passes a clock built on setTimeout; the
 * tests pass a fake one and move time by hand, so no test sleeps.
 */
/** Whatever `setTimer` returns (a Node `Timeout`, a number); only passed back to `clearTimer`. */
export type TimerHandle = object | number;

export interface Clock {
  /** Milliseconds on any monotonic scale. */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds, unless cleared first. */
  setTimer(ms: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}
