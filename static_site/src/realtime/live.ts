/**
 * Live updates for a signed-in client: one self-healing connection per tab, alert notices
 * (pushed or caught up from the API after a reconnect), the unread count, consumption changes.
 * UI-free: the app turns notices into toasts and a badge, pages subscribe to what they show.
 */

import type { Api } from "../api/index.ts";
import { SessionExpiredError } from "../api/errors.ts";
import type { Alert } from "../api/types.ts";
import { RealtimeConnection, type ConnectionEnv, type ConnectionTuning, type LinkState } from "./connection.ts";
import { AlertLedger } from "./ledger.ts";
import type { AlertSummaryMessage, PlatformMessage, PushedAlert, PushedSilence } from "./messages.ts";

/** A BroadcastChannel between this browser's tabs, or undefined where there is none. */
export function browserPeers(name: string): PeerChannel | undefined {
  if (typeof BroadcastChannel === "undefined") return undefined;
  const channel = new BroadcastChannel(name);
  return {
    post: (message) => channel.postMessage(message),
    listen: (fn) => {
      const handler = (ev: MessageEvent) => {
        if (typeof ev.data === "string") fn(ev.data);
      };
      channel.addEventListener("message", handler);
      return () => channel.removeEventListener("message", handler);
    },
  };
}

/** One alert to tell the user about. */
export interface AlertNotice {
  id: string;
  deviceId: string;
  deviceDescription: string;
  hourStart: string;
  energyKwh: number;
  maxHourlyKwh: number;
  /** Pushed live, or found by the catch-up after a reconnect. */
  source: "live" | "catch-up";
  /** `cleared`: late readings brought the hour to or under the maximum (the alert is withdrawn). */
  state?: "active" | "cleared";
}

/** Many alert changes told at once (a backfill: a meter catching up), merged across pushes. */
export interface AlertSummaryNotice {
  backfill: boolean;
  active: number;
  cleared: number;
  firstHour: string | null;
  lastHour: string | null;
  /** The newest active hours: the top of the alerts page. */
  examples: AlertNotice[];
}

export type LiveEvent =
  | { type: "alert"; notice: AlertNotice }
  /** Several alerts were missed while disconnected (too many for one notice each). */
  | { type: "alerts-missed"; notices: AlertNotice[]; total: number }
  /** An alert was withdrawn live (late data brought its hour to or under the maximum). */
  | { type: "alert-cleared"; notice: AlertNotice }
  /** One summary for many alerts (e.g. a meter catching up after being offline). */
  | { type: "alerts-summary"; summary: AlertSummaryNotice }
  /** Something changed in the alert list (new alert, raised peak, catch-up): lists reload. */
  | { type: "alerts-changed"; deviceIds: string[] }
  | { type: "consumption"; deviceIds: string[] }
  /** A meter of this user went silent or resumed reporting (operator console, issue 14). */
  | { type: "meter"; change: "silent" | "resumed"; episode: PushedSilence };

type Listener<T> = (value: T) => void;

const BASELINE_LIMIT = 50;
/** Summaries arriving within this window add up into one notice (a catch-up spans batches). */
const SUMMARY_MERGE_MS = 60_000;
const CATCH_UP_LIMIT = 100;
/** Past this many missed alerts, one summary notice instead of one each. */
export const MAX_INDIVIDUAL_NOTICES = 3;

/** Other tabs of this browser (BroadcastChannel): acknowledgements made there. */
export interface PeerChannel {
  post: (message: string) => void;
  listen: (fn: (message: string) => void) => () => void;
}

export interface LiveUpdatesOptions {
  api: Api;
  env: ConnectionEnv;
  peers?: PeerChannel;
  tuning?: Partial<ConnectionTuning>;
}

export class LiveUpdates {
  private readonly api: Api;
  private readonly env: ConnectionEnv;
  private readonly tuning: Partial<ConnectionTuning> | undefined;
  private readonly peers: PeerChannel | undefined;
  private unlisten: (() => void)[] = [];
  private connection: RealtimeConnection | null = null;
  private userId: string | null = null;
  private readonly ledger = new AlertLedger();
  private readonly deviceNames = new Map<string, string>();
  private unread = 0;
  private link: LinkState = { status: "idle" };
  private catchUpRunning: Promise<void> | null = null;
  private catchUpAgain = false;
  private summary: { notice: AlertSummaryNotice; at: number } | null = null;
  /** Bumped on start/stop so late API answers for a previous user are dropped. */
  private epoch = 0;
  private readonly stateListeners = new Set<Listener<LinkState>>();
  private readonly unreadListeners = new Set<Listener<number>>();
  private readonly eventListeners = new Set<Listener<LiveEvent>>();

  constructor(opts: LiveUpdatesOptions) {
    this.api = opts.api;
    this.env = opts.env;
    this.tuning = opts.tuning;
    this.peers = opts.peers;
  }

  get state(): LinkState {
    return this.link;
  }

  get unreadCount(): number {
    return this.unread;
  }

  get activeUserId(): string | null {
    return this.userId;
  }

  /** Connect for this user (a no-op when already connected for them). */
  start(userId: string): void {
    if (this.userId === userId && this.connection) return;
    this.stop();
    this.epoch += 1;
    this.userId = userId;
    const epoch = this.epoch;
    this.connection = new RealtimeConnection({
      env: this.env,
      tuning: this.tuning,
      negotiate: async () => (await this.api.me.negotiateRealtime()).url,
      isFatal: (err) => err instanceof SessionExpiredError,
      onState: (state) => {
        if (epoch !== this.epoch) return;
        this.link = state;
        for (const l of this.stateListeners) l(state);
      },
      onConnected: () => {
        if (epoch === this.epoch) this.catchUp();
      },
      onMessage: (message) => {
        if (epoch === this.epoch) this.onMessage(message);
      },
    });
    // Acknowledgements are not pushed: follow other tabs of this browser, and re-read the count
    // whenever this tab comes back into view (acknowledged on another device meanwhile).
    const ackMessage = `acknowledged:${userId}`;
    this.unlisten = [
      this.env.listen("visibilitychange", () => {
        if (this.env.isVisible()) void this.refreshUnread();
      }),
      this.peers?.listen((message) => {
        if (message !== ackMessage || epoch !== this.epoch) return;
        void this.refreshUnread();
        this.emit({ type: "alerts-changed", deviceIds: [] });
      }) ?? (() => undefined),
    ];
    // The badge needs the count even before (or without) a live connection.
    this.catchUp();
    this.connection.start();
  }

  /** This tab acknowledged alerts: re-read the count here and tell the other tabs. */
  acknowledged(): void {
    void this.refreshUnread();
    if (this.userId) this.peers?.post(`acknowledged:${this.userId}`);
  }

  stop(): void {
    this.epoch += 1;
    for (const off of this.unlisten) off();
    this.unlisten = [];
    this.connection?.stop();
    this.connection = null;
    this.userId = null;
    this.ledger.reset();
    this.deviceNames.clear();
    this.catchUpRunning = null;
    this.catchUpAgain = false;
    this.setUnread(0);
    this.link = { status: "idle" };
    for (const l of this.stateListeners) l(this.link);
  }

  /** Re-read the unread count (after acknowledging). */
  async refreshUnread(): Promise<void> {
    const epoch = this.epoch;
    try {
      const page = await this.api.me.alerts({ limit: 1 });
      if (epoch === this.epoch) this.setUnread(page.unacknowledged);
    } catch {
      // keep the last count; the next catch-up corrects it
    }
  }

  /** The API told us the count (e.g. a list page just loaded). */
  setUnread(count: number): void {
    const n = Math.max(0, Math.floor(count));
    if (n === this.unread) return;
    this.unread = n;
    for (const l of this.unreadListeners) l(n);
  }

  onState(fn: Listener<LinkState>): () => void {
    this.stateListeners.add(fn);
    fn(this.link);
    return () => this.stateListeners.delete(fn);
  }

  onUnread(fn: Listener<number>): () => void {
    this.unreadListeners.add(fn);
    fn(this.unread);
    return () => this.unreadListeners.delete(fn);
  }

  onEvent(fn: Listener<LiveEvent>): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  // ------------------------------------------------------------------ internals

  private emit(event: LiveEvent): void {
    for (const l of this.eventListeners) {
      try {
        l(event);
      } catch (err) {
        console.error("live update listener failed", err);
      }
    }
  }

  private onMessage(message: PlatformMessage): void {
    if (message.type === "meter.silent" || message.type === "meter.resumed") {
      this.emit({ type: "meter", change: message.type === "meter.silent" ? "silent" : "resumed", episode: message.episode });
      return;
    }
    if (message.type === "consumption.updated") {
      this.emit({ type: "consumption", deviceIds: message.deviceIds });
      return;
    }
    if (message.type === "alerts.summary") {
      for (const a of message.examples) this.ledger.notePushed(a.id);
      void this.refreshUnread();
      this.emit({ type: "alerts-changed", deviceIds: message.deviceIds });
      void this.summaryFromPush(message);
      return;
    }
    // An alert message stands for "this device's hours changed" too (no separate push).
    this.emit({ type: "consumption", deviceIds: [message.alert.device_id] });
    if (message.type === "alert.cleared" || message.alert.state === "cleared") {
      this.ledger.notePushed(message.alert.id);
      void this.refreshUnread();
      this.emit({ type: "alerts-changed", deviceIds: [message.alert.device_id] });
      void this.clearedFromPush(message.alert);
      return;
    }
    const fresh = this.ledger.notePushed(message.alert.id);
    if (fresh) this.setUnread(this.unread + 1);
    this.emit({ type: "alerts-changed", deviceIds: [message.alert.device_id] });
    // A raised peak of a known alert is not news; an alert this tab never saw is (e.g. its
    // `opened` push was missed during a reconnect), whichever message brings it.
    if (fresh) void this.noticeFromPush(message.alert);
  }

  private async noticeFromPush(alert: PushedAlert): Promise<void> {
    const epoch = this.epoch;
    const deviceDescription = await this.describeDevice(alert.device_id);
    if (epoch !== this.epoch) return;
    this.emit({
      type: "alert",
      notice: {
        id: alert.id,
        deviceId: alert.device_id,
        deviceDescription,
        hourStart: alert.hour_start,
        energyKwh: alert.energy_kwh,
        maxHourlyKwh: alert.max_hourly_kwh,
        source: "live",
      },
    });
  }

  private async clearedFromPush(alert: PushedAlert): Promise<void> {
    const epoch = this.epoch;
    const deviceDescription = await this.describeDevice(alert.device_id);
    if (epoch !== this.epoch) return;
    this.emit({ type: "alert-cleared", notice: { ...pushedNotice(alert, deviceDescription), state: "cleared" } });
  }

  private async summaryFromPush(message: AlertSummaryMessage): Promise<void> {
    const epoch = this.epoch;
    const examples: AlertNotice[] = [];
    for (const a of message.examples) examples.push(pushedNotice(a, await this.describeDevice(a.device_id)));
    if (epoch !== this.epoch) return;
    const now = this.env.now();
    const previous = this.summary && now - this.summary.at < SUMMARY_MERGE_MS && this.summary.notice.backfill === message.backfill ? this.summary.notice : null;
    const merged: AlertSummaryNotice = previous
      ? {
          backfill: message.backfill,
          active: previous.active + message.active,
          cleared: previous.cleared + message.cleared,
          firstHour: earliest(previous.firstHour, message.firstHour),
          lastHour: latest(previous.lastHour, message.lastHour),
          examples: [...examples, ...previous.examples].sort((a, b) => Date.parse(b.hourStart) - Date.parse(a.hourStart)).slice(0, 3),
        }
      : { backfill: message.backfill, active: message.active, cleared: message.cleared, firstHour: message.firstHour, lastHour: message.lastHour, examples };
    this.summary = { notice: merged, at: now };
    this.emit({ type: "alerts-summary", summary: merged });
  }

  private async describeDevice(deviceId: string): Promise<string> {
    const known = this.deviceNames.get(deviceId);
    if (known) return known;
    try {
      const page = await this.api.me.devices({ limit: 100 });
      for (const d of page.items) this.deviceNames.set(d.id, d.description);
    } catch {
      // fall through to a generic name
    }
    return this.deviceNames.get(deviceId) ?? "One of your devices";
  }

  /** Baseline on first run, then "what was created since the newest alert we know" — serialized. */
  private catchUp(): void {
    if (this.catchUpRunning) {
      this.catchUpAgain = true;
      return;
    }
    const epoch = this.epoch;
    this.catchUpRunning = this.runCatchUp(epoch).finally(() => {
      if (epoch !== this.epoch) return;
      this.catchUpRunning = null;
      if (this.catchUpAgain) {
        this.catchUpAgain = false;
        this.catchUp();
      }
    });
  }

  private async runCatchUp(epoch: number): Promise<void> {
    try {
      if (!this.ledger.initialized) {
        const page = await this.api.me.alerts({ limit: BASELINE_LIMIT });
        if (epoch !== this.epoch) return;
        this.remember(page.items);
        this.ledger.baseline(page.items);
        this.setUnread(page.unacknowledged);
        return;
      }
      const since = this.ledger.sinceParam() ?? undefined;
      // Active alerts only: one that late data already withdrew is no news, and the count
      // matches the alerts page's "Active" tab.
      const page = await this.api.me.alerts({ since, limit: CATCH_UP_LIMIT, state: "active" });
      if (epoch !== this.epoch) return;
      this.remember(page.items);
      const known = page.items.length - page.items.filter((a) => !this.ledger.has(a.id)).length;
      const fresh = this.ledger.merge(page.items);
      this.setUnread(page.unacknowledged);
      if (fresh.length === 0) return;
      this.emit({ type: "alerts-changed", deviceIds: [...new Set(fresh.map((a) => a.device_id))] });
      const notices = fresh.map((a) => noticeFromApi(a)).reverse(); // oldest first
      // The count is the API's (alerts created since we last looked, beyond this page too), so
      // the toast and the alerts page agree.
      const total = Math.max(fresh.length, page.total - known);
      if (total > MAX_INDIVIDUAL_NOTICES) this.emit({ type: "alerts-missed", notices, total });
      else for (const notice of notices) this.emit({ type: "alert", notice });
    } catch {
      // Offline or a server hiccup: the next (re)connect catches up again.
    }
  }

  private remember(items: readonly Alert[]): void {
    for (const a of items) if (a.device_description) this.deviceNames.set(a.device_id, a.device_description);
  }
}

function noticeFromApi(a: Alert): AlertNotice {
  return {
    id: a.id,
    deviceId: a.device_id,
    deviceDescription: a.device_description ?? "One of your devices",
    hourStart: a.hour_start,
    energyKwh: a.energy_kwh,
    maxHourlyKwh: a.max_hourly_kwh,
    source: "catch-up",
    state: a.state,
  };
}

function pushedNotice(a: PushedAlert, deviceDescription: string): AlertNotice {
  return {
    id: a.id,
    deviceId: a.device_id,
    deviceDescription,
    hourStart: a.hour_start,
    energyKwh: a.energy_kwh,
    maxHourlyKwh: a.max_hourly_kwh,
    source: "live",
    state: a.state,
  };
}

function earliest(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

function latest(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
