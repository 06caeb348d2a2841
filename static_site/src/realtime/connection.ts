/**
 * A self-healing Web PubSub client connection: negotiate → WebSocket (`json.webpubsub.azure.v1`)
 * → `connected` → live; on any loss, back off with jitter and negotiate again (tokens expire). The
 * states, backoff and online/offline handling are the shared machine of net/reconnect.ts.
 *
 * Liveness is checked, not assumed (live updates can stop silently; docs/architecture.md): a
 * keepalive ping whose pong never comes, a timer gap that shows the laptop slept, a tab becoming
 * visible, and the browser's `online` event all lead to a fresh connection. The caller catches up from
 * the REST API on every `connected`, so a drop loses nothing.
 */

import { parseFrame, PING_FRAME, SUBPROTOCOL, type PlatformMessage } from "./messages.ts";
import { DEFAULT_BACKOFF, Reconnector, type Attempt, type BackoffPolicy, type ReconnectState } from "../net/reconnect.ts";
import { sleptBetweenTicks } from "./timing.ts";

/** The link's visible state (the shared reconnect machine's; `unavailable` is never reached here). */
export type LinkState = ReconnectState;

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
  private readonly link: Reconnector;
  private socket: SocketLike | null = null;
  private connectTimer: number | null = null;
  private ticker: number | null = null;
  private lastTick = 0;
  private lastFrameAt = 0;
  private pingSentAt: number | null = null;
  private unlistenVisibility: (() => void) | null = null;
  private running = false;

  constructor(opts: ConnectionOptions) {
    this.opts = opts;
    this.env = opts.env;
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.link = new Reconnector({
      env: this.env,
      backoff: this.tuning.backoff,
      open: (attempt) => void this.open(attempt),
      onState: (state) => this.opts.onState(state),
    });
  }

  get current(): LinkState {
    return this.link.state;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unlistenVisibility = this.env.listen("visibilitychange", () => this.onVisible());
    this.lastTick = this.env.now();
    this.ticker = this.env.setInterval(() => this.tick(), this.tuning.tickMs);
    this.link.start();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.unlistenVisibility?.();
    this.unlistenVisibility = null;
    if (this.ticker !== null) this.env.clearInterval(this.ticker);
    this.ticker = null;
    this.link.stop();
  }

  /** Drop whatever is going on and connect at once, with a fresh backoff. */
  reconnectNow(reason: string): void {
    this.link.restart(reason);
  }

  // ------------------------------------------------------------------ internals

  /** One attempt: negotiate a fresh URL, open the socket, wait for `connected`. */
  private async open(attempt: Attempt): Promise<void> {
    let url: string;
    try {
      url = await this.opts.negotiate();
    } catch (err) {
      if (!attempt.current) return;
      if (this.opts.isFatal?.(err)) {
        this.stop();
        return;
      }
      if (statusOf(err) === 503) {
        attempt.lost("Live updates are not configured on this server.", this.tuning.unavailableRetryMs);
      } else {
        attempt.lost(statusOf(err) === 0 ? "The server could not be reached." : "Could not start live updates.");
      }
      return;
    }
    if (!attempt.current) return;
    let socket: SocketLike;
    try {
      socket = this.env.createSocket(url, SUBPROTOCOL);
    } catch {
      attempt.lost("The browser refused the live connection.");
      return;
    }
    this.socket = socket;
    this.pingSentAt = null;
    const connectTimer = this.env.setTimeout(() => attempt.lost("The live connection did not open in time."), this.tuning.connectTimeoutMs);
    this.connectTimer = connectTimer;
    // Abandoned (dropped, offline, restarted, stopped): close the socket, its callbacks go quiet.
    attempt.signal.addEventListener("abort", () => {
      this.env.clearTimeout(connectTimer);
      if (this.connectTimer === connectTimer) this.connectTimer = null;
      if (this.socket === socket) this.socket = null;
      this.pingSentAt = null;
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close(1000, "client reconnecting");
      } catch {
        // already closed
      }
    });
    socket.onmessage = (ev) => {
      if (attempt.current) this.onFrame(attempt, ev.data);
    };
    socket.onclose = () => attempt.lost("The live connection closed.");
    socket.onerror = () => attempt.lost("The live connection failed.");
  }

  private onFrame(attempt: Attempt, data: unknown): void {
    this.lastFrameAt = this.env.now();
    this.pingSentAt = null;
    if (typeof data !== "string") return;
    const frame = parseFrame(data);
    if (frame === null) return;
    switch (frame.kind) {
      case "connected":
        if (this.socket && this.socket.protocol !== SUBPROTOCOL) {
          // The server ignored the subprotocol: we would never get system frames or pongs.
          attempt.lost("The server does not speak the JSON subprotocol.");
          return;
        }
        if (this.connectTimer !== null) this.env.clearTimeout(this.connectTimer);
        this.connectTimer = null;
        attempt.live();
        this.opts.onConnected(frame.connectionId);
        return;
      case "disconnected":
        attempt.lost(frame.reason ? `The server closed the connection: ${frame.reason}` : "The server closed the connection.");
        return;
      case "message":
        this.opts.onMessage(frame.message);
        return;
      default:
        return;
    }
  }

  private onVisible(): void {
    if (!this.running || !this.env.isVisible()) return;
    if (this.link.state.status === "live") this.ping();
    else this.link.wake("tab visible again");
  }

  private ping(): void {
    if (!this.socket || this.pingSentAt !== null) return;
    try {
      this.socket.send(PING_FRAME);
      this.pingSentAt = this.env.now();
    } catch {
      this.link.lost("The live connection failed.");
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
      this.link.restart("woke up from sleep");
      return;
    }
    if (this.link.state.status !== "live") return;
    if (this.pingSentAt !== null) {
      if (now - this.pingSentAt > this.tuning.pongTimeoutMs) this.link.lost("The server stopped answering.");
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
