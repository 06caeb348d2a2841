import { describe, expect, it } from "vitest";
import { parseFrame, parsePlatformMessage } from "../../src/realtime/messages.ts";

const alert = { id: "a1", device_id: "d1", hour_start: "2026-11-27T10:00:00+00:00", energy_kwh: 4.1, max_hourly_kwh: 1 };
/** What the parser makes of `alert` (a server without the lifecycle fields: active, peak = energy). */
const parsedAlert = { ...alert, state: "active", peak_kwh: 4.1 };

describe("parseFrame (json.webpubsub.azure.v1)", () => {
  it("reads the connected system message", () => {
    expect(parseFrame(JSON.stringify({ type: "system", event: "connected", userId: "u1", connectionId: "c1" }))).toEqual({
      kind: "connected",
      connectionId: "c1",
      userId: "u1",
    });
  });

  it("reads disconnected and pong", () => {
    expect(parseFrame('{"type":"system","event":"disconnected","message":"closed by server"}')).toEqual({ kind: "disconnected", reason: "closed by server" });
    expect(parseFrame('{"type":"pong"}')).toEqual({ kind: "pong" });
  });

  it("unwraps a server message with JSON data", () => {
    const frame = parseFrame(JSON.stringify({ type: "message", from: "server", dataType: "json", data: { type: "alert.opened", alert, sent_at: "2026-11-27T10:25:00+00:00" } }));
    expect(frame).toEqual({ kind: "message", message: { type: "alert.opened", alert: parsedAlert, sentAt: "2026-11-27T10:25:00+00:00" } });
  });

  it("accepts the payload sent as text", () => {
    const data = JSON.stringify({ type: "consumption.updated", device_ids: ["d1", "d2"] });
    expect(parseFrame(JSON.stringify({ type: "message", from: "server", dataType: "text", data }))).toEqual({
      kind: "message",
      message: { type: "consumption.updated", deviceIds: ["d1", "d2"] },
    });
  });

  it("ignores what is not for us and never throws on garbage", () => {
    expect(parseFrame('{"type":"ack","ackId":1,"success":true}')).toEqual({ kind: "ignored" });
    expect(parseFrame('{"type":"message","from":"group","group":"g","data":{"type":"alert.opened"}}')).toEqual({ kind: "ignored" });
    expect(parseFrame('{"type":"message","from":"server","data":{"type":"chat.message","text":"hi"}}')).toEqual({ kind: "ignored" });
    expect(parseFrame('{"type":"system","event":"connected"}')).toEqual({ kind: "ignored" });
    expect(parseFrame("not json")).toBeNull();
    expect(parseFrame("[1,2]")).toBeNull();
    expect(parseFrame('"text"')).toBeNull();
  });
});

describe("parsePlatformMessage", () => {
  it("reads alert.updated and keeps a missing sent_at as null", () => {
    expect(parsePlatformMessage({ type: "alert.updated", alert })).toEqual({ type: "alert.updated", alert: parsedAlert, sentAt: null });
  });

  it("rejects alerts with missing or mistyped fields", () => {
    expect(parsePlatformMessage({ type: "alert.opened", alert: { ...alert, energy_kwh: "4.1" } })).toBeNull();
    expect(parsePlatformMessage({ type: "alert.opened", alert: { ...alert, id: "" } })).toBeNull();
    expect(parsePlatformMessage({ type: "alert.opened", alert: { ...alert, hour_start: "yesterday" } })).toBeNull();
    expect(parsePlatformMessage({ type: "alert.opened", alert: { ...alert, max_hourly_kwh: Number.NaN } })).toBeNull();
    expect(parsePlatformMessage({ type: "alert.opened" })).toBeNull();
  });

  it("drops non-string device ids and rejects a missing list", () => {
    expect(parsePlatformMessage({ type: "consumption.updated", device_ids: ["d1", 7, null, ""] })).toEqual({ type: "consumption.updated", deviceIds: ["d1"] });
    expect(parsePlatformMessage({ type: "consumption.updated" })).toBeNull();
  });

  it("returns null for unknown types (newer servers may send more)", () => {
    expect(parsePlatformMessage({ type: "device.deleted", device_id: "d1" })).toBeNull();
    expect(parsePlatformMessage(null)).toBeNull();
    expect(parsePlatformMessage("{")).toBeNull();
  });
});

describe("alert lifecycle messages", () => {
  it("reads alert.cleared with its state and peak (older servers: active, peak = energy)", () => {
    const cleared = { ...alert, energy_kwh: 0.4, peak_kwh: 4.1, state: "cleared" };
    expect(parsePlatformMessage({ type: "alert.cleared", alert: cleared })).toEqual({
      type: "alert.cleared",
      alert: { ...alert, energy_kwh: 0.4, peak_kwh: 4.1, state: "cleared" },
      sentAt: null,
    });
    const old = parsePlatformMessage({ type: "alert.opened", alert });
    expect(old && "alert" in old ? [old.alert.state, old.alert.peak_kwh] : null).toEqual(["active", 4.1]);
  });

  it("reads alerts.summary and drops malformed examples", () => {
    const parsed = parsePlatformMessage({
      type: "alerts.summary",
      backfill: true,
      active: 107,
      cleared: 2,
      first_hour: "2026-11-03T00:00:00+00:00",
      last_hour: "2026-11-09T21:00:00+00:00",
      device_ids: ["d1", 5],
      examples: [alert, { id: "" }],
    });
    expect(parsed).toEqual({
      type: "alerts.summary",
      backfill: true,
      active: 107,
      cleared: 2,
      firstHour: "2026-11-03T00:00:00+00:00",
      lastHour: "2026-11-09T21:00:00+00:00",
      deviceIds: ["d1"],
      examples: [{ ...alert, state: "active", peak_kwh: 4.1 }],
    });
  });
});
