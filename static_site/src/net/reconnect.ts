/**
 * The one reconnect state machine of the app's long-lived connections: the support chat's
 * gRPC-Web stream (chat/store.ts) and the live-alerts WebSocket (realtime/connection.ts).
 *
 *   idle ──start──▶ connecting ──live──▶ live
 *                     ▲     │              │
 *            retry due│     │lost          │lost
 *                     │     ▼              │
 *                  reconnecting ◀──────────┘   (backoff with jitter, capped; reset by `live`)
 *
 *   offline      the browser has no network: no retries until `online` (a fresh start)
 *   unavailable  gave up: the user must act (session expired, chat not configured, not allowed)
 *   idle         never started, or stopped (sign-out); `stop` reaches it from any state
 *
 * `reduce` is the pure core: state + event + facts (time, network, a random draw) → next state.
 * `Reconnector` drives it with timers and the browser's online/offline events and hands each
 * connection attempt to the caller, who owns the transport; a late callback of an abandoned
 * attempt changes nothing (attempts are numbered by `epoch`).
 */

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

export const NO_NETWORK = "The browser reports no network.";

/** What the UI shows; `attempt` counts the failures since the last success. */
export type ReconnectState =
  | { status: "idle" }
  | { status: "connecting"; attempt: number; reason?: string }
  | { status: "live"; since: number }
  | { status: "reconnecting"; attempt: number; retryAt: number; reason: string }
  | { status: "offline"; reason: string }
  | { status: "unavailable"; reason: string };

export interface Machine {
  readonly state: ReconnectState;
  /** Failed attempts since the last success: drives the backoff. */
  readonly failures: number;
  /** Bumped whenever the current attempt (or wait) is abandoned; entering `connecting` starts a new one. */
  readonly epoch: number;
}

export const INITIAL: Machine = { state: { status: "idle" }, failures: 0, epoch: 0 };

export type ReconnectEvent =
  | { type: "start" }
  | { type: "stop" }
  /** The attempt `epoch` is through (the server said ready / connected). */
  | { type: "live"; epoch: number }
  /** The attempt `epoch` failed or its connection dropped; `retryInMs` overrides the backoff. */
  | { type: "lost"; epoch: number; reason: string; retryInMs?: number }
  /** Give up until the user acts; with `epoch`, only if that attempt is still current. */
  | { type: "give-up"; reason: string; epoch?: number }
  | { type: "retry-due"; epoch: number }
  /** Drop whatever is going on and connect at once, with a fresh backoff. */
  | { type: "restart"; reason: string }
  /** Connect at once if waiting (reconnecting or offline); otherwise nothing. */
  | { type: "wake"; reason: string }
  | { type: "online" }
  | { type: "offline"; reason?: string };

export interface Facts {
  now: number;
  online: boolean;
  /** A random draw in [0, 1] for the jitter. */
  jitter: number;
  backoff: BackoffPolicy;
}

/** The next machine (the same object when the event changes nothing). Pure. */
export function reduce(m: Machine, ev: ReconnectEvent, f: Facts): Machine {
  const s = m.state;
  const running = s.status !== "idle" && s.status !== "unavailable";
  const attemptOpen = s.status === "connecting" || s.status === "live";
  const epoch = m.epoch + 1;
  const fresh = (reason?: string): Machine =>
    f.online
      ? { state: reason === undefined ? { status: "connecting", attempt: 0 } : { status: "connecting", attempt: 0, reason }, failures: 0, epoch }
      : { state: { status: "offline", reason: NO_NETWORK }, failures: 0, epoch };
  switch (ev.type) {
    case "start":
      return s.status === "idle" ? fresh() : m;
    case "stop":
      return s.status === "idle" ? m : { state: { status: "idle" }, failures: 0, epoch };
    case "live":
      return ev.epoch === m.epoch && s.status === "connecting" ? { state: { status: "live", since: f.now }, failures: 0, epoch: m.epoch } : m;
    case "lost": {
      if (ev.epoch !== m.epoch || !attemptOpen) return m;
      if (!f.online) return { state: { status: "offline", reason: NO_NETWORK }, failures: m.failures, epoch };
      const delay = ev.retryInMs ?? backoffDelay(m.failures, () => f.jitter, f.backoff);
      const failures = m.failures + 1;
      return { state: { status: "reconnecting", attempt: failures, retryAt: f.now + delay, reason: ev.reason }, failures, epoch };
    }
    case "retry-due":
      if (ev.epoch !== m.epoch || s.status !== "reconnecting") return m;
      if (!f.online) return { state: { status: "offline", reason: NO_NETWORK }, failures: m.failures, epoch };
      return { state: { status: "connecting", attempt: m.failures, reason: s.reason }, failures: m.failures, epoch };
    case "give-up":
      if (ev.epoch !== undefined && (ev.epoch !== m.epoch || !attemptOpen)) return m;
      return { state: { status: "unavailable", reason: ev.reason }, failures: 0, epoch };
    case "restart":
      return running ? fresh(ev.reason) : m;
    case "wake":
      return s.status === "reconnecting" || s.status === "offline" ? fresh(ev.reason) : m;
    case "online":
      // The browser fires `online` only after `offline`, so this normally leaves `offline`; from
      // any other state the network changed under a connection that may be dead: start over.
      return running ? fresh("network is back") : m;
    case "offline":
      return running && s.status !== "offline" ? { state: { status: "offline", reason: ev.reason ?? NO_NETWORK }, failures: m.failures, epoch } : m;
  }
}

/** One connection attempt, handed to the caller's `open`. */
export interface Attempt {
  /** False once the machine moved on: the attempt's late callbacks must do nothing. */
  readonly current: boolean;
  /** Aborted when the attempt is abandoned: close its transport then. */
  readonly signal: AbortSignal;
  /** The server confirmed the connection: live, and the backoff starts over. */
  live(): void;
  /** The attempt failed or its connection dropped: retry after the backoff (or `retryInMs`). */
  lost(reason: string, retryInMs?: number): void;
  /** Stop retrying until the user acts (session gone, not allowed). */
  giveUp(reason: string): void;
}

export interface ReconnectEnv {
  setTimeout: (fn: () => void, ms: number) => number;
  clearTimeout: (id: number) => void;
  now: () => number;
  random: () => number;
  /** navigator.onLine; assumed true when absent. */
  isOnline?: () => boolean;
  /** Subscribe to the browser's `online` / `offline` events; returns unsubscribe. */
  listen?: (event: "online" | "offline", fn: () => void) => () => void;
}

export interface ReconnectOptions {
  env: ReconnectEnv;
  backoff?: BackoffPolicy;
  /** Open the transport of a new attempt and report through it (called once per attempt). */
  open: (attempt: Attempt) => void;
  /** Every change of the visible state. */
  onState: (state: ReconnectState) => void;
}

/** Drives `reduce`: the retry timer, the network events, one `Attempt` per connection try. */
export class Reconnector {
  private readonly opts: ReconnectOptions;
  private readonly env: ReconnectEnv;
  private m: Machine = INITIAL;
  private abort: AbortController | null = null;
  private retryTimer: number | null = null;
  private unlisten: (() => void)[] = [];

  constructor(opts: ReconnectOptions) {
    this.opts = opts;
    this.env = opts.env;
  }

  get state(): ReconnectState {
    return this.m.state;
  }

  /** Connect (or wait for the network), listening to the browser's online/offline events. */
  start(): void {
    if (this.m.state.status !== "idle") return;
    const listen = this.env.listen;
    if (listen) this.unlisten = [listen("online", () => this.dispatch({ type: "online" })), listen("offline", () => this.offline())];
    this.dispatch({ type: "start" });
  }

  /** Final until the next `start`: drops the attempt, the timer and the event listeners. */
  stop(): void {
    for (const off of this.unlisten) off();
    this.unlisten = [];
    this.dispatch({ type: "stop" });
  }

  restart(reason: string): void {
    this.dispatch({ type: "restart", reason });
  }

  wake(reason: string): void {
    this.dispatch({ type: "wake", reason });
  }

  offline(reason?: string): void {
    this.dispatch(reason === undefined ? { type: "offline" } : { type: "offline", reason });
  }

  giveUp(reason: string): void {
    this.dispatch({ type: "give-up", reason });
  }

  /** The current attempt's connection is dead (a watchdog saw it): as `Attempt.lost`. */
  lost(reason: string): void {
    this.dispatch({ type: "lost", epoch: this.m.epoch, reason });
  }

  private dispatch(ev: ReconnectEvent): void {
    const before = this.m;
    const facts: Facts = {
      now: this.env.now(),
      online: this.env.isOnline?.() ?? true,
      jitter: this.env.random(),
      backoff: this.opts.backoff ?? DEFAULT_BACKOFF,
    };
    const after = reduce(before, ev, facts);
    if (after === before) return;
    this.m = after;
    const state = after.state;
    if (after.epoch !== before.epoch) {
      this.abort?.abort();
      this.abort = null;
      if (this.retryTimer !== null) this.env.clearTimeout(this.retryTimer);
      this.retryTimer = null;
      if (state.status === "reconnecting") {
        this.retryTimer = this.env.setTimeout(() => {
          this.retryTimer = null;
          this.dispatch({ type: "retry-due", epoch: after.epoch });
        }, state.retryAt - facts.now);
      }
    }
    this.opts.onState(state);
    // A listener may have moved the machine on already (e.g. stopped it): then no attempt.
    if (after.epoch !== before.epoch && state.status === "connecting" && this.m === after) {
      const abort = new AbortController();
      this.abort = abort;
      this.opts.open(this.attempt(after.epoch, abort.signal));
    }
  }

  private attempt(epoch: number, signal: AbortSignal): Attempt {
    const isCurrent = () => this.m.epoch === epoch && (this.m.state.status === "connecting" || this.m.state.status === "live");
    return {
      get current() {
        return isCurrent();
      },
      signal,
      live: () => this.dispatch({ type: "live", epoch }),
      lost: (reason, retryInMs) => this.dispatch(retryInMs === undefined ? { type: "lost", epoch, reason } : { type: "lost", epoch, reason, retryInMs }),
      giveUp: (reason) => this.dispatch({ type: "give-up", reason, epoch }),
    };
  }
}
