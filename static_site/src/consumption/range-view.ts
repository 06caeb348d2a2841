/** A device's week, month or year: period picker, totals and cost, comparison, chart, table, downloads. */

import type { Chart } from "chart.js";
import type { RangeQuery } from "../api/me.ts";
import type { Download, RangeConsumption } from "../api/types.ts";
import { h, icon, replace } from "../ui/dom.ts";
import { emptyState, errorState, loadingState } from "../ui/states.ts";
import { formatKwh } from "./day-data.ts";
import { todayIn } from "./dates.ts";
import { bucketLabel, changePercent, comparisonPeriod, formatMoney, periodLabel, periodOf, shiftPeriod, type Comparison, type Period, type PeriodKind } from "./periods.ts";
import { renderRangeChart } from "./range-chart.ts";
import "./range.css";

export interface RangeViewOptions {
  kind: PeriodKind;
  timeZone: string;
  /** A day inside the period to show first; today when missing. */
  anchor?: string | null;
  load: (query: RangeQuery, signal: AbortSignal) => Promise<RangeConsumption>;
  download: (format: "csv" | "xml", query: RangeQuery) => Promise<Download>;
  onAnchorChange?: (anchor: string) => void;
  onError?: (message: string) => void;
}

export interface RangeView {
  element: HTMLElement;
  dispose: () => void;
}

const COMPARISONS: [Comparison, string][] = [
  ["previous", "Previous period"],
  ["year", "Same period a year earlier"],
  ["none", "No comparison"],
];

function pickerValue(p: Period): string {
  return p.kind === "year" ? p.from.slice(0, 4) : p.kind === "month" ? p.from.slice(0, 7) : p.from;
}

function anchorFromPicker(kind: PeriodKind, value: string): string | null {
  if (kind === "year") return /^\d{4}$/.test(value) ? `${value}-01-01` : null;
  if (kind === "month") return /^\d{4}-\d{2}$/.test(value) ? `${value}-01` : null;
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null;
}

export function createRangeView(opts: RangeViewOptions): RangeView {
  const today = todayIn(opts.timeZone);
  let period = periodOf(opts.kind, opts.anchor && /^\d{4}-\d{2}-\d{2}$/.test(opts.anchor) ? opts.anchor : today);
  let comparison: Comparison = "previous";
  let chart: Chart | null = null;
  let inflight: AbortController | null = null;

  const prev = h("button", { class: "btn btn-secondary btn-icon", type: "button", testid: "range-prev", "aria-label": `Previous ${opts.kind}`, title: `Previous ${opts.kind}` }, icon("left"));
  const next = h("button", { class: "btn btn-secondary btn-icon", type: "button", testid: "range-next", "aria-label": `Next ${opts.kind}`, title: `Next ${opts.kind}` }, icon("right"));
  const inputType = opts.kind === "year" ? "number" : opts.kind === "month" ? "month" : "date";
  const picker = h("input", { class: "control date-input", type: inputType, testid: "range-picker", "aria-label": `Pick a ${opts.kind}`, min: opts.kind === "year" ? "2000" : undefined, max: opts.kind === "year" ? "2100" : undefined });
  const compare = h("select", { class: "control", testid: "range-compare", "aria-label": "Compare with" }, COMPARISONS.map(([value, text]) => h("option", { value }, text)));
  const csvBtn = h("button", { class: "menu-item", type: "button", testid: "download-csv" }, "CSV (hourly)");
  const xmlBtn = h("button", { class: "menu-item", type: "button", testid: "download-xml" }, "Green Button XML");
  const menu = h("details", { class: "download-menu", testid: "download-menu" }, h("summary", { class: "btn btn-secondary" }, "Download"), h("div", { class: "menu-list" }, csvBtn, xmlBtn));
  const caption = h("p", { class: "day-caption", testid: "range-caption" });
  const body = h("div", { class: "day-body", testid: "range-body", "aria-live": "polite" });
  const element = h(
    "section",
    { class: "day-view range-view", testid: "range-view", "data-kind": opts.kind },
    h("div", { class: "day-toolbar range-toolbar" }, h("div", { class: "date-nav" }, prev, h("label", { class: "date-field" }, icon("calendar"), picker), next), h("div", { class: "range-actions" }, compare, menu)),
    caption,
    body,
  );

  const query = (p: Period): RangeQuery => ({ from: p.from, to: p.to, tz: opts.timeZone, group_by: p.groupBy });

  const destroyChart = () => {
    chart?.destroy();
    chart = null;
  };

  const load = async () => {
    inflight?.abort();
    const ctl = new AbortController();
    inflight = ctl;
    picker.value = pickerValue(period);
    next.disabled = period.to >= today;
    caption.textContent = `${periodLabel(period)} · ${period.from} to ${period.to} · times in ${opts.timeZone}`;
    destroyChart();
    replace(body, loadingState("Loading consumption…", "range-loading"));
    const other = comparisonPeriod(period, comparison);
    try {
      const [current, previous] = await Promise.all([opts.load(query(period), ctl.signal), other ? opts.load(query(other), ctl.signal) : Promise.resolve(null)]);
      if (ctl.signal.aborted) return;
      show(current, previous, other);
    } catch (err) {
      if (ctl.signal.aborted || (err instanceof DOMException && err.name === "AbortError")) return;
      replace(body, errorState(err, () => void load(), "range-error"));
    }
  };

  const show = (current: RangeConsumption, previous: RangeConsumption | null, other: Period | null) => {
    if (current.total_kwh === null && (previous?.total_kwh ?? null) === null) {
      replace(body, emptyState({ testid: "range-empty", icon: "calendar", title: "No readings in this period", message: `The meter sent no data between ${period.from} and ${period.to}.` }));
      return;
    }
    const otherLabel = other ? periodLabel(other) : "";
    const change = changePercent(current.total_kwh, previous?.total_kwh ?? null);
    const canvas = h("canvas", { testid: "range-chart", role: "img", "aria-label": `Consumption per ${period.groupBy} in ${periodLabel(period)}` });
    replace(
      body,
      h(
        "div",
        { class: "stats" },
        stat("Total", `${formatKwh(current.total_kwh)} ${current.unit}`, "range-total", `${current.buckets.filter((b) => b.kwh !== null).length} of ${current.buckets.length} ${period.groupBy}s with readings`),
        stat("Cost", formatMoney(current.total_cost, current.currency), "range-cost", current.currency ? `Tariff currency ${current.currency}` : "No tariff assigned"),
        previous ? stat(otherLabel, `${formatKwh(previous.total_kwh)} ${previous.unit}`, "range-compare-total", change === null ? "Nothing to compare" : `${change >= 0 ? "+" : ""}${change.toFixed(1)} % this period`) : null,
        stat("Estimated hours", String(current.buckets.reduce((n, b) => n + b.estimated_hours, 0)), "range-estimated", "Filled in from readings around a gap"),
      ),
      h("div", { class: "card" }, h("div", { class: "card-header" }, h("h3", {}, `Consumption per ${period.groupBy}`)), h("div", { class: "chart-box" }, canvas)),
      table(current, previous),
    );
    chart = renderRangeChart(canvas, current, periodLabel(period), previous, otherLabel);
  };

  const table = (current: RangeConsumption, previous: RangeConsumption | null): HTMLElement =>
    h(
      "div",
      { class: "card" },
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "table table-compact", testid: "range-table" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, period.groupBy === "month" ? "Month" : "Day"), h("th", { scope: "col", class: "num" }, `Energy (${current.unit})`), h("th", { scope: "col", class: "num" }, "Cost"), previous ? h("th", { scope: "col", class: "num" }, "Compared") : null)),
          h(
            "tbody",
            {},
            current.buckets.map((b, i) =>
              h(
                "tr",
                { testid: "range-row", "data-start": b.start, class: b.kwh === null ? "row-muted" : undefined },
                h("td", {}, bucketLabel(b.start, current.group_by)),
                h("td", { class: "num mono", testid: "range-row-kwh" }, formatKwh(b.kwh)),
                h("td", { class: "num mono" }, formatMoney(b.cost, current.currency)),
                previous ? h("td", { class: "num mono muted" }, formatKwh(previous.buckets[i]?.kwh ?? null)) : null,
              ),
            ),
          ),
        ),
      ),
    );

  const go = (p: Period) => {
    if (p.from > today) return;
    period = p;
    opts.onAnchorChange?.(period.from);
    void load();
  };

  const save = async (format: "csv" | "xml") => {
    menu.open = false;
    try {
      const file = await opts.download(format, query(period));
      const url = URL.createObjectURL(file.blob);
      const link = h("a", { href: url, download: file.filename ?? `consumption.${format}` });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      opts.onError?.(err instanceof Error ? err.message : "The download failed.");
    }
  };

  prev.addEventListener("click", () => go(shiftPeriod(period, -1)));
  next.addEventListener("click", () => go(shiftPeriod(period, 1)));
  picker.addEventListener("change", () => {
    const anchor = anchorFromPicker(opts.kind, picker.value);
    if (anchor) go(periodOf(opts.kind, anchor));
  });
  compare.addEventListener("change", () => {
    comparison = compare.value as Comparison;
    void load();
  });
  csvBtn.addEventListener("click", () => void save("csv"));
  xmlBtn.addEventListener("click", () => void save("xml"));

  void load();
  return {
    element,
    dispose: () => {
      inflight?.abort();
      destroyChart();
    },
  };
}

function stat(label: string, value: string, testid: string, sub?: string): HTMLElement {
  return h("div", { class: "stat" }, h("div", { class: "stat-label" }, label), h("div", { class: "stat-value", testid }, value), sub ? h("div", { class: "stat-sub" }, sub) : null);
}
