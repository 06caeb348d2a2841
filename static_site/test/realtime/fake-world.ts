/** A fake browser for the live-connection tests: timers, network, visibility, sockets. */

import type { ConnectionEnv, SocketLike } from "../../src/realtime/connection.ts";

export class FakeSocket implements SocketLike {
  readonly url: string;
  protocol: string;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  sent: string[] = [];
  closed = false;
  constructor(url: string, protocol: string) {
    this.url = url;
    this.protocol = protocol;
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.closed = true;
  }
  // server side
  frame(data: unknown): void {
    this.onmessage?.({ data: JSON.stringify(data) } as MessageEvent);
  }
  connected(id = "conn"): void {
    this.frame({ type: "system", event: "connected", userId: "u1", connectionId: id });
  }
  drop(): void {
    this.onclose?.({} as CloseEvent);
  }
}

/** Timers, network, visibility and sockets under the test's control. */
export class World {
  time = 1_000_000;
  online = true;
  visible = true;
  sockets: FakeSocket[] = [];
  negotiations = 0;
  negotiateError: unknown = null;
  private nextId = 1;
  private timers = new Map<number, { at: number; every: number | null; fn: () => void }>();
  private listeners = new Map<string, Set<() => void>>();

  env: ConnectionEnv = {
    createSocket: (url, protocol) => {
      const s = new FakeSocket(url, protocol);
      this.sockets.push(s);
      return s;
    },
    setTimeout: (fn, ms) => this.add(fn, ms, null),
    clearTimeout: (id) => void this.timers.delete(id),
    setInterval: (fn, ms) => this.add(fn, ms, ms),
    clearInterval: (id) => void this.timers.delete(id),
    now: () => this.time,
    random: () => 0.5,
    isOnline: () => this.online,
    isVisible: () => this.visible,
    listen: (event, fn) => {
      const set = this.listeners.get(event) ?? new Set();
      set.add(fn);
      this.listeners.set(event, set);
      return () => set.delete(fn);
    },
  };

  private add(fn: () => void, ms: number, every: number | null): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, every, fn });
    return id;
  }

  /** Let time pass with timers firing (as when the machine is awake). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      const [id, t] = due;
      this.time = t.at;
      if (t.every === null) this.timers.delete(id);
      else t.at += t.every;
      t.fn();
      await flush();
    }
    this.time = end;
    await flush();
  }

  /** Time passes with no timer running (sleep); the next tick sees the gap. */
  sleep(ms: number): void {
    this.time += ms;
    for (const t of this.timers.values()) if (t.at < this.time) t.at = this.time;
  }

  fire(event: string): void {
    for (const fn of this.listeners.get(event) ?? []) fn();
  }

  get socket(): FakeSocket {
    const s = this.sockets[this.sockets.length - 1];
    if (!s) throw new Error("no socket yet");
    return s;
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

