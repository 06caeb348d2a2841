import { describe, expect, it } from "vitest";
import { bucketLabel, changePercent, comparisonPeriod, formatMoney, periodOf, shiftPeriod, yearEarlier } from "../../src/consumption/periods.ts";

describe("periods", () => {
  it("weeks start on Monday, whatever day is picked", () => {
    expect(periodOf("week", "2026-03-04")).toEqual({ kind: "week", from: "2026-03-02", to: "2026-03-08", groupBy: "day" });
    expect(periodOf("week", "2026-03-08").from).toBe("2026-03-02"); // a Sunday
    expect(periodOf("week", "2026-03-09").from).toBe("2026-03-09"); // a Monday
  });

  it("months and years cover whole calendar units, leap days included", () => {
    expect(periodOf("month", "2024-02-17")).toEqual({ kind: "month", from: "2024-02-01", to: "2024-02-29", groupBy: "day" });
    expect(periodOf("year", "2025-07-01")).toEqual({ kind: "year", from: "2025-01-01", to: "2025-12-31", groupBy: "month" });
  });

  it("shifts across year ends and compares with a year earlier", () => {
    expect(shiftPeriod(periodOf("month", "2026-01-10"), -1).from).toBe("2025-12-01");
    expect(shiftPeriod(periodOf("week", "2026-01-01"), 1).from).toBe("2026-01-05");
    expect(yearEarlier(periodOf("month", "2026-03-31"))).toMatchObject({ from: "2025-03-01", to: "2025-03-31" });
    const week = yearEarlier(periodOf("week", "2026-03-04"));
    expect(week.from).toBe("2025-03-03");
    expect(new Date(`${week.from}T00:00:00Z`).getUTCDay()).toBe(1);
    expect(comparisonPeriod(periodOf("year", "2026-05-05"), "previous")?.from).toBe("2025-01-01");
    expect(comparisonPeriod(periodOf("year", "2026-05-05"), "none")).toBeNull();
  });

  it("formats money from exact text and percentages safely", () => {
    expect(formatMoney("12.34567", "EUR", "en-GB")).toBe("€12.35");
    expect(formatMoney(null, "EUR")).toBe("—");
    expect(changePercent(110, 100)).toBeCloseTo(10);
    expect(changePercent(5, 0)).toBeNull();
    expect(bucketLabel("2026-03-01T00:00:00+02:00", "month", "en-GB")).toBe("Mar");
  });
});
