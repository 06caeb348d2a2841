/** Pure timing rules of the live connection: reconnect backoff, sleep detection, throttling. */

export interface BackoffPolicy {
  /** Delay ceiling before jitter for the first retry, in ms. */
  baseMs: number;
  /** Upper bound of any delay, in ms. */
  capMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 30_000, factor: 2 };

/**
 * Delay before reconnect attempt `attempt` (0 = the first retry after a drop): exponential growth
 * capped at `capMs`, with "equal jitter" — half fixed, half random — so a fleet of tabs that lost
 * the server at the same moment does not come back in lockstep, yet never retries at once.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(0, Math.floor(attempt));
  const ceiling = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.min(n, 30));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling / 2 + (ceiling / 2) * r);
}

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
