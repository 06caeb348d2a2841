/** Client: alert history (newest first), acknowledge one or all; follows live updates. */

import { describeError } from "../../api/errors.ts";
import type { Alert, AlertPage } from "../../api/types.ts";
import { formatKwh } from "../../consumption/day-data.ts";
import { formatAlertHour, formatMoment } from "../../realtime/format.ts";
import { browserTimers, throttle } from "../../realtime/timing.ts";
import { h, icon, replace } from "../../ui/dom.ts";
import { pageHeader } from "../../ui/layout.ts";
import { pager } from "../../ui/pager.ts";
import { emptyState, errorState, loadingState } from "../../ui/states.ts";
import type { Page } from "../page.ts";

type Filter = "all" | "open" | "active" | "cleared";
const FILTERS: readonly Filter[] = ["all", "active", "cleared", "open"];

export const alertsPage: Page = ({ services, query, signal }) => {
  const { api, toasts, config, live, timeZone } = services;
  let offset = Math.max(0, Number(query.get("offset")) || 0);
  const asked = query.get("show") ?? query.get("state");
  let filter: Filter = FILTERS.find((f) => f === asked) ?? "all";
  let shownIds = new Set<string>();

  const ackAll = h("button", { class: "btn btn-secondary", type: "button", testid: "ack-all", disabled: true }, icon("check"), "Acknowledge all");
  const tabAll = h("button", { class: "btn btn-ghost btn-sm", type: "button", testid: "filter-all" }, "All");
  const tabOpen = h("button", { class: "btn btn-ghost btn-sm", type: "button", testid: "filter-open" }, "Unacknowledged");
  const tabActive = h("button", { class: "btn btn-ghost btn-sm", type: "button", testid: "filter-active" }, "Active");
  const tabCleared = h("button", { class: "btn btn-ghost btn-sm", type: "button", testid: "filter-cleared" }, "Withdrawn");
  const summary = h("p", { class: "muted", testid: "alerts-summary" });
  const body = h("div", { class: "card card-flush" });
  const element = h(
    "div",
    { class: "page", testid: "alerts-page" },
    pageHeader(
      "Alerts",
      "Hours in which a device used more than its maximum. New ones appear here as they happen; an alert that late readings disproved is shown as withdrawn.",
      ackAll,
    ),
    h("div", { class: "toolbar alert-list-toolbar" }, h("div", { class: "filter-tabs", role: "group", "aria-label": "Show" }, tabAll, tabActive, tabCleared, tabOpen), summary),
    body,
  );

  const syncUrl = () => {
    const q = new URLSearchParams();
    if (offset) q.set("offset", String(offset));
    if (filter !== "all") q.set("show", filter);
    const qs = q.toString();
    services.replaceUrl(`#/alerts${qs ? `?${qs}` : ""}`);
  };

  const syncTabs = () => {
    tabAll.setAttribute("aria-pressed", String(filter === "all"));
    tabOpen.setAttribute("aria-pressed", String(filter === "open"));
    tabActive.setAttribute("aria-pressed", String(filter === "active"));
    tabCleared.setAttribute("aria-pressed", String(filter === "cleared"));
  };

  /** `quiet`: keep the current table while reloading (live refresh, after an acknowledge). */
  const load = async (quiet = false): Promise<void> => {
    if (!quiet) replace(body, loadingState("Loading alerts…", "alerts-loading"));
    try {
      const state = filter === "active" || filter === "cleared" ? filter : undefined;
      const page = await api.me.alerts({ limit: config.pageSize, offset, unacknowledged: filter === "open" ? true : undefined, state }, signal);
      if (signal.aborted) return;
      if (page.items.length === 0 && offset > 0 && page.total > 0) {
        offset = Math.max(0, Math.floor((page.total - 1) / config.pageSize) * config.pageSize);
        syncUrl();
        return load(quiet);
      }
      live.setUnread(page.unacknowledged);
      render(page, quiet);
    } catch (err) {
      if (signal.aborted || (err instanceof DOMException && err.name === "AbortError")) return;
      if (quiet) toasts.error(`Could not refresh the alerts: ${describeError(err)}`);
      else replace(body, errorState(err, () => void load(), "alerts-error"));
    }
  };

  /** `highlight`: a background refresh — flash the rows that were not on screen before. */
  const render = (page: AlertPage, highlight: boolean) => {
    ackAll.disabled = page.unacknowledged === 0;
    summary.textContent =
      page.unacknowledged === 0 ? "All alerts acknowledged." : `${page.unacknowledged} unacknowledged ${page.unacknowledged === 1 ? "alert" : "alerts"}.`;
    if (page.total === 0) {
      replace(
        body,
        emptyState({
          testid: "alerts-empty",
          icon: "bell",
          title: filter === "open" ? "Nothing to acknowledge" : filter === "cleared" ? "No withdrawn alerts" : filter === "active" ? "No active alerts" : "No alerts yet",
          message:
            filter === "open"
              ? "Every alert has been acknowledged."
              : "When a device uses more than its maximum in an hour, you get a notification and the alert is listed here.",
        }),
      );
      shownIds = new Set();
      return;
    }
    const rows = page.items.map((a) => alertRow(a, highlight && !shownIds.has(a.id)));
    shownIds = new Set(page.items.map((a) => a.id));
    replace(
      body,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "table", testid: "alerts-table" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "Device"),
              h("th", { scope: "col" }, "Hour"),
              h("th", { scope: "col", class: "num" }, "Energy"),
              h("th", { scope: "col", class: "num" }, "Maximum"),
              h("th", { scope: "col" }, "Received"),
              h("th", { scope: "col" }, "Status"),
            ),
          ),
          h("tbody", {}, rows),
        ),
      ),
      h(
        "div",
        { class: "card-footer" },
        pager({
          offset,
          limit: config.pageSize,
          total: page.total,
          onChange: (o) => {
            offset = o;
            syncUrl();
            void load();
          },
        }),
      ),
    );
  };

  const alertRow = (a: Alert, isNew: boolean): HTMLElement => {
    const over = a.max_hourly_kwh > 0 ? Math.round(((a.energy_kwh - a.max_hourly_kwh) / a.max_hourly_kwh) * 100) : null;
    const withdrawn = a.state === "cleared";
    const status = h("td", { testid: "alert-status" });
    const showAcked = (at: string) =>
      replace(status, h("span", { class: "badge badge-ok", testid: "alert-acked", title: `Acknowledged ${formatMoment(at, timeZone)}` }, icon("check"), "Acknowledged"));
    if (withdrawn)
      replace(
        status,
        h(
          "span",
          { class: "badge badge-neutral", testid: "alert-withdrawn", title: a.cleared_at ? `Withdrawn ${formatMoment(a.cleared_at, timeZone)}: late readings brought the hour to or under the maximum` : undefined },
          "Withdrawn",
        ),
      );
    else if (a.acknowledged_at) showAcked(a.acknowledged_at);
    else {
      const btn = h("button", { class: "btn btn-secondary btn-sm", type: "button", testid: "ack-alert", "aria-label": `Acknowledge the alert for ${a.device_description ?? "this device"}` }, "Acknowledge");
      btn.addEventListener("click", async () => {
        btn.disabled = true;
        try {
          const updated = await api.me.acknowledgeAlert(a.id);
          showAcked(updated.acknowledged_at ?? new Date().toISOString());
          live.acknowledged();
          void load(true);
        } catch (err) {
          btn.disabled = false;
          toasts.error(`Could not acknowledge: ${describeError(err)}`);
        }
      });
      replace(status, btn);
    }
    return h(
      "tr",
      {
        testid: "alert-row",
        "data-alert-id": a.id,
        "data-device-id": a.device_id,
        "data-state": a.state,
        class: [withdrawn ? "row-withdrawn" : a.acknowledged_at ? "" : "row-warning", isNew ? "row-new" : ""].filter(Boolean).join(" ") || undefined,
      },
      h("td", {}, h("a", { href: `#/dashboard/${encodeURIComponent(a.device_id)}?date=${localDate(a.hour_start)}`, testid: "alert-device" }, a.device_description ?? "Deleted device")),
      h("td", { testid: "alert-hour" }, formatAlertHour(a.hour_start, timeZone)),
      h(
        "td",
        { class: "num mono", testid: "alert-energy" },
        `${formatKwh(a.energy_kwh)} kWh`,
        over !== null && over > 0 ? h("div", { class: "muted small" }, `+${over} % over`) : null,
        a.peak_kwh > a.energy_kwh + 5e-4 ? h("div", { class: "muted small", testid: "alert-peak" }, `peak ${formatKwh(a.peak_kwh)} kWh`) : null,
      ),
      h("td", { class: "num mono", testid: "alert-max" }, `${formatKwh(a.max_hourly_kwh)} kWh`),
      h("td", { testid: "alert-received" }, formatMoment(a.created_at, timeZone)),
      status,
    );
  };

  const localDate = (iso: string): string => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
  };

  ackAll.addEventListener("click", async () => {
    ackAll.disabled = true;
    try {
      const res = await api.me.acknowledgeAllAlerts();
      toasts.success(res.acknowledged === 1 ? "1 alert acknowledged." : `${res.acknowledged} alerts acknowledged.`);
      live.acknowledged();
      await load(true);
    } catch (err) {
      ackAll.disabled = false;
      toasts.error(`Could not acknowledge: ${describeError(err)}`);
    }
  });
  const setFilter = (f: Filter) => {
    if (f === filter) return;
    filter = f;
    offset = 0;
    syncTabs();
    syncUrl();
    void load();
  };
  tabAll.addEventListener("click", () => setFilter("all"));
  tabOpen.addEventListener("click", () => setFilter("open"));
  tabActive.addEventListener("click", () => setFilter("active"));
  tabCleared.addEventListener("click", () => setFilter("cleared"));

  // New or changed alerts (pushed, or found by a catch-up): refresh in place, at most every second.
  const refresh = throttle(() => void load(true), 1000, browserTimers);
  const unsubscribe = live.onEvent((event) => {
    if (event.type === "alerts-changed") refresh();
  });

  syncTabs();
  void load();
  return {
    element,
    dispose: () => {
      unsubscribe();
      refresh.cancel();
    },
  };
};
