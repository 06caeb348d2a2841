/** Week / month / year periods on `YYYY-MM-DD` strings, their shifts and comparisons (pure). */

import { addDays, isIsoDate } from "./dates.ts";

export type PeriodKind = "week" | "month" | "year";
export type GroupBy = "hour" | "day" | "week" | "month";
export type Comparison = "previous" | "year" | "none";

export interface Period {
  kind: PeriodKind;
  /** First local day, inclusive. */
  from: string;
  /** Last local day, inclusive. */
  to: string;
  /** How the range API groups this period for the chart. */
  groupBy: GroupBy;
}

function parts(iso: string): [number, number, number] {
  if (!isIsoDate(iso)) throw new Error(`not a YYYY-MM-DD date: ${JSON.stringify(iso)}`);
  return iso.split("-").map(Number) as [number, number, number];
}

function isoOf(y: number, m: number, d: number): string {
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);
}

/** The week (Monday first), month or year containing `anchor`. */
export function periodOf(kind: PeriodKind, anchor: string): Period {
  const [y, m, d] = parts(anchor);
  if (kind === "week") {
    const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // Monday = 0
    const from = addDays(anchor, -weekday);
    return { kind, from, to: addDays(from, 6), groupBy: "day" };
  }
  if (kind === "month") return { kind, from: isoOf(y, m, 1), to: isoOf(y, m + 1, 0), groupBy: "day" };
  return { kind, from: isoOf(y, 1, 1), to: isoOf(y, 12, 31), groupBy: "month" };
}

/** The period `steps` periods later (negative: earlier). */
export function shiftPeriod(p: Period, steps: number): Period {
  const [y, m] = parts(p.from);
  if (p.kind === "week") return periodOf("week", addDays(p.from, 7 * steps));
  if (p.kind === "month") return periodOf("month", isoOf(y, m + steps, 1));
  return periodOf("year", isoOf(y + steps, 1, 1));
}

/** The same period one year earlier (the same week number's Monday for weeks). */
export function yearEarlier(p: Period): Period {
  if (p.kind === "week") return periodOf("week", addDays(p.from, -364));
  const [y, m] = parts(p.from);
  return periodOf(p.kind, isoOf(y - 1, m, 1));
}

export function comparisonPeriod(p: Period, how: Comparison): Period | null {
  if (how === "none") return null;
  return how === "previous" ? shiftPeriod(p, -1) : yearEarlier(p);
}

/** e.g. "Week of 2 Mar 2026", "March 2026", "2026". */
export function periodLabel(p: Period, locale?: string): string {
  const [y, m, d] = parts(p.from);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (p.kind === "year") return String(y);
  if (p.kind === "month") return new Intl.DateTimeFormat(locale, { month: "long", year: "numeric", timeZone: "UTC" }).format(date);
  const day = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(date);
  return `Week of ${day}`;
}

/** Label of one bucket on the chart: weekday + day for days, month name for months. */
export function bucketLabel(start: string, groupBy: GroupBy, locale?: string): string {
  const [y, m, d] = parts(start.slice(0, 10));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (groupBy === "month") return new Intl.DateTimeFormat(locale, { month: "short", timeZone: "UTC" }).format(date);
  return new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", timeZone: "UTC" }).format(date);
}

/** Money from the API's exact decimal text, shown to cents (display only; never summed here). */
export function formatMoney(amount: string | null, currency: string | null, locale?: string): string {
  if (amount === null || currency === null) return "—";
  const value = Number(amount);
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

/** Relative change in percent, or null when there is nothing to compare with. */
export function changePercent(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return ((current - previous) / previous) * 100;
}
