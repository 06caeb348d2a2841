/** Admin: every client's alerts (over-maximum hours and silent meters), filtered and paged. */

import type { AdminAlert, AdminAlertQuery } from "../../api/console.ts";
import type { User } from "../../api/types.ts";
import { whenCell } from "../../console/widgets.ts";
import { formatAlertEnergy, formatAlertHour, formatMoment } from "../../realtime/format.ts";
import { h, replace } from "../../ui/dom.ts";
import { pageHeader } from "../../ui/layout.ts";
import { pager } from "../../ui/pager.ts";
import { emptyState, errorState, loadingState } from "../../ui/states.ts";
import { cardTable } from "../../ui/table.ts";
import type { Page } from "../page.ts";

const STATES = [
  ["", "Any state"],
  ["open", "Open"],
  ["closed", "Closed"],
] as const;
const KINDS = [
  ["", "Any kind"],
  ["over_max", "Over maximum"],
  ["silent", "Silent meter"],
] as const;

function select(testid: string, label: string, options: readonly (readonly [string, string])[], value: string): HTMLSelectElement {
  const el = h("select", { class: "control control-sm", testid, "aria-label": label }, options.map(([v, text]) => h("option", { value: v }, text)));
  el.value = value;
  return el;
}

export const adminAlertsPage: Page = ({ services, query, signal }) => {
  const { api, config, timeZone } = services;
  let offset = Math.max(0, Number(query.get("offset")) || 0);
  const filters = { state: query.get("state") ?? "", kind: query.get("kind") ?? "", owner: query.get("owner") ?? "", device: query.get("device") ?? "" };
  const stateSel = select("alert-state-filter", "Filter by state", STATES, filters.state);
  const kindSel = select("alert-kind-filter", "Filter by kind", KINDS, filters.kind);
  const ownerSel = select("alert-owner-filter", "Filter by owner", [["", "All owners"]], filters.owner);
  const body = h("div", { class: "card card-flush" });
  const clearDevice = h("button", { class: "btn btn-ghost btn-sm", type: "button", testid: "alert-device-clear", hidden: !filters.device }, "Show every device");
  const element = h(
    "div",
    { class: "page", testid: "admin-alerts-page" },
    pageHeader("Alerts", "Over-maximum hours and silent meters of every client, newest first."),
    h("div", { class: "toolbar" }, stateSel, kindSel, ownerSel, clearDevice),
    body,
  );

  const syncUrl = () => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    if (offset) q.set("offset", String(offset));
    const qs = q.toString();
    services.replaceUrl(`#/admin/alerts${qs ? `?${qs}` : ""}`);
  };

  const load = async () => {
    replace(body, loadingState("Loading alerts…"));
    try {
      const wanted: AdminAlertQuery = {
        limit: config.pageSize,
        offset,
        state: (filters.state || undefined) as AdminAlertQuery["state"],
        kind: (filters.kind || undefined) as AdminAlertQuery["kind"],
        owner_id: filters.owner || undefined,
        device_id: filters.device || undefined,
      };
      const page = await api.console.alerts(wanted, signal);
      if (signal.aborted) return;
      if (page.total === 0) {
        replace(body, emptyState({ title: "No alerts", message: "Nothing matches these filters.", icon: "bell", testid: "alerts-empty" }));
        return;
      }
      const columns = [{ label: "Raised" }, { label: "Kind" }, { label: "Device" }, { label: "Owner" }, { label: "Detail" }, { label: "State" }];
      replace(
        body,
        cardTable("admin-alerts-table", columns, page.items.map((a) => alertRow(a, timeZone))),
        h("div", { class: "card-footer" }, pager({ offset, limit: config.pageSize, total: page.total, onChange: (o) => { offset = o; syncUrl(); void load(); } })),
      );
    } catch (err) {
      if (!signal.aborted) replace(body, errorState(err, () => void load()));
    }
  };

  const loadOwners = async () => {
    try {
      const clients: User[] = await api.users.listAll("client");
      if (signal.aborted) return;
      replace(ownerSel, h("option", { value: "" }, "All owners"), clients.map((c) => h("option", { value: c.id }, c.name)));
      ownerSel.value = filters.owner;
    } catch {
      /* the filter stays at "All owners"; the list itself reports errors */
    }
  };

  const onFilter = (key: keyof typeof filters, el: HTMLSelectElement | null, value?: string) => {
    filters[key] = el ? el.value : value ?? "";
    offset = 0;
    clearDevice.hidden = !filters.device;
    syncUrl();
    void load();
  };
  stateSel.addEventListener("change", () => onFilter("state", stateSel));
  kindSel.addEventListener("change", () => onFilter("kind", kindSel));
  ownerSel.addEventListener("change", () => onFilter("owner", ownerSel));
  clearDevice.addEventListener("click", () => onFilter("device", null, ""));
  void loadOwners();
  void load();
  return { element };
};

function alertRow(a: AdminAlert, timeZone: string): HTMLElement {
  const detail =
    a.kind === "over_max" && a.hour_start && a.energy_kwh !== null && a.max_hourly_kwh !== null
      ? `${formatAlertHour(a.hour_start, timeZone)}: ${formatAlertEnergy(a.energy_kwh, a.max_hourly_kwh)}`
      : `No reading since ${a.last_reading_at ? formatMoment(a.last_reading_at, timeZone) : "it was added"}`;
  const href = `#/admin/devices/${encodeURIComponent(a.device_id)}`;
  return h(
    "tr",
    { testid: "admin-alert-row", "data-alert-id": a.id, "data-kind": a.kind, "data-state": a.state },
    h("td", {}, whenCell(a.raised_at, timeZone)),
    h("td", {}, h("span", { class: `badge ${a.kind === "silent" ? "badge-danger" : "badge-warning"}` }, a.kind === "silent" ? "Silent meter" : "Over maximum")),
    h("td", {}, h("a", { class: "cell-title", href }, a.device_description ?? a.device_id.slice(0, 8))),
    h("td", {}, a.owner_name ?? h("span", { class: "muted" }, "unassigned")),
    h("td", {}, detail),
    h("td", {}, h("span", { class: `badge ${a.state === "open" ? "badge-info" : "badge-neutral"}` }, a.state === "open" ? "Open" : "Closed")),
  );
}
