/** The header's live-connection indicator: live / reconnecting / offline, details in a tooltip. */

import type { LinkState } from "../realtime/connection.ts";
import { h } from "./dom.ts";

export type Indicator = "live" | "reconnecting" | "offline";

export interface IndicatorView {
  indicator: Indicator;
  label: string;
  tooltip: string;
}

function clock(ms: number): string {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(ms));
}

/** What the indicator shows for a connection state (pure). */
export function describeLink(state: LinkState, now: number = Date.now()): IndicatorView {
  switch (state.status) {
    case "live":
      return { indicator: "live", label: "Live", tooltip: `Live updates on since ${clock(state.since)}. Alerts appear as they happen.` };
    case "connecting":
      return {
        indicator: "reconnecting",
        label: state.attempt === 0 ? "Connecting…" : "Reconnecting…",
        tooltip: "Connecting to live updates…",
      };
    case "reconnecting": {
      const seconds = Math.max(1, Math.ceil((state.retryAt - now) / 1000));
      return {
        indicator: "reconnecting",
        label: "Reconnecting…",
        tooltip: `${state.reason} Retrying in ${seconds} s (attempt ${state.attempt}). Missed alerts are fetched once back.`,
      };
    }
    case "offline":
      return { indicator: "offline", label: "Offline", tooltip: `${state.reason} Live updates resume, and missed alerts are fetched, when the network is back.` };
    case "idle":
      return { indicator: "offline", label: "Offline", tooltip: "Live updates are off." };
    case "unavailable":
      return { indicator: "offline", label: "Offline", tooltip: state.reason };
  }
}

/** A small status pill; `subscribe` feeds it states and returns an unsubscribe function. */
export function liveStatus(subscribe: (fn: (state: LinkState) => void) => () => void): HTMLElement {
  const dot = h("span", { class: "live-dot", "aria-hidden": "true" });
  const label = h("span", { class: "live-label" });
  const el = h("span", { class: "live-status", testid: "live-status", role: "status", tabindex: 0 }, dot, label);
  subscribe((state) => {
    const view = describeLink(state);
    el.dataset.state = view.indicator;
    label.textContent = view.label;
    el.title = view.tooltip;
    el.setAttribute("aria-label", `${view.label}. ${view.tooltip}`);
  });
  return el;
}
