/** Calendar-day helpers on `YYYY-MM-DD` strings; days are cut in the viewer's time zone. */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The browser's IANA zone, e.g. `Europe/Bucharest`; `UTC` when the runtime does not say. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function isIsoDate(value: string | null | undefined): value is string {
  if (!value) return false;
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** Today's date in `timeZone` (not UTC's today: at 01:00 in Bucharest UTC is still yesterday). */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** Shift a calendar date by whole days (calendar arithmetic, so DST never skews it). */
export function addDays(isoDate: string, days: number): string {
  if (!isIsoDate(isoDate)) throw new Error(`not a YYYY-MM-DD date: ${JSON.stringify(isoDate)}`);
  const [y, m, d] = isoDate.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return date.toISOString().slice(0, 10);
}

/** e.g. "Sunday, 25 October 2026". */
export function formatLongDate(isoDate: string, locale?: string): string {
  const [y, m, d] = isoDate.split("-").map(Number) as [number, number, number];
  return new Intl.DateTimeFormat(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(y, m - 1, d)));
}
