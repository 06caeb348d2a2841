import { describe, expect, it } from "vitest";
import type { Api } from "../../src/api/index.ts";
import { SessionExpiredError } from "../../src/api/errors.ts";
import type { Alert, AlertPage, AlertQuery } from "../../src/api/types.ts";
import { LiveUpdates, type LiveEvent } from "../../src/realtime/live.ts";
import { flush, World } from "./fake-world.ts";

function alert(id: string, createdAt: string, device = "d1"): Alert {
  return {
    id,
    device_id: device,
    device_description: device === "d1" ? "Boiler" : "Heat pump",
    hour_start: "2026-11-27T10:00:00Z",
    energy_kwh: 2.5,
    max_hourly_kwh: 1,
    peak_kwh: 2.5,
    state: "active",
    created_at: createdAt,
    updated_at: createdAt,
    cleared_at: null,
    acknowledged_at: null,
  };
}

/** The alerts the server holds, and the queries the client made. */
class FakeServer {
  alerts: Alert[] = [];
  queries: AlertQuery[] = [];
  negotiateError: unknown = null;
  api = {
    me: {
      alerts: async (q: AlertQuery = {}): Promise<AlertPage> => {
        this.queries.push(q);
        const since = q.since ? Date.parse(q.since) : null;
        const items = this.alerts
          .filter((a) => since === null || Date.parse(a.created_at) > since)
          .sort((a, b) => b.created_at.localeCompare(a.created_at))
          .slice(q.offset ?? 0, (q.offset ?? 0) + (q.limit ?? 20));
        const open = this.alerts.filter((a) => a.acknowledged_at === null).length;
        return { items, total: items.length, limit: q.limit ?? 20, offset: q.offset ?? 0, unacknowledged: open };
      },
      devices: async () => ({ items: [{ id: "d1", description: "Boiler" }, { id: "d2", description: "Heat pump" }], total: 2 }),
      negotiateRealtime: async () => {
        if (this.negotiateError) throw this.negotiateError;
        return { url: "ws://twin/client/hubs/alerts?access_token=x", expires_in: 3600 };
      },
    },
  } as unknown as Api;
}

function push(world: World, data: unknown): void {
  world.socket.frame({ type: "message", from: "server", dataType: "json", data });
}

function pushed(id: string, device = "d1") {
  return { id, device_id: device, hour_start: "2026-11-27T10:00:00+00:00", energy_kwh: 3.25, max_hourly_kwh: 1 };
}

async function started(server = new FakeServer()) {
  const world = new World();
  const live = new LiveUpdates({ api: server.api, env: world.env });
  const events: LiveEvent[] = [];
  const unread: number[] = [];
  live.onEvent((e) => events.push(e));
  live.onUnread((n) => unread.push(n));
  live.start("u1");
  await flush();
  world.socket.connected("c1");
  await flush();
  return { world, live, server, events, unread, notices: () => events.filter((e) => e.type === "alert").map((e) => (e.type === "alert" ? e.notice : null)) };
}

describe("LiveUpdates", () => {
  it("treats alerts from before the start as history: count only, no notice", async () => {
    const server = new FakeServer();
    server.alerts = [alert("old1", "2026-11-27T09:00:00Z"), alert("old2", "2026-11-27T09:30:00Z")];
    const { live, notices, server: s } = await started(server);
    expect(live.unreadCount).toBe(2);
    expect(notices()).toEqual([]);
    expect(s.queries[0]).toEqual({ limit: 50 }); // baseline
    expect(s.queries[1]?.since).toBe("2026-11-27T09:29:00.000Z"); // catch-up on connected
  });

  it("a pushed alert.opened becomes a notice with the device's name and bumps the count", async () => {
    const { world, live, notices, events } = await started();
    push(world, { type: "alert.opened", alert: pushed("a1"), sent_at: "2026-11-27T10:25:00Z" });
    await flush();
    expect(live.unreadCount).toBe(1);
    expect(notices()).toEqual([
      { id: "a1", deviceId: "d1", deviceDescription: "Boiler", hourStart: "2026-11-27T10:00:00+00:00", energyKwh: 3.25, maxHourlyKwh: 1, source: "live" },
    ]);
    expect(events).toContainEqual({ type: "alerts-changed", deviceIds: ["d1"] });
  });

  it("a raised peak of a known alert refreshes lists but is not news", async () => {
    const { world, live, notices, events } = await started();
    push(world, { type: "alert.opened", alert: pushed("a1") });
    push(world, { type: "alert.updated", alert: { ...pushed("a1"), energy_kwh: 5 } });
    await flush();
    expect(notices()).toHaveLength(1);
    expect(live.unreadCount).toBe(1);
    expect(events.filter((e) => e.type === "alerts-changed")).toHaveLength(2);
  });

  it("an update for an alert this tab never saw is news (its `opened` push was missed)", async () => {
    const { world, notices } = await started();
    push(world, { type: "alert.updated", alert: pushed("a9", "d2") });
    await flush();
    expect(notices().map((n) => n?.deviceDescription)).toEqual(["Heat pump"]);
  });

  it("passes consumption updates on", async () => {
    const { world, events } = await started();
    push(world, { type: "consumption.updated", device_ids: ["d1"] });
    expect(events).toContainEqual({ type: "consumption", deviceIds: ["d1"] });
  });

  it("after a reconnect, notifies exactly the alerts missed meanwhile (not those pushed before)", async () => {
    const server = new FakeServer();
    server.alerts = [alert("old", "2026-11-27T09:00:00Z")];
    const { world, notices, server: s, live } = await started(server);
    push(world, { type: "alert.opened", alert: pushed("live1") });
    server.alerts.push(alert("live1", "2026-11-27T10:00:00Z"));
    await flush();
    world.socket.drop();
    server.alerts.push(alert("missed", "2026-11-27T10:05:00Z", "d2"));
    await world.advance(1000);
    world.socket.connected("c2");
    await flush();
    expect(notices().map((n) => [n?.id, n?.source])).toEqual([
      ["live1", "live"],
      ["missed", "catch-up"],
    ]);
    expect(live.unreadCount).toBe(3);
    expect(s.queries[s.queries.length - 1]?.since).toBeDefined();
  });

  it("many missed alerts give one summary instead of a flood of toasts", async () => {
    const server = new FakeServer();
    const { world, events } = await started(server);
    world.socket.drop();
    for (let i = 0; i < 6; i++) server.alerts.push(alert(`m${i}`, `2026-11-27T10:0${i}:00Z`));
    await world.advance(1000);
    world.socket.connected("c2");
    await flush();
    const summaries = events.filter((e) => e.type === "alerts-missed");
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.type === "alerts-missed" && summaries[0].notices.map((n) => n.id)).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);
    expect(events.filter((e) => e.type === "alert")).toHaveLength(0);
  });

  it("stop() forgets the user: no connection, count 0, late answers ignored", async () => {
    const { world, live, unread } = await started();
    push(world, { type: "alert.opened", alert: pushed("a1") });
    await flush();
    live.stop();
    expect(world.socket.closed).toBe(true);
    expect(live.unreadCount).toBe(0);
    expect(unread[unread.length - 1]).toBe(0);
    expect(live.state.status).toBe("idle");
  });

  it("an expired session stops the connection", async () => {
    const server = new FakeServer();
    server.negotiateError = new SessionExpiredError();
    const world = new World();
    const live = new LiveUpdates({ api: server.api, env: world.env });
    live.start("u1");
    await flush();
    expect(live.state.status).toBe("idle");
    await world.advance(60_000);
    expect(world.sockets).toHaveLength(0);
  });
});

describe("LiveUpdates across tabs", () => {
  it("an acknowledgement in one tab re-reads the count in the others (same user only)", async () => {
    const listeners = new Set<(m: string) => void>();
    const posted: string[] = [];
    const peers = {
      post: (m: string) => posted.push(m),
      listen: (fn: (m: string) => void) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    };
    const server = new FakeServer();
    server.alerts = [alert("a", "2026-11-27T09:00:00Z"), alert("b", "2026-11-27T09:10:00Z")];
    const world = new World();
    const live = new LiveUpdates({ api: server.api, env: world.env, peers });
    const events: LiveEvent[] = [];
    live.onEvent((e) => events.push(e));
    live.start("u1");
    await flush();
    expect(live.unreadCount).toBe(2);

    for (const a of server.alerts) a.acknowledged_at = "2026-11-27T10:00:00Z";
    for (const fn of listeners) fn("acknowledged:someone-else");
    await flush();
    expect(live.unreadCount).toBe(2);
    for (const fn of listeners) fn("acknowledged:u1");
    await flush();
    expect(live.unreadCount).toBe(0);
    expect(events).toContainEqual({ type: "alerts-changed", deviceIds: [] });

    live.acknowledged();
    expect(posted).toEqual(["acknowledged:u1"]);
    live.stop();
    expect(listeners.size).toBe(0);
  });

  it("re-reads the count when the tab becomes visible", async () => {
    const server = new FakeServer();
    server.alerts = [alert("a", "2026-11-27T09:00:00Z")];
    const { world, live } = await started(server);
    expect(live.unreadCount).toBe(1);
    server.alerts[0]!.acknowledged_at = "2026-11-27T10:00:00Z";
    world.fire("visibilitychange");
    await flush();
    expect(live.unreadCount).toBe(0);
  });
});

describe("LiveUpdates: the alert lifecycle", () => {
  it("a cleared alert is withdrawn live: a notice, lists reload, the count is re-read", async () => {
    const server = new FakeServer();
    const { world, events, server: s } = await started(server);
    push(world, { type: "alert.opened", alert: pushed("a1") });
    await flush();
    const before = s.queries.length;
    push(world, { type: "alert.cleared", alert: { ...pushed("a1"), energy_kwh: 0.5, peak_kwh: 3.25, state: "cleared" } });
    await flush();
    const cleared = events.filter((e) => e.type === "alert-cleared");
    expect(cleared).toHaveLength(1);
    expect(cleared[0]?.type === "alert-cleared" ? [cleared[0].notice.id, cleared[0].notice.state, cleared[0].notice.energyKwh] : null).toEqual(["a1", "cleared", 0.5]);
    expect(events).toContainEqual({ type: "consumption", deviceIds: ["d1"] });
    expect(s.queries.length).toBeGreaterThan(before); // unread count re-read from the API
  });

  it("backfill summaries arriving close together add up into one notice with the newest examples", async () => {
    const { world, events } = await started();
    const summary = (active: number, first: string, last: string, ids: string[]) => ({
      type: "alerts.summary",
      backfill: true,
      active,
      cleared: 0,
      first_hour: first,
      last_hour: last,
      device_ids: ["d1"],
      examples: ids.map((id, i) => ({ ...pushed(id), hour_start: `${last.slice(0, 11)}${pad2(20 - i)}:00:00+00:00` })),
    });
    push(world, summary(50, "2026-11-03T00:00:00+00:00", "2026-11-06T20:00:00+00:00", ["x1", "x2", "x3"]));
    await flush();
    push(world, summary(57, "2026-11-06T21:00:00+00:00", "2026-11-09T20:00:00+00:00", ["y1", "y2", "y3"]));
    await flush();
    const summaries = events.filter((e) => e.type === "alerts-summary").map((e) => (e.type === "alerts-summary" ? e.summary : null));
    expect(summaries).toHaveLength(2);
    const last = summaries[1];
    expect([last?.active, last?.firstHour, last?.lastHour]).toEqual([107, "2026-11-03T00:00:00+00:00", "2026-11-09T20:00:00+00:00"]);
    expect(last?.examples.map((n) => n.id)).toEqual(["y1", "y2", "y3"]);
  });
});

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}
