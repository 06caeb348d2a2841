/** The note a client sees on a device that was handed over to them from another client. */

/**
 * "Readings before 2 Dec 2026, 16:00 belong to this meter's previous owner and are not shown."
 * `visibleFrom`: the device's `visible_from` (UTC ISO; null when the whole history is the
 * owner's, then there is nothing to say).
 */
export function handOverNotice(visibleFrom: string | null | undefined, timeZone: string): string | null {
  if (!visibleFrom) return null;
  const at = new Date(visibleFrom);
  if (Number.isNaN(at.getTime())) return null;
  const when = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);
  return `Readings before ${when} belong to this meter's previous owner and are not shown.`;
}
