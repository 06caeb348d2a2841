import { describe, expect, it } from "vitest";

import { ageText, auditChanges, formatBytes } from "../../src/console/format.ts";
import { parsePlatformMessage } from "../../src/realtime/messages.ts";

const NOW = new Date("2026-12-02T12:00:00Z");

describe("ageText", () => {
  it.each([
    [null, "never"],
    ["2026-12-02T11:59:40Z", "just now"],
    ["2026-12-02T11:48:00Z", "12 min ago"],
    ["2026-12-02T09:00:00Z", "3 h ago"],
    ["2026-11-29T12:00:00Z", "3 days ago"],
    ["2026-12-02T12:05:00Z", "just now"],
    ["not a date", "not a date"],
  ])("%s → %s", (iso, expected) => {
    expect(ageText(iso, NOW)).toBe(expected);
  });
});

describe("auditChanges", () => {
  it("lists only the fields that differ, sorted, with none and — for missing", () => {
    const before = { name: "Ana", owner_id: null, role: "client" };
    const after = { name: "Ana Pop", owner_id: "u1", role: "client", password: "[redacted]" };
    expect(auditChanges(before, after)).toEqual([
      { field: "name", before: "Ana", after: "Ana Pop" },
      { field: "owner_id", before: "none", after: "u1" },
      { field: "password", before: "—", after: "[redacted]" },
    ]);
  });
  it("handles a creation and a deletion", () => {
    expect(auditChanges(null, { max_hourly_kwh: 2 })).toEqual([{ field: "max_hourly_kwh", before: "—", after: "2" }]);
    expect(auditChanges({ ids: ["a"] }, null)).toEqual([{ field: "ids", before: '["a"]', after: "—" }]);
  });
});

describe("formatBytes", () => {
  it("uses bytes, then KiB", () => {
    expect(formatBytes(812)).toBe("812 B");
    expect(formatBytes(10_000)).toBe("9.8 KiB");
  });
});

describe("silent-meter pushes", () => {
  const episode = { id: "e1", device_id: "d1", device_description: "Garage", last_reading_at: "2026-12-02T09:00:00+00:00", at: "2026-12-02T11:05:00+00:00" };
  it("parses meter.silent and meter.resumed", () => {
    expect(parsePlatformMessage({ type: "meter.silent", episode, sent_at: "x" })).toEqual({ type: "meter.silent", episode });
    expect(parsePlatformMessage(JSON.stringify({ type: "meter.resumed", episode }))).toEqual({ type: "meter.resumed", episode });
  });
  it("refuses malformed episodes", () => {
    expect(parsePlatformMessage({ type: "meter.silent", episode: { ...episode, device_id: "" } })).toBeNull();
    expect(parsePlatformMessage({ type: "meter.silent", episode: { ...episode, last_reading_at: 5 } })).toBeNull();
    expect(parsePlatformMessage({ type: "meter.silent" })).toBeNull();
  });
});
