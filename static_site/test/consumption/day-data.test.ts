import { describe, expect, it } from "vitest";
import type { DayConsumption } from "../../src/api/types.ts";
import { formatKwh, shapeDay, shortOffset, toChartSeries, wallClock } from "../../src/consumption/day-data.ts";

function day(hours: DayConsumption["hours"], max = 1.5, tz = "Europe/Bucharest", date = "2026-03-10"): DayConsumption {
  return { device_id: "d1", date, tz, unit: "kWh", max_hourly_kwh: max, hours };
}

const pad = (n: number) => String(n).padStart(2, "0");

function plainDay(values: (number | null)[]): DayConsumption {
  return day(values.map((kwh, i) => ({ start: `2026-03-10T${pad(i)}:00:00+02:00`, kwh })));
}

describe("shapeDay", () => {
  it("labels an ordinary day 00:00 … 23:00 and totals it", () => {
    const values = Array.from({ length: 24 }, (_, i) => (i < 6 ? null : 0.5));
    const s = shapeDay(plainDay(values), new Date("2027-01-01T00:00:00Z"));
    expect(s.rows).toHaveLength(24);
    expect(s.rows[0]?.label).toBe("00:00");
    expect(s.rows[23]?.label).toBe("23:00");
    expect(s.totalKwh).toBeCloseTo(9);
    expect(s.hoursWithData).toBe(18);
    expect(s.isEmpty).toBe(false);
  });

  it("flags hours strictly over the maximum and finds the peak", () => {
    const values = Array<number | null>(24).fill(0.2);
    values[7] = 1.5; // equal to the max: not over
    values[8] = 1.501;
    values[19] = 2.75;
    const s = shapeDay(plainDay(values));
    expect(s.rows.filter((r) => r.overMax).map((r) => r.label)).toEqual(["08:00", "19:00"]);
    expect(s.hoursOverMax).toBe(2);
    expect(s.peak?.label).toBe("19:00");
    expect(s.peak?.kwh).toBe(2.75);
  });

  it("reports a day without any reading as empty", () => {
    const s = shapeDay(plainDay(Array<null>(24).fill(null)));
    expect(s.isEmpty).toBe(true);
    expect(s.totalKwh).toBe(0);
    expect(s.peak).toBeNull();
  });

  it("labels the repeated hour of a DST fall-back day (25 hours) by its offset", () => {
    const hours = [
      ...[0, 1, 2, 3].map((h) => ({ start: `2026-10-25T${pad(h)}:00:00+03:00`, kwh: 0.1 })),
      ...Array.from({ length: 21 }, (_, i) => ({ start: `2026-10-25T${pad(i + 3)}:00:00+02:00`, kwh: 0.1 })),
    ];
    const s = shapeDay(day(hours, 1.5, "Europe/Bucharest", "2026-10-25"));
    expect(s.rows).toHaveLength(25);
    expect(s.rows.slice(2, 6).map((r) => r.label)).toEqual(["02:00", "03:00 (+03)", "03:00 (+02)", "04:00"]);
    expect(new Set(s.rows.map((r) => r.label)).size).toBe(25);
    expect(s.totalKwh).toBeCloseTo(2.5);
  });

  it("has 23 rows on a spring-forward day with 03:00 missing", () => {
    const hours = [
      ...[0, 1, 2].map((h) => ({ start: `2026-03-29T${pad(h)}:00:00+02:00`, kwh: 0.3 })),
      ...Array.from({ length: 20 }, (_, i) => ({ start: `2026-03-29T${pad(i + 4)}:00:00+03:00`, kwh: 0.3 })),
    ];
    const s = shapeDay(day(hours, 1, "Europe/Bucharest", "2026-03-29"));
    expect(s.rows.map((r) => r.label)).not.toContain("03:00");
    expect(s.rows[3]?.label).toBe("04:00");
    expect(s.rows).toHaveLength(23);
  });

  it("converts UTC stamps to the day's zone", () => {
    const s = shapeDay(day([{ start: "2026-03-09T22:00:00Z", kwh: 1 }, { start: "2026-03-09T23:00:00Z", kwh: 1 }]));
    expect(s.rows.map((r) => r.label)).toEqual(["00:00", "01:00"]);
    expect(s.rows[0]?.offset).toBe("+02");
  });

  it("marks the running hour as in progress", () => {
    const s = shapeDay(plainDay(Array<number>(24).fill(0.1)), new Date("2026-03-10T13:20:00+02:00"));
    expect(s.rows.filter((r) => r.inProgress).map((r) => r.label)).toEqual(["13:00"]);
  });

  it("tells hours still to come from gaps in the past", () => {
    const values = Array<number | null>(24).fill(null);
    values[0] = 0.2;
    values[5] = 0.3;
    const s = shapeDay(plainDay(values), new Date("2026-03-10T09:30:00+02:00"));
    expect(s.rows.filter((r) => r.future).map((r) => r.label)[0]).toBe("10:00");
    expect(s.rows.filter((r) => r.future)).toHaveLength(14);
    expect(s.hoursMissing).toBe(7); // 01–04, 06–08 (09:00 is in progress, not "without readings")
  });

  it("treats non-numeric kWh as missing", () => {
    const s = shapeDay(plainDay([Number.NaN, 0.4]));
    expect(s.rows[0]?.kwh).toBeNull();
    expect(s.hoursWithData).toBe(1);
  });
});

describe("chart series and formatting", () => {
  it("gives bars, over-max flags and a flat max line of the same length", () => {
    const s = shapeDay(plainDay([0.5, null, 2]));
    expect(toChartSeries(s)).toEqual({
      labels: ["00:00", "01:00", "02:00"],
      values: [0.5, null, 2],
      overMax: [false, false, true],
      estimated: [false, false, false],
      maxLine: [1.5, 1.5, 1.5],
    });
  });

  it("formats kWh with three decimals and a dash for no data", () => {
    expect(formatKwh(1.23456)).toBe("1.235");
    expect(formatKwh(0)).toBe("0.000");
    expect(formatKwh(null)).toBe("—");
  });

  it("shortens offsets", () => {
    expect(shortOffset("+03:00")).toBe("+03");
    expect(shortOffset("-05:00")).toBe("-05");
    expect(shortOffset("+05:30")).toBe("+05:30");
    expect(shortOffset("Z")).toBe("+00");
    expect(wallClock("2026-01-01T10:00:00+0530", "Asia/Kolkata")).toEqual({ wallTime: "10:00", offset: "+05:30" });
    expect(wallClock("2026-01-01T04:30:00Z", "Asia/Kolkata")).toEqual({ wallTime: "10:00", offset: "+05:30" });
  });
});

describe("estimated and in-progress hours", () => {
  it("flags estimated hours, and the hour in progress is not 'without readings'", () => {
    const hours = Array.from({ length: 24 }, (_, i) => ({
      start: `2026-03-10T${pad(i)}:00:00+02:00`,
      kwh: i < 10 ? (i === 5 ? 3 : 0.5) : null,
      estimated: i >= 4 && i < 8,
      in_progress: i === 10,
    }));
    const s = shapeDay(day(hours), new Date("2026-03-10T08:30:00Z"));
    expect(s.rows.filter((r) => r.estimated).map((r) => r.label)).toEqual(["04:00", "05:00", "06:00", "07:00"]);
    expect(s.hoursEstimated).toBe(4);
    expect(s.hoursOverMax).toBe(0); // 05:00 is over the maximum but estimated: never alerted
    expect(s.rows[10]?.inProgress).toBe(true);
    expect(s.hoursMissing).toBe(0); // 10:00 is in progress, later hours are still to come
    expect(toChartSeries(s).estimated.filter(Boolean)).toHaveLength(4);
  });
});
