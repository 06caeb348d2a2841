/** What a handed-over device's owner sees of its history, said to the owner and to administrators. */

import { formatMoment } from "../realtime/format.ts";

/**
 * "Readings before 2 Dec 2026, 16:00 belong to this meter's previous owner and are not shown."
 * `visibleFrom`: the device's `visible_from` (UTC ISO; null when the whole history is the
 * owner's, then there is nothing to say).
 */
export function handOverNotice(visibleFrom: string | null | undefined, timeZone: string): string | null {
  const when = localMoment(visibleFrom, timeZone);
  return when ? `Readings before ${when} belong to this meter's previous owner and are not shown.` : null;
}

/** For administrators: what the device's current owner sees of its history. */
export function ownerSeesFrom(visibleFrom: string | null | undefined, timeZone: string): string {
  const when = localMoment(visibleFrom, timeZone);
  return when ? `Readings from ${when} on (earlier ones were a previous owner's)` : "All of its history";
}

function localMoment(iso: string | null | undefined, timeZone: string): string | null {
  if (!iso || Number.isNaN(new Date(iso).getTime())) return null;
  return formatMoment(iso, timeZone, { seconds: false });
}
