/** Human text for alerts: local hour span, "X.XXX kWh of max Y.YYY kWh" (pure). */

import { formatKwh } from "../consumption/day-data.ts";
import { todayIn } from "../consumption/dates.ts";

function parts(date: Date, timeZone: string): { day: string; time: string } {
  const day = todayIn(timeZone, date);
  const time = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(date);
  return { day, time };
}

/** "14:00–15:00" for today, "Yesterday 14:00–15:00", or "25 Nov 2026, 14:00–15:00" in `timeZone`. */
export function formatAlertHour(hourStartIso: string, timeZone: string, now: Date = new Date()): string {
  const start = new Date(hourStartIso);
  if (Number.isNaN(start.getTime())) return hourStartIso;
  const end = new Date(start.getTime() + 3_600_000);
  const s = parts(start, timeZone);
  const span = `${s.time}–${parts(end, timeZone).time}`;
  const today = todayIn(timeZone, now);
  if (s.day === today) return `Today ${span}`;
  if (s.day === todayIn(timeZone, new Date(now.getTime() - 86_400_000))) return `Yesterday ${span}`;
  const date = new Intl.DateTimeFormat("en-GB", { timeZone, day: "numeric", month: "short", year: "numeric" }).format(start);
  return `${date}, ${span}`;
}

/** "3.250 kWh of max 1.000 kWh". */
export function formatAlertEnergy(energyKwh: number, maxKwh: number): string {
  return `${formatKwh(energyKwh)} kWh of max ${formatKwh(maxKwh)} kWh`;
}

/** A moment in the viewer's zone, e.g. "27 Nov 2026, 14:03:12" ("27 Nov 2026, 14:03" without seconds). */
export function formatMoment(iso: string, timeZone: string, { seconds = true }: { seconds?: boolean } = {}): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    ...(seconds ? { second: "2-digit" as const } : {}),
    hourCycle: "h23",
  }).format(at);
}
