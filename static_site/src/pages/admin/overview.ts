/** Admin: the fleet at a glance — devices by status, today's energy, open alerts, silent first. */

import type { FleetOverview } from "../../api/console.ts";
import type { FleetDevice } from "../../api/types.ts";
import { formatKwh } from "../../consumption/day-data.ts";
import { STATUS_LABELS } from "../../console/format.ts";
import { statusBadge, whenCell } from "../../console/widgets.ts";
import { h, icon, replace } from "../../ui/dom.ts";
import { pageHeader } from "../../ui/layout.ts";
import { emptyState, errorState, loadingState } from "../../ui/states.ts";
import { cardTable } from "../../ui/table.ts";
import type { Page } from "../page.ts";

export const adminOverviewPage: Page = ({ services, signal }) => {
  const { api, timeZone } = services;
  const refresh = h("button", { class: "btn btn-secondary", type: "button", testid: "overview-refresh" }, "Refresh");
  const body = h("div", { class: "stack" });
  const element = h(
    "div",
    { class: "page", testid: "admin-overview-page" },
    pageHeader("Overview", "Which meters report, which went quiet, and what needs attention.", refresh),
    body,
  );

  const stat = (label: string, value: string, testid: string, sub?: string, warn = false, href?: string) => {
    const inner = [h("div", { class: "stat-label" }, label), h("div", { class: "stat-value", testid }, value), sub ? h("div", { class: "stat-sub" }, sub) : null];
    const cls = `stat${warn ? " stat-warning" : ""}`;
    return href ? h("a", { class: `${cls} stat-link`, href }, inner) : h("div", { class: cls }, inner);
  };

  const render = (o: FleetOverview) => {
    const statuses = ["reporting", "late", "silent", "never"] as const;
    const counts = statuses.map((s) =>
      stat(STATUS_LABELS[s], String(o.counts[s]), `count-${s}`, undefined, (s === "silent" || s === "late") && o.counts[s] > 0, `#/admin/devices?status=${s}`),
    );
    const totals = [
      stat("Devices", String(o.total_devices), "count-total", `late after ${o.late_after_minutes} min, silent after ${o.silent_after_minutes / 60} h`),
      stat("Today (UTC)", `${formatKwh(o.today_kwh)} kWh`, "today-kwh", "all meters since midnight UTC"),
      stat("Open alerts", String(o.open_alerts), "open-alerts", "over-maximum hours and silent meters", o.open_alerts > 0, "#/admin/alerts?state=open"),
    ];
    const attention = o.attention.length
      ? cardTable(
          "attention-table",
          [{ label: "Device" }, { label: "Owner" }, { label: "Last reading" }, { label: "Status" }],
          o.attention.map((d) => attentionRow(d, timeZone)),
        )
      : emptyState({ title: "Every meter is reporting", message: "Nothing is late or silent right now.", icon: "check", testid: "attention-empty" });
    replace(
      body,
      h("div", { class: "stats" }, counts),
      h("div", { class: "stats stats-3" }, totals),
      h("h2", { class: "section-title" }, "Needs attention"),
      h("div", { class: "card card-flush" }, attention),
    );
  };

  const load = async () => {
    replace(body, loadingState("Loading the fleet…"));
    try {
      const o = await api.console.overview(signal);
      if (!signal.aborted) render(o);
    } catch (err) {
      if (!signal.aborted) replace(body, errorState(err, () => void load()));
    }
  };
  refresh.addEventListener("click", () => void load());
  void load();
  return { element };
};

function attentionRow(d: FleetDevice, timeZone: string): HTMLElement {
  const href = `#/admin/devices/${encodeURIComponent(d.id)}`;
  return h(
    "tr",
    { testid: "attention-row", "data-device-id": d.id },
    h("td", {}, h("a", { class: "cell-title", href }, d.description), h("div", { class: "cell-sub" }, d.address)),
    h("td", {}, d.owner_name ?? h("span", { class: "muted" }, "unassigned")),
    h("td", {}, whenCell(d.last_reading_at, timeZone)),
    h("td", {}, statusBadge(d.status), " ", h("a", { class: "btn btn-ghost btn-sm", href: `#/admin/alerts?device=${encodeURIComponent(d.id)}`, "aria-label": `Alerts of ${d.description}` }, icon("bell"), "Alerts")),
  );
}
