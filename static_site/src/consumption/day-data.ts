/** Shapes a day of hourly consumption for the chart and table: labels, flags, totals. */

import type { DayConsumption } from "../api/types.ts";

export interface HourRow {
  /** Position in the day, 0-based (a DST day has 23 or 25 rows). */
  index: number;
  start: string;
  /** Local wall-clock time of the hour's start, `HH:MM`. */
  wallTime: string;
  /** UTC offset of the hour, short form: `+03`, `-05`, `+05:30`. */
  offset: string;
  /** What the user sees; repeated wall times (DST fall-back) carry their offset: `03:00 (+03)`. */
  label: string;
  kwh: number | null;
  overMax: boolean;
  /** Some of the energy was spread over a gap between readings: interpolated, never alerted. */
  estimated: boolean;
  /** The hour that is running now: its figure is what has accrued so far. */
  inProgress: boolean;
  /** The hour has not started yet (today's later hours): no data is expected. */
  future: boolean;
}

export interface DaySummary {
  date: string;
  tz: string;
  unit: string;
  maxHourlyKwh: number;
  rows: HourRow[];
  totalKwh: number;
  hoursWithData: number;
  hoursOverMax: number;
  /** Past hours with no reading (a gap), as opposed to hours still to come or in progress. */
  hoursMissing: number;
  /** Hours whose energy is (partly) interpolated over a gap between readings. */
  hoursEstimated: number;
  peak: HourRow | null;
  /** No hour has a reading: show "No readings for this day", not an empty chart. */
  isEmpty: boolean;
}

const START = /^\d{4}-\d{2}-\d{2}T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const HOUR_MS = 3_600_000;

/** `+03:00` → `+03`, `+05:30` → `+05:30`, `Z` → `+00`. */
export function shortOffset(offset: string): string {
  if (offset === "Z") return "+00";
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(offset);
  if (!m) return offset;
  return m[3] === "00" ? `${m[1]}${m[2]}` : `${m[1]}${m[2]}:${m[3]}`;
}

/** Local `HH:MM` and short offset of an hour start, read from its ISO string. */
export function wallClock(start: string, timeZone: string): { wallTime: string; offset: string } {
  const m = START.exec(start);
  if (m && m[3] !== "Z") return { wallTime: `${m[1]}:${m[2]}`, offset: shortOffset(m[3] ?? "") };
  // A UTC (`Z`) or unusual stamp: convert to the day's zone ourselves.
  const at = new Date(start);
  if (Number.isNaN(at.getTime())) return { wallTime: start, offset: "" };
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "shortOffset",
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const gmt = /^GMT([+-])?(\d{1,2})?(?::(\d{2}))?$/.exec(get("timeZoneName"));
  const offset = gmt?.[1]
    ? shortOffset(`${gmt[1]}${(gmt[2] ?? "0").padStart(2, "0")}:${gmt[3] ?? "00"}`)
    : "+00";
  return { wallTime: `${get("hour")}:${get("minute")}`, offset };
}

export function shapeDay(day: DayConsumption, now: Date = new Date()): DaySummary {
  const clocks = day.hours.map((h) => wallClock(h.start, day.tz));
  const seen = new Map<string, number>();
  for (const c of clocks) seen.set(c.wallTime, (seen.get(c.wallTime) ?? 0) + 1);
  const nowMs = now.getTime();

  const rows: HourRow[] = day.hours.map((hour, index) => {
    const clock = clocks[index] ?? { wallTime: hour.start, offset: "" };
    const repeated = (seen.get(clock.wallTime) ?? 0) > 1;
    const startMs = Date.parse(hour.start);
    const kwh = typeof hour.kwh === "number" && Number.isFinite(hour.kwh) ? hour.kwh : null;
    return {
      index,
      start: hour.start,
      wallTime: clock.wallTime,
      offset: clock.offset,
      label: repeated ? `${clock.wallTime} (${clock.offset})` : clock.wallTime,
      kwh,
      overMax: kwh !== null && kwh > day.max_hourly_kwh,
      estimated: kwh !== null && hour.estimated === true,
      inProgress: hour.in_progress ?? (!Number.isNaN(startMs) && startMs <= nowMs && nowMs < startMs + HOUR_MS),
      future: !Number.isNaN(startMs) && startMs > nowMs,
    };
  });

  const withData = rows.filter((r) => r.kwh !== null);
  const peak = withData.reduce<HourRow | null>((best, r) => (best === null || (r.kwh ?? 0) > (best.kwh ?? 0) ? r : best), null);
  return {
    date: day.date,
    tz: day.tz,
    unit: day.unit,
    maxHourlyKwh: day.max_hourly_kwh,
    rows,
    totalKwh: withData.reduce((sum, r) => sum + (r.kwh ?? 0), 0),
    hoursWithData: withData.length,
    // Estimated hours never raise alerts, so they do not count here either.
    hoursOverMax: rows.filter((r) => r.overMax && !r.estimated).length,
    hoursMissing: rows.filter((r) => r.kwh === null && !r.future && !r.inProgress).length,
    hoursEstimated: rows.filter((r) => r.estimated).length,
    peak,
    isEmpty: withData.length === 0,
  };
}

export interface ChartSeries {
  labels: string[];
  /** kWh per hour; null draws no bar. */
  values: (number | null)[];
  overMax: boolean[];
  estimated: boolean[];
  /** The device maximum repeated for every hour (a flat line dataset). */
  maxLine: number[];
}

export function toChartSeries(summary: DaySummary): ChartSeries {
  return {
    labels: summary.rows.map((r) => r.label),
    values: summary.rows.map((r) => r.kwh),
    overMax: summary.rows.map((r) => r.overMax),
    estimated: summary.rows.map((r) => r.estimated),
    maxLine: summary.rows.map(() => summary.maxHourlyKwh),
  };
}

/** kWh with three decimals, or an em dash for "no data". */
export function formatKwh(kwh: number | null): string {
  return kwh === null ? "—" : kwh.toFixed(3);
}
