import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  backoffDelay,
  INITIAL,
  NO_NETWORK,
  reduce,
  Reconnector,
  type Attempt,
  type BackoffPolicy,
  type Facts,
  type Machine,
  type ReconnectEnv,
  type ReconnectEvent,
  type ReconnectState,
} from "../../src/net/reconnect.ts";

describe("backoffDelay", () => {
  it("doubles from 1 s and caps at 30 s (upper bound: random = 1)", () => {
    const max = Array.from({ length: 8 }, (_, i) => backoffDelay(i, () => 1));
    expect(max).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("keeps at least half of the step (lower bound: random = 0), so retries never hammer", () => {
    const min = Array.from({ length: 7 }, (_, i) => backoffDelay(i, () => 0));
    expect(min).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000]);
  });

  it("spreads tabs that dropped together (jitter)", () => {
    const seq = [0.1, 0.5, 0.9];
    const delays = seq.map((r) => backoffDelay(3, () => r));
    expect(new Set(delays).size).toBe(3);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(4000);
    for (const d of delays) expect(d).toBeLessThanOrEqual(8000);
  });

  it("survives odd input: negative attempts, huge attempts, random outside [0,1]", () => {
    expect(backoffDelay(-3, () => 1)).toBe(1000);
    expect(backoffDelay(10_000, () => 1)).toBe(30000);
    expect(backoffDelay(0, () => 7)).toBe(1000);
    expect(backoffDelay(0, () => -1)).toBe(500);
  });
});

const POLICY: BackoffPolicy = { baseMs: 1_000, capMs: 8_000, factor: 2 };
const facts = (over: Partial<Facts> = {}): Facts => ({ now: 100_000, online: true, jitter: 0.5, backoff: POLICY, ...over });

/** Apply events in order, from `m` (default: idle), with the same facts unless given. */
function run(events: ReconnectEvent[], m: Machine = INITIAL, f: Facts = facts()): Machine {
  return events.reduce((acc, ev) => reduce(acc, ev, f), m);
}

describe("reduce (pure)", () => {
  it("starts by connecting, or waits offline when the browser has no network", () => {
    const m = run([{ type: "start" }]);
    expect(m.state).toEqual({ status: "connecting", attempt: 0 });
    expect(m.epoch).toBe(1);
    expect(reduce(m, { type: "start" }, facts())).toBe(m); // a second start changes nothing
    expect(run([{ type: "start" }], INITIAL, facts({ online: false })).state).toEqual({ status: "offline", reason: NO_NETWORK });
  });

  it("goes live only for the current attempt, at the time it is told", () => {
    const m = run([{ type: "start" }]);
    const live = reduce(m, { type: "live", epoch: m.epoch }, facts({ now: 123 }));
    expect(live.state).toEqual({ status: "live", since: 123 });
    expect(live.epoch).toBe(m.epoch); // the same attempt carries on
    expect(reduce(m, { type: "live", epoch: m.epoch - 1 }, facts())).toBe(m);
  });

  it("backs off with growing, capped, jittered delays and starts over after a success", () => {
    let m = run([{ type: "start" }]);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      m = reduce(m, { type: "lost", epoch: m.epoch, reason: "down" }, facts());
      if (m.state.status !== "reconnecting") throw new Error(m.state.status);
      expect(m.state.attempt).toBe(i + 1);
      delays.push(m.state.retryAt - facts().now);
      m = reduce(m, { type: "retry-due", epoch: m.epoch }, facts());
      expect(m.state).toEqual({ status: "connecting", attempt: i + 1, reason: "down" });
    }
    expect(delays).toEqual([750, 1500, 3000, 6000, 6000, 6000]); // 1 s doubling, capped at 8 s, jitter 0.5
    m = reduce(m, { type: "live", epoch: m.epoch }, facts());
    m = reduce(m, { type: "lost", epoch: m.epoch, reason: "again" }, facts({ jitter: 1 }));
    expect(m.state).toEqual({ status: "reconnecting", attempt: 1, retryAt: 101_000, reason: "again" });
  });

  it("a fixed retry delay (server not configured) replaces the backoff but still counts", () => {
    let m = run([{ type: "start" }]);
    m = reduce(m, { type: "lost", epoch: m.epoch, reason: "503", retryInMs: 60_000 }, facts());
    expect(m.state).toEqual({ status: "reconnecting", attempt: 1, retryAt: 160_000, reason: "503" });
    expect(m.failures).toBe(1);
  });

  it("ignores late news from an abandoned attempt and a retry timer of an old wait", () => {
    const first = run([{ type: "start" }]);
    const waiting = reduce(first, { type: "lost", epoch: first.epoch, reason: "x" }, facts());
    expect(reduce(waiting, { type: "lost", epoch: first.epoch, reason: "y" }, facts())).toBe(waiting);
    expect(reduce(waiting, { type: "live", epoch: first.epoch }, facts())).toBe(waiting);
    expect(reduce(waiting, { type: "give-up", epoch: first.epoch, reason: "z" }, facts())).toBe(waiting);
    const restarted = reduce(waiting, { type: "restart", reason: "now" }, facts());
    expect(reduce(restarted, { type: "retry-due", epoch: waiting.epoch }, facts())).toBe(restarted);
  });

  it("offline drops the attempt and waits; online connects at once with a fresh backoff", () => {
    let m = run([{ type: "start" }]);
    m = reduce(m, { type: "lost", epoch: m.epoch, reason: "x" }, facts());
    m = run([{ type: "retry-due", epoch: m.epoch }], m);
    m = reduce(m, { type: "live", epoch: m.epoch }, facts());
    const off = reduce(m, { type: "offline" }, facts({ online: false }));
    expect(off.state).toEqual({ status: "offline", reason: NO_NETWORK });
    expect(off.epoch).toBeGreaterThan(m.epoch);
    expect(reduce(off, { type: "offline" }, facts({ online: false }))).toBe(off);
    const back = reduce(off, { type: "online" }, facts());
    expect(back.state).toEqual({ status: "connecting", attempt: 0, reason: "network is back" });
    expect(back.failures).toBe(0);
  });

  it("a drop while the browser is offline waits for the network instead of retrying", () => {
    const m = run([{ type: "start" }]);
    expect(reduce(m, { type: "lost", epoch: m.epoch, reason: "x" }, facts({ online: false })).state.status).toBe("offline");
    const waiting = reduce(m, { type: "lost", epoch: m.epoch, reason: "x" }, facts());
    expect(reduce(waiting, { type: "retry-due", epoch: waiting.epoch }, facts({ online: false })).state.status).toBe("offline");
  });

  it("wake retries at once only when waiting; restart drops even a live connection", () => {
    const connecting = run([{ type: "start" }]);
    const live = reduce(connecting, { type: "live", epoch: connecting.epoch }, facts());
    expect(reduce(live, { type: "wake", reason: "visible" }, facts())).toBe(live);
    expect(reduce(connecting, { type: "wake", reason: "visible" }, facts())).toBe(connecting);
    const waiting = reduce(live, { type: "lost", epoch: live.epoch, reason: "x" }, facts());
    expect(reduce(waiting, { type: "wake", reason: "visible" }, facts()).state).toEqual({ status: "connecting", attempt: 0, reason: "visible" });
    const restarted = reduce(live, { type: "restart", reason: "slept" }, facts());
    expect(restarted.state).toEqual({ status: "connecting", attempt: 0, reason: "slept" });
    expect(restarted.epoch).toBe(live.epoch + 1);
  });

  it("unavailable is kept until stop: no network event or retry revives it", () => {
    const m = run([{ type: "start" }]);
    const gone = reduce(m, { type: "give-up", epoch: m.epoch, reason: "Your session expired." }, facts());
    expect(gone.state).toEqual({ status: "unavailable", reason: "Your session expired." });
    for (const ev of [{ type: "online" }, { type: "offline" }, { type: "restart", reason: "r" }, { type: "wake", reason: "w" }, { type: "start" }] as ReconnectEvent[]) {
      expect(reduce(gone, ev, facts())).toBe(gone);
    }
    expect(reduce(gone, { type: "stop" }, facts()).state).toEqual({ status: "idle" });
    // Without an attempt (nothing to connect to), from idle:
    expect(run([{ type: "give-up", reason: "not configured" }]).state).toEqual({ status: "unavailable", reason: "not configured" });
  });

  it("stop reaches idle from anywhere, and idle ignores everything but start", () => {
    const m = run([{ type: "start" }]);
    const stopped = reduce(m, { type: "stop" }, facts());
    expect(stopped.state).toEqual({ status: "idle" });
    for (const ev of [
      { type: "online" },
      { type: "offline" },
      { type: "restart", reason: "r" },
      { type: "wake", reason: "w" },
      { type: "lost", epoch: stopped.epoch, reason: "x" },
      { type: "live", epoch: stopped.epoch },
      { type: "stop" },
    ] as ReconnectEvent[]) {
      expect(reduce(stopped, ev, facts())).toBe(stopped);
    }
  });
});

/** A Reconnector on vitest's fake timers, with a scripted network and a log of attempts. */
function harness(backoff: BackoffPolicy = POLICY) {
  const listeners = new Map<string, Set<() => void>>();
  const world = { online: true };
  const attempts: Attempt[] = [];
  const states: ReconnectState[] = [];
  const env: ReconnectEnv = {
    setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
    clearTimeout: (id) => clearTimeout(id as unknown as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
    random: () => 0.5,
    isOnline: () => world.online,
    listen: (event, fn) => {
      const set = listeners.get(event) ?? new Set();
      set.add(fn);
      listeners.set(event, set);
      return () => set.delete(fn);
    },
  };
  const link = new Reconnector({ env, backoff, open: (a) => attempts.push(a), onState: (s) => states.push(s) });
  const fire = (event: "online" | "offline") => {
    world.online = event === "online";
    for (const fn of [...(listeners.get(event) ?? [])]) fn();
  };
  const listening = () => [...listeners.values()].reduce((n, set) => n + set.size, 0);
  const last = () => {
    const a = attempts[attempts.length - 1];
    if (!a) throw new Error("no attempt yet");
    return a;
  };
  return { link, attempts, states, fire, listening, last, world };
}

describe("Reconnector (fake timers)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("opens an attempt on start, goes live, and retries a drop after the backoff with a new attempt", () => {
    const { link, attempts, last } = harness();
    link.start();
    expect(link.state).toEqual({ status: "connecting", attempt: 0 });
    expect(attempts).toHaveLength(1);
    const first = last();
    first.live();
    expect(link.state).toEqual({ status: "live", since: 1_000_000 });
    first.lost("closed");
    expect(first.signal.aborted).toBe(true); // the caller closes its transport on this
    expect(first.current).toBe(false);
    expect(link.state).toEqual({ status: "reconnecting", attempt: 1, retryAt: 1_000_750, reason: "closed" });
    vi.advanceTimersByTime(749);
    expect(attempts).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(attempts).toHaveLength(2);
    expect(link.state).toEqual({ status: "connecting", attempt: 1, reason: "closed" });
    expect(last().current).toBe(true);
    // Late news from the first attempt changes nothing.
    first.live();
    first.lost("late");
    expect(link.state.status).toBe("connecting");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("grows the wait while every attempt fails, up to the cap, and starts over after a success", () => {
    const { link, attempts, last } = harness();
    link.start();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      last().lost("down");
      const s = link.state;
      if (s.status !== "reconnecting") throw new Error(s.status);
      const before = attempts.length;
      waits.push(s.retryAt - Date.now());
      vi.advanceTimersByTime(s.retryAt - Date.now());
      expect(attempts).toHaveLength(before + 1);
    }
    expect(waits).toEqual([750, 1500, 3000, 6000, 6000, 6000]);
    last().live();
    last().lost("again");
    const s = link.state;
    expect(s.status === "reconnecting" && s.retryAt - Date.now()).toBe(750);
  });

  it("offline drops the attempt and stops retrying; online reconnects at once", () => {
    const { link, attempts, fire, last } = harness();
    link.start();
    last().live();
    const live = last();
    fire("offline");
    expect(link.state).toEqual({ status: "offline", reason: NO_NETWORK });
    expect(live.signal.aborted).toBe(true);
    vi.advanceTimersByTime(600_000);
    expect(attempts).toHaveLength(1);
    fire("online");
    expect(attempts).toHaveLength(2);
    expect(link.state).toEqual({ status: "connecting", attempt: 0, reason: "network is back" });
  });

  it("a pending retry is cancelled by going offline", () => {
    const { link, attempts, fire, last } = harness();
    link.start();
    last().lost("down");
    expect(vi.getTimerCount()).toBe(1);
    fire("offline");
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(attempts).toHaveLength(1);
    expect(link.state.status).toBe("offline");
  });

  it("starting without a network waits for it", () => {
    const { link, attempts, fire, world } = harness();
    world.online = false;
    link.start();
    expect(link.state.status).toBe("offline");
    expect(attempts).toHaveLength(0);
    fire("online");
    expect(attempts).toHaveLength(1);
  });

  it("stop (sign-out) is final: drops the attempt, the timer and the listeners; late callbacks do nothing", () => {
    const { link, attempts, states, fire, listening, last } = harness();
    link.start();
    expect(listening()).toBe(2);
    const first = last();
    first.lost("down");
    link.stop();
    expect(link.state).toEqual({ status: "idle" });
    expect(listening()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    const seen = states.length;
    first.live();
    first.lost("late");
    fire("online");
    vi.advanceTimersByTime(600_000);
    expect(attempts).toHaveLength(1);
    expect(states).toHaveLength(seen);
    // ...until started again.
    link.start();
    expect(attempts).toHaveLength(2);
    expect(listening()).toBe(2);
  });

  it("giving up ends retries and is reported once; lost() from a watchdog drops the live attempt", () => {
    const { link, attempts, fire, last } = harness();
    link.start();
    last().live();
    link.lost("silent");
    expect(last().signal.aborted).toBe(true);
    expect(link.state.status).toBe("reconnecting");
    vi.advanceTimersByTime(750);
    last().giveUp("Your session expired.");
    expect(link.state).toEqual({ status: "unavailable", reason: "Your session expired." });
    fire("offline");
    fire("online");
    vi.advanceTimersByTime(600_000);
    expect(attempts).toHaveLength(2);
    expect(link.state.status).toBe("unavailable");
  });

  it("reports every visible change, and opens no attempt when a listener stopped the machine", () => {
    const attempts: Attempt[] = [];
    const seen: string[] = [];
    const link: Reconnector = new Reconnector({
      env: { setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number, clearTimeout: () => undefined, now: () => Date.now(), random: () => 0 },
      open: (a) => attempts.push(a),
      onState: (s) => {
        seen.push(s.status);
        if (s.status === "connecting") link.stop();
      },
    });
    link.start();
    expect(seen).toEqual(["connecting", "idle"]);
    expect(attempts).toHaveLength(0);
  });
});
