/** Pure timing rules of the live connection: sleep detection, throttling (the reconnect backoff is in net/reconnect.ts). */

/**
 * True when the gap between two ticks of a periodic timer shows the machine was asleep (or the
 * tab frozen): timers do not run during sleep, so the next tick comes far later than scheduled.
 */
export function sleptBetweenTicks(previousTick: number, now: number, intervalMs: number, toleranceMs = 10_000): boolean {
  return now - previousTick > intervalMs + toleranceMs;
}

export interface TimerApi {
  setTimeout: (fn: () => void, ms: number) => number;
  clearTimeout: (id: number) => void;
  now: () => number;
}

export interface Throttled {
  /** Ask for a run: at once if none ran within the window, else once at the window's end. */
  (): void;
  cancel: () => void;
}

/**
 * Run `fn` at most once per `windowMs`, with a trailing run: a burst of calls gives one run now
 * and one when the window closes (so the last change is never lost), and nothing in between.
 */
export function throttle(fn: () => void, windowMs: number, timers: TimerApi): Throttled {
  let lastRun = Number.NEGATIVE_INFINITY;
  let pending: number | null = null;
  const run = () => {
    pending = null;
    lastRun = timers.now();
    fn();
  };
  const call = (() => {
    if (pending !== null) return;
    const wait = lastRun + windowMs - timers.now();
    if (wait <= 0) run();
    else pending = timers.setTimeout(run, wait);
  }) as Throttled;
  call.cancel = () => {
    if (pending !== null) timers.clearTimeout(pending);
    pending = null;
  };
  return call;
}

export const browserTimers: TimerApi = {
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (id) => window.clearTimeout(id),
  now: () => Date.now(),
};
