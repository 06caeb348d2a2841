/**
 * A self-healing Web PubSub client connection: negotiate → WebSocket (`json.webpubsub.azure.v1`)
 * → `connected` → live; on any loss, back off with jitter and negotiate again (tokens expire).
 *
 * Liveness is checked, not assumed (live updates can stop silently; docs/architecture.md): a
 * keepalive ping whose pong never comes, a timer gap that shows the laptop slept, a tab becoming
 * visible, and the browser's `online` event all lead to a fresh connection. The caller catches up from
 * the REST API on every `connected`, so a drop loses nothing.
 */

import { parseFrame, PING_FRAME, SUBPROTOCOL, type PlatformMessage } from "./messages.ts";
import { backoffDelay, sleptBetweenTicks, type BackoffPolicy, DEFAULT_BACKOFF } from "./timing.ts";

export type LinkState =
  | { status: "idle" }
  | { status: "connecting"; attempt: number }
  | { status: "live"; since: number; connectionId: string }
  | { status: "reconnecting"; attempt: number; retryAt: number; reason: string }
  | { status: "offline"; reason: string };

/** The parts of a WebSocket this class uses (so tests can pass a fake). */
export interface SocketLike {
  readonly protocol: string;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface ConnectionEnv {
  createSocket: (url: string, protocol: string) => SocketLike;
  setTimeout: (fn: () => void, ms: number) => number;
  clearTimeout: (id: number) => void;
  setInterval: (fn: () => void, ms: number) => number;
  clearInterval: (id: number) => void;
  now: () => number;
  random: () => number;
  isOnline: () => boolean;
  isVisible: () => boolean;
  /** Subscribe to window `online`/`offline` and document `visibilitychange`; returns unsubscribe. */
  listen: (event: "online" | "offline" | "visibilitychange", fn: () => void) => () => void;
}

export interface ConnectionTuning {
  backoff: BackoffPolicy;
  /** Period of the watchdog timer (sleep detection, keepalive). */
  tickMs: number;
  /** Send a ping after this long without any frame from the server. */
  pingAfterMs: number;
  /** Declare the socket dead when a ping got no frame back within this long. */
  pongTimeoutMs: number;
  /** Give up on a socket that has not said `connected` within this long. */
  connectTimeoutMs: number;
  /** Retry delay when the server says live updates are not configured (503). */
  unavailableRetryMs: number;
  /** A watchdog tick this much later than due means the machine slept (visible tab). */
  sleepToleranceMs: number;
  /** The same for a hidden tab, whose timers the browser throttles. */
  hiddenSleepToleranceMs: number;
}

export const DEFAULT_TUNING: ConnectionTuning = {
  backoff: DEFAULT_BACKOFF,
  tickMs: 5_000,
  pingAfterMs: 25_000,
  pongTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  unavailableRetryMs: 60_000,
  sleepToleranceMs: 10_000,
  hiddenSleepToleranceMs: 180_000,
};

export interface ConnectionOptions {
  /** Ask the API for a fresh client URL. Reject with `{status}` errors (ApiError). */
  negotiate: () => Promise<string>;
  onMessage: (message: PlatformMessage) => void;
  /** Every successful (re)connect: the place to catch up on what was missed. */
  onConnected: (connectionId: string) => void;
  onState: (state: LinkState) => void;
  /** The session is gone (negotiate answered 401 after a refresh): stop for good. */
  isFatal?: (err: unknown) => boolean;
  env: ConnectionEnv;
  tuning?: Partial<ConnectionTuning>;
}

function statusOf(err: unknown): number | null {
  return typeof err === "object" && err !== null && typeof (err as { status?: unknown }).status === "number"
    ? (err as { status: number }).status
    : null;
}

export class RealtimeConnection {
  private readonly opts: ConnectionOptions;
  private readonly env: ConnectionEnv;
  private readonly tuning: ConnectionTuning;
  private state: LinkState = { status: "idle" };
  private socket: SocketLike | null = null;
  /** Bumped whenever the current attempt is abandoned; late callbacks of old attempts check it. */
  private generation = 0;
  private attempt = 0;
  private retryTimer: number | null = null;
  private connectTimer: number | null = null;
  private ticker: number | null = null;
  private lastTick = 0;
  private lastFrameAt = 0;
  private pingSentAt: number | null = null;
  private unlisten: (() => void)[] = [];
  private running = false;

  constructor(opts: ConnectionOptions) {
    this.opts = opts;
    this.env = opts.env;
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
  }

  get current(): LinkState {
    return this.state;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unlisten = [
      this.env.listen("online", () => this.reconnectNow("network is back")),
      this.env.listen("offline", () => this.goOffline("The browser reports no network.")),
      this.env.listen("visibilitychange", () => this.onVisible()),
    ];
    this.lastTick = this.env.now();
    this.ticker = this.env.setInterval(() => this.tick(), this.tuning.tickMs);
    if (this.env.isOnline()) void this.connect();
    else this.goOffline("The browser reports no network.");
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const off of this.unlisten) off();
    this.unlisten = [];
    if (this.ticker !== null) this.env.clearInterval(this.ticker);
    this.ticker = null;
    this.abandon();
    this.setState({ status: "idle" });
  }

  /** Drop whatever is going on and connect at once, with a fresh backoff. */
  reconnectNow(reason: string): void {
    if (!this.running) return;
    this.abandon();
    this.attempt = 0;
    if (!this.env.isOnline()) {
      this.goOffline("The browser reports no network.");
      return;
    }
    void this.connect(reason);
  }

  // ------------------------------------------------------------------ internals

  private setState(state: LinkState): void {
    this.state = state;
    this.opts.onState(state);
  }

  /** Close the socket and cancel timers of the current attempt (its callbacks become no-ops). */
  private abandon(): void {
    this.generation += 1;
    if (this.retryTimer !== null) this.env.clearTimeout(this.retryTimer);
    if (this.connectTimer !== null) this.env.clearTimeout(this.connectTimer);
    this.retryTimer = null;
    this.connectTimer = null;
    this.pingSentAt = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close(1000, "client reconnecting");
      } catch {
        // already closed
      }
    }
  }

  private goOffline(reason: string): void {
    if (!this.running) return;
    this.abandon();
    this.setState({ status: "offline", reason });
  }

  private async connect(_reason?: string): Promise<void> {
    const gen = ++this.generation;
    this.setState({ status: "connecting", attempt: this.attempt });
    let url: string;
    try {
      url = await this.opts.negotiate();
    } catch (err) {
      if (gen !== this.generation || !this.running) return;
      if (this.opts.isFatal?.(err)) {
        this.stop();
        return;
      }
      if (statusOf(err) === 503) {
        this.scheduleRetry("Live updates are not configured on this server.", this.tuning.unavailableRetryMs);
      } else {
        this.scheduleRetry(statusOf(err) === 0 ? "The server could not be reached." : "Could not start live updates.");
      }
      return;
    }
    if (gen !== this.generation || !this.running) return;
    let socket: SocketLike;
    try {
      socket = this.env.createSocket(url, SUBPROTOCOL);
    } catch {
      this.scheduleRetry("The browser refused the live connection.");
      return;
    }
    this.socket = socket;
    this.connectTimer = this.env.setTimeout(() => {
      if (gen === this.generation) this.lost("The live connection did not open in time.");
    }, this.tuning.connectTimeoutMs);
    socket.onmessage = (ev) => {
      if (gen !== this.generation) return;
      this.onFrame(ev.data);
    };
    socket.onclose = () => {
      if (gen === this.generation) this.lost("The live connection closed.");
    };
    socket.onerror = () => {
      if (gen === this.generation) this.lost("The live connection failed.");
    };
  }

  private onFrame(data: unknown): void {
    this.lastFrameAt = this.env.now();
    this.pingSentAt = null;
    if (typeof data !== "string") return;
    const frame = parseFrame(data);
    if (frame === null) return;
    switch (frame.kind) {
      case "connected":
        if (this.socket && this.socket.protocol !== SUBPROTOCOL) {
          // The server ignored the subprotocol: we would never get system frames or pongs.
          this.lost("The server does not speak the JSON subprotocol.");
          return;
        }
        if (this.connectTimer !== null) this.env.clearTimeout(this.connectTimer);
        this.connectTimer = null;
        this.attempt = 0;
        this.setState({ status: "live", since: this.env.now(), connectionId: frame.connectionId });
        this.opts.onConnected(frame.connectionId);
        return;
      case "disconnected":
        this.lost(frame.reason ? `The server closed the connection: ${frame.reason}` : "The server closed the connection.");
        return;
      case "message":
        this.opts.onMessage(frame.message);
        return;
      default:
        return;
    }
  }

  private lost(reason: string): void {
    if (!this.running) return;
    this.abandon();
    if (!this.env.isOnline()) {
      this.goOffline("The browser reports no network.");
      return;
    }
    this.scheduleRetry(reason);
  }

  private scheduleRetry(reason: string, fixedDelayMs?: number): void {
    if (!this.env.isOnline()) {
      this.goOffline("The browser reports no network.");
      return;
    }
    const delay = fixedDelayMs ?? backoffDelay(this.attempt, this.env.random, this.tuning.backoff);
    this.attempt += 1;
    const gen = this.generation;
    this.retryTimer = this.env.setTimeout(() => {
      this.retryTimer = null;
      if (gen === this.generation && this.running) void this.connect(reason);
    }, delay);
    this.setState({ status: "reconnecting", attempt: this.attempt, retryAt: this.env.now() + delay, reason });
  }

  private onVisible(): void {
    if (!this.running || !this.env.isVisible()) return;
    if (this.state.status === "live") this.ping();
    else if (this.state.status === "reconnecting" || this.state.status === "offline") this.reconnectNow("tab visible again");
  }

  private ping(): void {
    if (!this.socket || this.pingSentAt !== null) return;
    try {
      this.socket.send(PING_FRAME);
      this.pingSentAt = this.env.now();
    } catch {
      this.lost("The live connection failed.");
    }
  }

  private tick(): void {
    const now = this.env.now();
    // Background tabs get their timers throttled (Chrome: about once a minute after 5 min
    // hidden), so only a much longer gap means sleep there; a visible tab ticks on time.
    const tolerance = this.env.isVisible() ? this.tuning.sleepToleranceMs : this.tuning.hiddenSleepToleranceMs;
    const slept = sleptBetweenTicks(this.lastTick, now, this.tuning.tickMs, tolerance);
    this.lastTick = now;
    if (slept) {
      // Timers did not run: the machine slept or the tab was frozen. The socket may look open
      // while the server forgot it long ago, and pushes were missed: start over and catch up.
      this.reconnectNow("woke up from sleep");
      return;
    }
    if (this.state.status !== "live") return;
    if (this.pingSentAt !== null) {
      if (now - this.pingSentAt > this.tuning.pongTimeoutMs) this.lost("The server stopped answering.");
      return;
    }
    if (now - this.lastFrameAt >= this.tuning.pingAfterMs) this.ping();
  }
}

/** The browser's WebSocket, timers and events. */
export function browserConnectionEnv(): ConnectionEnv {
  return {
    createSocket: (url, protocol) => new WebSocket(url, protocol),
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (id) => window.clearTimeout(id),
    setInterval: (fn, ms) => window.setInterval(fn, ms),
    clearInterval: (id) => window.clearInterval(id),
    now: () => Date.now(),
    random: () => Math.random(),
    isOnline: () => navigator.onLine !== false,
    isVisible: () => document.visibilityState === "visible",
    listen: (event, fn) => {
      const target: EventTarget = event === "visibilitychange" ? document : window;
      target.addEventListener(event, fn);
      return () => target.removeEventListener(event, fn);
    },
  };
}
