/** Day / Week / Month / Year tabs over one device's consumption (client dashboard, admin device page). */

import type { RangeQuery } from "../api/me.ts";
import type { DayConsumption, Download, RangeConsumption } from "../api/types.ts";
import { h, replace } from "../ui/dom.ts";
import { createDayView, type DayView } from "./day-view.ts";
import type { PeriodKind } from "./periods.ts";
import { createRangeView, type RangeView } from "./range-view.ts";

export type ViewKind = "day" | PeriodKind;
export const VIEW_KINDS: readonly ViewKind[] = ["day", "week", "month", "year"];
const VIEW_LABELS: Record<ViewKind, string> = { day: "Day", week: "Week", month: "Month", year: "Year" };

export interface PeriodViewsOptions {
  timeZone: string;
  /** From the address: `view`, `date` (day view) and `from` (other views). */
  view: string | null;
  date: string | null;
  from: string | null;
  loadDay: (date: string, tz: string, signal: AbortSignal) => Promise<DayConsumption>;
  loadRange: (query: RangeQuery, signal: AbortSignal) => Promise<RangeConsumption>;
  download: (format: "csv" | "xml", query: RangeQuery) => Promise<Download>;
  /** The address to show for the current view and day / first day. */
  onLocation: (view: ViewKind, day: string | null) => void;
  onError: (message: string) => void;
}

export interface PeriodViews {
  element: HTMLElement;
  /** The day view while the Day tab is shown (live updates refresh it). */
  dayView: () => DayView | null;
  dispose: () => void;
}

export function createPeriodViews(opts: PeriodViewsOptions): PeriodViews {
  let view: ViewKind = VIEW_KINDS.includes(opts.view as ViewKind) ? (opts.view as ViewKind) : "day";
  let date = opts.date;
  let anchor = opts.from;
  let dayView: DayView | null = null;
  let rangeView: RangeView | null = null;
  const tabs = h("div", { class: "view-tabs", role: "tablist", testid: "view-tabs", "aria-label": "Period" });
  const slot = h("div", { class: "view-slot" });

  const show = () => {
    dayView?.dispose();
    rangeView?.dispose();
    dayView = null;
    rangeView = null;
    for (const tab of tabs.querySelectorAll<HTMLButtonElement>("button")) tab.setAttribute("aria-selected", String(tab.dataset.view === view));
    if (view === "day") {
      opts.onLocation("day", date);
      dayView = createDayView({
        load: opts.loadDay,
        timeZone: opts.timeZone,
        date,
        onDateChange: (d) => {
          date = d;
          opts.onLocation("day", d);
        },
      });
      replace(slot, dayView.element);
      return;
    }
    const kind = view;
    opts.onLocation(kind, anchor);
    rangeView = createRangeView({
      kind,
      timeZone: opts.timeZone,
      anchor: anchor ?? date,
      load: opts.loadRange,
      download: opts.download,
      onAnchorChange: (from) => {
        anchor = from;
        opts.onLocation(kind, from);
      },
      onError: opts.onError,
    });
    replace(slot, rangeView.element);
  };

  for (const kind of VIEW_KINDS) {
    const tab = h("button", { class: "view-tab", type: "button", role: "tab", testid: `view-${kind}`, "data-view": kind }, VIEW_LABELS[kind]);
    tab.addEventListener("click", () => {
      if (view === kind) return;
      view = kind;
      anchor = null;
      show();
    });
    tabs.appendChild(tab);
  }
  show();
  return {
    element: h("div", { class: "period-views" }, tabs, slot),
    dayView: () => dayView,
    dispose: () => {
      dayView?.dispose();
      rangeView?.dispose();
    },
  };
}

/** The hash-route query for a view: `?date=` for days, `?view=…&from=…` otherwise. */
export function viewQuery(view: ViewKind, day: string | null): string {
  if (view === "day") return day ? `?date=${day}` : "";
  return `?view=${view}${day ? `&from=${day}` : ""}`;
}
