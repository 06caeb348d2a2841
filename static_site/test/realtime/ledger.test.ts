import { describe, expect, it } from "vitest";
import type { Alert } from "../../src/api/types.ts";
import { AlertLedger } from "../../src/realtime/ledger.ts";

function alert(id: string, createdAt: string): Alert {
  return {
    id,
    device_id: "d1",
    device_description: "Boiler",
    hour_start: "2026-11-27T10:00:00Z",
    energy_kwh: 2,
    max_hourly_kwh: 1,
    peak_kwh: 2.5,
    state: "active",
    created_at: createdAt,
    updated_at: createdAt,
    cleared_at: null,
    acknowledged_at: null,
  };
}

describe("AlertLedger", () => {
  it("starts uninitialised with no since (the first read is a baseline)", () => {
    const ledger = new AlertLedger();
    expect(ledger.initialized).toBe(false);
    expect(ledger.sinceParam()).toBeNull();
  });

  it("catches up from the newest created_at minus an overlap", () => {
    const ledger = new AlertLedger();
    ledger.baseline([alert("b", "2026-11-27T10:05:00.123456Z"), alert("a", "2026-11-27T10:01:00Z")]);
    expect(ledger.initialized).toBe(true);
    expect(ledger.sinceParam(60_000)).toBe("2026-11-27T10:04:00.123Z");
    expect(ledger.sinceParam(0)).toBe("2026-11-27T10:05:00.123Z");
  });

  it("returns only unseen alerts from a catch-up, and advances the watermark", () => {
    const ledger = new AlertLedger();
    ledger.baseline([alert("a", "2026-11-27T10:01:00Z")]);
    // The overlap brings "a" back; "c" was pushed live already; "b" and "d" are news.
    expect(ledger.notePushed("c")).toBe(true);
    const fresh = ledger.merge([
      alert("d", "2026-11-27T10:09:00Z"),
      alert("c", "2026-11-27T10:08:00Z"),
      alert("b", "2026-11-27T10:02:00Z"),
      alert("a", "2026-11-27T10:01:00Z"),
    ]);
    expect(fresh.map((a) => a.id)).toEqual(["d", "b"]);
    expect(ledger.sinceParam(0)).toBe("2026-11-27T10:09:00.000Z");
    // The same page again (a second reconnect) notifies nothing.
    expect(ledger.merge([alert("d", "2026-11-27T10:09:00Z")])).toEqual([]);
  });

  it("an older created_at committed late is still found (overlap) but the watermark never goes back", () => {
    const ledger = new AlertLedger();
    ledger.baseline([alert("new", "2026-11-27T10:10:00Z")]);
    const fresh = ledger.merge([alert("late", "2026-11-27T10:09:30Z")]);
    expect(fresh.map((a) => a.id)).toEqual(["late"]);
    expect(ledger.watermark).toBe(Date.parse("2026-11-27T10:10:00Z"));
  });

  it("a pushed alert is news once", () => {
    const ledger = new AlertLedger();
    expect(ledger.notePushed("x")).toBe(true);
    expect(ledger.notePushed("x")).toBe(false);
    expect(ledger.has("x")).toBe(true);
  });

  it("reset forgets everything (another user signs in)", () => {
    const ledger = new AlertLedger();
    ledger.baseline([alert("a", "2026-11-27T10:01:00Z")]);
    ledger.reset();
    expect(ledger.initialized).toBe(false);
    expect(ledger.has("a")).toBe(false);
    expect(ledger.sinceParam()).toBeNull();
  });

  it("an empty baseline leaves since null: the next catch-up reads the newest page, all of it news", () => {
    const ledger = new AlertLedger();
    ledger.baseline([]);
    expect(ledger.initialized).toBe(true);
    expect(ledger.sinceParam()).toBeNull();
    expect(ledger.merge([alert("a", "2026-11-27T10:01:00Z")]).map((a) => a.id)).toEqual(["a"]);
  });
});
