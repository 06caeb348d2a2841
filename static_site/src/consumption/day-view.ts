/** A device's day: date navigation, summary figures, the hourly chart and the table of values. */

import type { DayConsumption } from "../api/types.ts";
import { h, icon, replace } from "../ui/dom.ts";
import { emptyState, errorState, loadingState } from "../ui/states.ts";
import type { Chart } from "chart.js";
import { renderDayChart, updateDayChart } from "./day-chart.ts";
import { formatKwh, shapeDay, type DaySummary, type HourRow } from "./day-data.ts";
import { addDays, formatLongDate, isIsoDate, todayIn } from "./dates.ts";

export interface DayViewOptions {
  load: (date: string, timeZone: string, signal: AbortSignal) => Promise<DayConsumption>;
  timeZone: string;
  /** Initial day; today in `timeZone` when missing or invalid. */
  date?: string | null;
  onDateChange?: (date: string) => void;
}

export interface DayView {
  element: HTMLElement;
  /** True while the view shows today (in its time zone): the only day live readings change. */
  showsToday: () => boolean;
  /**
   * Re-read the shown day in the background and update it in place (no spinner, no new chart):
   * for live updates. Ignored while a normal load is running (that one reads the latest anyway).
   */
  refresh: () => void;
  dispose: () => void;
}

export function createDayView(opts: DayViewOptions): DayView {
  const today = todayIn(opts.timeZone);
  let date = isIsoDate(opts.date) && opts.date <= today ? opts.date : today;
  let chart: Chart | null = null;
  let inflight: AbortController | null = null;
  let loading = false;
  let quiet: AbortController | null = null;
  /** The parts of a shown day that a background refresh swaps. */
  let parts: { stats: HTMLElement; legend: HTMLElement; table: HTMLElement } | null = null;

  const prev = h("button", { class: "btn btn-secondary btn-icon", type: "button", testid: "day-prev", "aria-label": "Previous day", title: "Previous day" }, icon("left"));
  const next = h("button", { class: "btn btn-secondary btn-icon", type: "button", testid: "day-next", "aria-label": "Next day", title: "Next day" }, icon("right"));
  const input = h("input", { class: "control date-input", type: "date", testid: "day-date", "aria-label": "Day", max: today, value: date });
  const todayBtn = h("button", { class: "btn btn-ghost", type: "button", testid: "day-today" }, "Today");
  const caption = h("p", { class: "day-caption", testid: "day-caption" });
  const body = h("div", { class: "day-body", testid: "day-body", "aria-live": "polite" });
  const element = h(
    "section",
    { class: "day-view", testid: "day-view" },
    h(
      "div",
      { class: "day-toolbar" },
      h("div", { class: "date-nav" }, prev, h("label", { class: "date-field" }, icon("calendar"), input), next, todayBtn),
      caption,
    ),
    body,
  );

  const destroyChart = () => {
    chart?.destroy();
    chart = null;
  };

  const go = (target: string) => {
    if (!isIsoDate(target)) return;
    date = target > today ? today : target;
    input.value = date;
    opts.onDateChange?.(date);
    void load();
  };

  const load = async () => {
    inflight?.abort();
    quiet?.abort();
    const ctl = new AbortController();
    inflight = ctl;
    loading = true;
    prev.disabled = false;
    next.disabled = date >= today;
    todayBtn.disabled = date === today;
    caption.textContent = `${formatLongDate(date)} · times in ${opts.timeZone}`;
    destroyChart();
    replace(body, loadingState("Loading readings…", "day-loading"));
    try {
      const day = await opts.load(date, opts.timeZone, ctl.signal);
      if (ctl.signal.aborted) return;
      show(shapeDay(day));
    } catch (err) {
      if (ctl.signal.aborted || (err instanceof DOMException && err.name === "AbortError")) return;
      replace(body, errorState(err, () => void load(), "day-error"));
    } finally {
      if (inflight === ctl) loading = false;
    }
  };

  const refresh = async () => {
    if (loading) return;
    quiet?.abort();
    const ctl = new AbortController();
    quiet = ctl;
    const shownDate = date;
    try {
      const day = await opts.load(shownDate, opts.timeZone, ctl.signal);
      if (ctl.signal.aborted || shownDate !== date || loading) return;
      const summary = shapeDay(day);
      if (chart && parts && !summary.isEmpty && updateDayChart(chart, summary)) {
        const next = { stats: statsRow(summary), legend: legendNote(summary), table: tableCard(summary) };
        parts.stats.replaceWith(next.stats);
        parts.legend.replaceWith(next.legend);
        parts.table.replaceWith(next.table);
        parts = next;
        body.dataset.refreshedAt = String(Date.now());
      } else {
        destroyChart();
        show(summary);
      }
    } catch {
      // A failed background refresh keeps what is on screen; the next update tries again.
    }
  };

  const show = (summary: DaySummary) => {
    parts = null;
    if (summary.isEmpty) {
      replace(
        body,
        emptyState({
          testid: "day-empty",
          icon: "calendar",
          title: "No readings for this day",
          message: `The meter sent no data for ${formatLongDate(summary.date)}. Pick another day on the calendar.`,
        }),
      );
      return;
    }
    const canvas = h("canvas", { testid: "day-chart", role: "img", "aria-label": `Consumption per hour on ${summary.date}` });
    const shownParts = { stats: statsRow(summary), legend: legendNote(summary), table: tableCard(summary) };
    replace(body, shownParts.stats, h("div", { class: "card" }, h("div", { class: "card-header" }, h("h3", {}, "Consumption per hour"), shownParts.legend), h("div", { class: "chart-box" }, canvas)), shownParts.table);
    chart = renderDayChart(canvas, summary);
    parts = shownParts;
  };

  prev.addEventListener("click", () => go(addDays(date, -1)));
  next.addEventListener("click", () => go(addDays(date, 1)));
  todayBtn.addEventListener("click", () => go(today));
  input.addEventListener("change", () => go(input.value));

  void load();
  return {
    element,
    showsToday: () => date === todayIn(opts.timeZone),
    refresh: () => void refresh(),
    dispose: () => {
      inflight?.abort();
      quiet?.abort();
      destroyChart();
    },
  };
}

function stat(label: string, value: string, testid: string, sub?: string, tone?: "warning"): HTMLElement {
  return h(
    "div",
    { class: `stat${tone ? ` stat-${tone}` : ""}` },
    h("div", { class: "stat-label" }, label),
    h("div", { class: "stat-value", testid }, value),
    sub ? h("div", { class: "stat-sub" }, sub) : null,
  );
}

function statsRow(s: DaySummary): HTMLElement {
  return h(
    "div",
    { class: "stats" },
    stat("Total this day", `${formatKwh(s.totalKwh)} ${s.unit}`, "day-total", `${s.hoursWithData} of ${s.rows.length} hours with readings`),
    stat("Peak hour", s.peak ? `${formatKwh(s.peak.kwh)} ${s.unit}` : "—", "day-peak", s.peak ? `at ${s.peak.label}` : undefined),
    stat("Hours over maximum", String(s.hoursOverMax), "day-over-count", s.hoursOverMax > 0 ? "Shown in amber below" : "No hour above the limit", s.hoursOverMax > 0 ? "warning" : undefined),
    stat("Maximum per hour", `${formatKwh(s.maxHourlyKwh)} ${s.unit}`, "day-max", "Set by your utility"),
  );
}

function legendNote(s: DaySummary): HTMLElement {
  const upcoming = s.rows.filter((r) => r.future).length;
  const notes = [
    s.hoursEstimated > 0 ? `${s.hoursEstimated} estimated ${s.hoursEstimated === 1 ? "hour" : "hours"} (pale bars: spread over a gap between readings)` : null,
    s.hoursMissing > 0 ? `${s.hoursMissing} ${s.hoursMissing === 1 ? "hour" : "hours"} without readings` : null,
    upcoming > 0 ? `${upcoming} still to come` : null,
  ].filter(Boolean);
  return h("p", { class: "muted small", testid: "day-legend" }, notes.length ? notes.join(" · ") : `${s.rows.length} hours`);
}

function tableCard(s: DaySummary): HTMLElement {
  const rows = s.rows.map((r) =>
    h(
      "tr",
      {
        testid: "day-row",
        "data-hour": r.label,
        "data-start": r.start,
        "data-estimated": r.estimated ? "true" : undefined,
        class: r.overMax && !r.estimated ? "row-warning" : r.kwh === null || r.estimated ? "row-muted" : undefined,
      },
      h("td", {}, r.label),
      h("td", { class: "num mono", testid: "day-row-kwh" }, formatKwh(r.kwh)),
      h("td", {}, statusBadge(r)),
    ),
  );
  return h(
    "div",
    { class: "card" },
    h("div", { class: "card-header" }, h("h3", {}, "Hourly readings"), h("p", { class: "muted small" }, `Times in ${s.tz}`)),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table table-compact", testid: "day-table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Hour"), h("th", { scope: "col", class: "num" }, `Energy (${s.unit})`), h("th", { scope: "col" }, "Status"))),
        h("tbody", {}, rows),
        h("tfoot", {}, h("tr", {}, h("th", { scope: "row" }, "Total"), h("td", { class: "num mono", testid: "day-table-total" }, formatKwh(s.totalKwh)), h("td", {}))),
      ),
    ),
  );
}

function statusBadge(r: HourRow): HTMLElement {
  if (r.estimated) return h("span", { class: "badge badge-neutral", testid: "estimated", title: "Spread over a gap between readings; estimated hours never raise alerts" }, "Estimated");
  if (r.overMax) return h("span", { class: "badge badge-warning", testid: "over-max" }, icon("warning"), "Over maximum");
  if (r.inProgress) return h("span", { class: "badge badge-info" }, "In progress");
  if (r.future) return h("span", { class: "muted" }, "Not yet");
  if (r.kwh === null) return h("span", { class: "muted" }, "No readings");
  return h("span", { class: "badge badge-ok" }, "Within limit");
}
