import { describe, expect, it } from "vitest";
import { formatAlertEnergy, formatAlertHour, formatMoment } from "../../src/realtime/format.ts";
import { describeLink } from "../../src/ui/live-status.ts";

describe("alert text", () => {
  const now = new Date("2026-11-27T10:30:00Z"); // 12:30 in Bucharest

  it("shows the local hour span, 'Today' / 'Yesterday' / a date", () => {
    expect(formatAlertHour("2026-11-27T10:00:00+00:00", "Europe/Bucharest", now)).toBe("Today 12:00–13:00");
    expect(formatAlertHour("2026-11-26T21:00:00Z", "Europe/Bucharest", now)).toBe("Yesterday 23:00–00:00");
    expect(formatAlertHour("2026-11-20T08:00:00Z", "Europe/Bucharest", now)).toBe("20 Nov 2026, 10:00–11:00");
    expect(formatAlertHour("2026-11-27T10:00:00Z", "Asia/Kolkata", now)).toBe("Today 15:30–16:30");
  });

  it("cuts 'today' in the viewer's zone, not UTC", () => {
    // 23:30 UTC on the 26th is already the 27th in Bucharest.
    expect(formatAlertHour("2026-11-26T23:00:00Z", "Europe/Bucharest", new Date("2026-11-26T23:30:00Z"))).toBe("Today 01:00–02:00");
  });

  it("formats energy with three decimals", () => {
    expect(formatAlertEnergy(4.1, 1)).toBe("4.100 kWh of max 1.000 kWh");
    expect(formatAlertEnergy(1.23456, 1.5)).toBe("1.235 kWh of max 1.500 kWh");
  });

  it("keeps unparsable input readable instead of 'Invalid Date'", () => {
    expect(formatAlertHour("soon", "UTC", now)).toBe("soon");
    expect(formatMoment("later", "UTC")).toBe("later");
    expect(formatMoment("2026-11-27T10:25:02.5Z", "Europe/Bucharest")).toBe("27 Nov 2026, 12:25:02");
  });
});

describe("describeLink (header indicator)", () => {
  it("maps connection states to live / reconnecting / offline with a tooltip", () => {
    expect(describeLink({ status: "live", since: 0 }).indicator).toBe("live");
    expect(describeLink({ status: "connecting", attempt: 0 }).label).toBe("Connecting…");
    const r = describeLink({ status: "reconnecting", attempt: 3, retryAt: 10_500, reason: "The live connection closed." }, 6_000);
    expect(r.indicator).toBe("reconnecting");
    expect(r.tooltip).toContain("Retrying in 5 s (attempt 3)");
    expect(describeLink({ status: "offline", reason: "The browser reports no network." }).indicator).toBe("offline");
    expect(describeLink({ status: "idle" }).indicator).toBe("offline");
  });
});
