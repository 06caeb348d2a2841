/** Small DOM pieces shared by the console pages: status badges, local times. */

import type { FleetStatus } from "../api/console.ts";
import { formatMoment } from "../realtime/format.ts";
import { h } from "../ui/dom.ts";
import { ageText, STATUS_LABELS } from "./format.ts";

const STATUS_CLASS: Record<FleetStatus, string> = {
  reporting: "badge-ok",
  late: "badge-warning",
  silent: "badge-danger",
  never: "badge-neutral",
};

export function statusBadge(status: FleetStatus): HTMLElement {
  return h("span", { class: `badge ${STATUS_CLASS[status]}`, testid: "status-badge", "data-status": status }, STATUS_LABELS[status]);
}

/** "12 min ago" with the full local time underneath (the viewer's zone). */
export function whenCell(iso: string | null, timeZone: string): HTMLElement[] {
  if (!iso) return [h("span", { class: "muted" }, "never")];
  return [h("span", {}, ageText(iso)), h("div", { class: "cell-sub" }, formatMoment(iso, timeZone))];
}
