import type { Clock } from '../ul/index.js';

/** The real clock, for the state machine's timers. Timers do not keep the process alive. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (ms, callback) => {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
