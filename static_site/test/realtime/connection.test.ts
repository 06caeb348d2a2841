import { describe, expect, it } from "vitest";
import { RealtimeConnection, type LinkState } from "../../src/realtime/connection.ts";
import type { PlatformMessage } from "../../src/realtime/messages.ts";
import { flush, World } from "./fake-world.ts";

function setup(world = new World()) {
  const states: LinkState[] = [];
  const messages: PlatformMessage[] = [];
  const connects: string[] = [];
  const conn = new RealtimeConnection({
    env: world.env,
    negotiate: async () => {
      world.negotiations += 1;
      if (world.negotiateError) throw world.negotiateError;
      return `ws://twin/client/hubs/alerts?access_token=t${world.negotiations}`;
    },
    onState: (s) => states.push(s),
    onMessage: (m) => messages.push(m),
    onConnected: (id) => connects.push(id),
    isFatal: (err) => (err as { fatal?: boolean }).fatal === true,
  });
  return { world, conn, states, messages, connects, status: () => conn.current.status };
}

describe("RealtimeConnection", () => {
  it("negotiates, opens the socket with the JSON subprotocol and goes live on `connected`", async () => {
    const { world, conn, connects, messages, status } = setup();
    conn.start();
    await flush();
    expect(status()).toBe("connecting");
    expect(world.socket.protocol).toBe("json.webpubsub.azure.v1");
    expect(world.socket.url).toContain("access_token=t1");
    world.socket.connected("c1");
    expect(status()).toBe("live");
    expect(connects).toEqual(["c1"]);
    world.socket.frame({ type: "message", from: "server", dataType: "json", data: { type: "consumption.updated", device_ids: ["d1"] } });
    world.socket.frame({ type: "message", from: "server", dataType: "json", data: { type: "unknown.thing" } });
    expect(messages).toEqual([{ type: "consumption.updated", deviceIds: ["d1"] }]);
  });

  it("after a drop: backs off, negotiates a fresh token, reconnects and reports connected again", async () => {
    const { world, conn, connects, status } = setup();
    conn.start();
    await flush();
    world.socket.connected("c1");
    world.socket.drop();
    expect(status()).toBe("reconnecting");
    expect(world.negotiations).toBe(1);
    await world.advance(700); // first retry at 500–1000 ms (random 0.5 → 750)
    expect(world.negotiations).toBe(1);
    await world.advance(100);
    expect(world.negotiations).toBe(2);
    expect(world.socket.url).toContain("access_token=t2");
    world.socket.connected("c2");
    expect(connects).toEqual(["c1", "c2"]);
    expect(status()).toBe("live");
  });

  it("grows the delay while the server stays away, capped at 30 s, and resets after success", async () => {
    const { world, conn, states } = setup();
    world.negotiateError = { status: 502 };
    conn.start();
    await flush();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const s = states[states.length - 1];
      if (s?.status !== "reconnecting") throw new Error(`expected reconnecting, got ${s?.status}`);
      delays.push(s.retryAt - world.time);
      await world.advance(s.retryAt - world.time);
    }
    expect(delays).toEqual([750, 1500, 3000, 6000, 12000, 22500, 22500, 22500]);
    world.negotiateError = null;
    const s = states[states.length - 1];
    if (s?.status !== "reconnecting") throw new Error("expected reconnecting");
    await world.advance(s.retryAt - world.time);
    world.socket.connected();
    world.socket.drop();
    const again = states[states.length - 1];
    expect(again?.status === "reconnecting" && again.retryAt - world.time).toBe(750);
  });

  it("goes offline on the browser's `offline` event (closing the socket) and reconnects at once on `online`", async () => {
    const { world, conn, connects, status } = setup();
    conn.start();
    await flush();
    world.socket.connected("c1");
    const first = world.socket;
    world.online = false;
    world.fire("offline");
    expect(status()).toBe("offline");
    expect(first.closed).toBe(true);
    await world.advance(120_000);
    expect(world.negotiations).toBe(1); // no retries while offline
    world.online = true;
    world.fire("online");
    await flush();
    expect(world.negotiations).toBe(2);
    world.socket.connected("c2");
    expect(connects).toEqual(["c1", "c2"]);
    // Late events of the abandoned socket change nothing.
    first.drop();
    expect(status()).toBe("live");
  });

  it("pings when the line is quiet and reconnects when no pong comes (silently dead socket)", async () => {
    const { world, conn, status } = setup();
    conn.start();
    await flush();
    world.socket.connected("c1");
    const first = world.socket;
    await world.advance(25_000);
    expect(first.sent).toEqual(['{"type":"ping"}']);
    first.frame({ type: "pong" });
    await world.advance(25_000);
    expect(first.sent).toHaveLength(2);
    // Now the server goes silent: no pong.
    await world.advance(15_000);
    expect(first.closed).toBe(true);
    expect(status()).toBe("reconnecting");
    await world.advance(1000);
    expect(world.sockets).toHaveLength(2);
  });

  it("reconnects after the laptop slept (timer gap), even though the old socket looks open", async () => {
    const { world, conn, connects } = setup();
    conn.start();
    await flush();
    world.socket.connected("c1");
    const first = world.socket;
    world.sleep(2 * 3_600_000);
    await world.advance(10);
    expect(first.closed).toBe(true);
    expect(world.negotiations).toBe(2);
    world.socket.connected("c2");
    expect(connects).toEqual(["c1", "c2"]);
  });

  it("a hidden tab whose timers run once a minute is not mistaken for a sleeping laptop", async () => {
    const { world, conn, connects } = setup();
    conn.start();
    await flush();
    world.socket.connected("c1");
    world.visible = false;
    for (let i = 0; i < 10; i++) {
      world.sleep(60_000); // throttled: the 5 s watchdog fires once a minute
      await world.advance(1);
      world.socket.frame({ type: "pong" });
    }
    expect(world.sockets).toHaveLength(1);
    world.sleep(30 * 60_000); // now really asleep
    await world.advance(1);
    expect(world.sockets).toHaveLength(2);
    world.socket.connected("c2");
    expect(connects).toEqual(["c1", "c2"]);
  });

  it("a visible tab reconnects at once when it was waiting, and probes a live socket with a ping", async () => {
    const { world, conn, status } = setup();
    world.negotiateError = { status: 0 };
    conn.start();
    await flush();
    expect(status()).toBe("reconnecting");
    world.negotiateError = null;
    world.fire("visibilitychange");
    await flush();
    expect(world.negotiations).toBe(2);
    world.socket.connected();
    world.fire("visibilitychange");
    expect(world.socket.sent).toEqual(['{"type":"ping"}']);
  });

  it("gives up on a socket that never says `connected`", async () => {
    const { world, conn, status } = setup();
    conn.start();
    await flush();
    await world.advance(10_000);
    expect(world.sockets[0]?.closed).toBe(true);
    expect(status()).toBe("reconnecting");
  });

  it("waits a minute between tries when live updates are not configured (503)", async () => {
    const { world, conn, states } = setup();
    world.negotiateError = { status: 503 };
    conn.start();
    await flush();
    const s = states[states.length - 1];
    expect(s?.status === "reconnecting" && s.retryAt - world.time).toBe(60_000);
    expect(s?.status === "reconnecting" && s.reason).toContain("not configured");
  });

  it("stops for good when the session is gone, and stop() is final", async () => {
    const { world, conn, status } = setup();
    world.negotiateError = { fatal: true };
    conn.start();
    await flush();
    expect(status()).toBe("idle");
    await world.advance(120_000);
    expect(world.negotiations).toBe(1);

    const second = setup();
    second.conn.start();
    await flush();
    second.world.socket.connected();
    second.conn.stop();
    expect(second.world.socket.closed).toBe(true);
    second.world.fire("online");
    await second.world.advance(120_000);
    expect(second.world.negotiations).toBe(1);
    expect(second.status()).toBe("idle");
  });

  it("a server `disconnected` message leads to a reconnect", async () => {
    const { world, conn, status } = setup();
    conn.start();
    await flush();
    world.socket.connected();
    world.socket.frame({ type: "system", event: "disconnected", message: "closed by admin" });
    expect(status()).toBe("reconnecting");
    const s = conn.current;
    expect(s.status === "reconnecting" && s.reason).toContain("closed by admin");
  });
});
