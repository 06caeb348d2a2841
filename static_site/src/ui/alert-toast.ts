/** Toasts for alerts: device, local hour, "X.XXX kWh of max Y.YYY kWh", a link to the list. */

import { formatAlertEnergy, formatAlertHour } from "../realtime/format.ts";
import type { AlertNotice, AlertSummaryNotice } from "../realtime/live.ts";
import { h } from "./dom.ts";
import type { Toasts } from "./toast.ts";

/** Alerts stay longer than ordinary messages: they may arrive while the user looks elsewhere. */
const ALERT_TOAST_MS = 15_000;

export function showAlertToast(toasts: Toasts, notice: AlertNotice, timeZone: string): void {
  const content = h(
    "div",
    { class: "toast-alert" },
    h("div", { class: "toast-title", testid: "alert-toast-title" }, `${notice.deviceDescription} is over its limit`),
    h("div", { class: "toast-line", testid: "alert-toast-hour" }, formatAlertHour(notice.hourStart, timeZone)),
    h("div", { class: "toast-line mono", testid: "alert-toast-energy" }, formatAlertEnergy(notice.energyKwh, notice.maxHourlyKwh)),
    h("a", { class: "toast-link", href: "#/alerts", testid: "alert-toast-link" }, notice.source === "catch-up" ? "Missed while offline · view alerts" : "View alerts"),
  );
  toasts.show("warning", content, {
    testid: "alert-toast",
    timeoutMs: ALERT_TOAST_MS,
    data: { alertId: notice.id, deviceId: notice.deviceId, source: notice.source },
  });
}

export function showMissedAlertsToast(toasts: Toasts, notices: AlertNotice[], timeZone: string, total: number = notices.length): void {
  const newest = notices.slice(-3).reverse();
  const content = h(
    "div",
    { class: "toast-alert" },
    h("div", { class: "toast-title", testid: "alert-toast-title" }, `${Math.max(total, notices.length)} alerts while you were offline`),
    newest.map((n) =>
      h("div", { class: "toast-line" }, `${n.deviceDescription}: ${formatAlertHour(n.hourStart, timeZone)}, ${formatAlertEnergy(n.energyKwh, n.maxHourlyKwh)}`),
    ),
    h("a", { class: "toast-link", href: "#/alerts?show=active", testid: "alert-toast-link" }, "View all alerts"),
  );
  toasts.show("warning", content, {
    testid: "alert-toast",
    timeoutMs: ALERT_TOAST_MS,
    data: { alertIds: notices.map((n) => n.id).join(" "), source: "catch-up" },
  });
}

/**
 * An alert was withdrawn (late readings brought its hour to or under the maximum): a toast still
 * showing it is struck through and says so; otherwise a short notice.
 */
export function showClearedAlert(toasts: Toasts, notice: AlertNotice, timeZone: string): void {
  const line = `Late readings: ${formatAlertEnergy(notice.energyKwh, notice.maxHourlyKwh)}`;
  for (const toast of document.querySelectorAll<HTMLElement>('[data-testid="alert-toast"]')) {
    if (toast.dataset.alertId !== notice.id) continue;
    toast.classList.add("toast-withdrawn");
    toast.dataset.state = "cleared";
    const title = toast.querySelector('[data-testid="alert-toast-title"]');
    if (title) title.textContent = `${notice.deviceDescription}: alert withdrawn`;
    const energy = toast.querySelector('[data-testid="alert-toast-energy"]');
    if (energy) energy.textContent = line;
    return;
  }
  const content = h(
    "div",
    { class: "toast-alert" },
    h("div", { class: "toast-title", testid: "alert-toast-title" }, `${notice.deviceDescription}: alert withdrawn`),
    h("div", { class: "toast-line", testid: "alert-toast-hour" }, formatAlertHour(notice.hourStart, timeZone)),
    h("div", { class: "toast-line mono", testid: "alert-toast-energy" }, line),
    h("a", { class: "toast-link", href: "#/alerts", testid: "alert-toast-link" }, "View alerts"),
  );
  toasts.show("info", content, { testid: "alert-cleared-toast", timeoutMs: ALERT_TOAST_MS, data: { alertId: notice.id, state: "cleared" } });
}

/** "3–9 Nov" (or one day) in the viewer's zone. */
export function formatHourRange(first: string | null, last: string | null, timeZone: string): string {
  const a = first ? new Date(first) : null;
  const b = last ? new Date(last) : a;
  if (!a || Number.isNaN(a.getTime()) || !b || Number.isNaN(b.getTime())) return "";
  const fmt = new Intl.DateTimeFormat("en-GB", { timeZone, day: "numeric", month: "short" });
  const from = fmt.format(a);
  const to = fmt.format(b);
  return from === to ? from : `${from}–${to}`;
}

/** One toast for many alerts (a meter catching up, or a burst); later summaries replace it. */
export function showAlertSummary(toasts: Toasts, summary: AlertSummaryNotice, timeZone: string): void {
  for (const old of document.querySelectorAll('[data-testid="alert-summary-toast"]')) old.remove();
  const range = formatHourRange(summary.firstHour, summary.lastHour, timeZone);
  const what = `${summary.active} ${summary.active === 1 ? "alert" : "alerts"}`;
  const title = summary.backfill ? `${what} for ${range} while the meter was offline` : `${what} (${range})`;
  const content = h(
    "div",
    { class: "toast-alert" },
    h("div", { class: "toast-title", testid: "alert-toast-title" }, title),
    summary.cleared > 0 ? h("div", { class: "toast-line muted" }, `${summary.cleared} withdrawn after late readings`) : null,
    summary.examples.map((n) =>
      h("div", { class: "toast-line", testid: "alert-summary-example" }, `${n.deviceDescription}: ${formatAlertHour(n.hourStart, timeZone)}, ${formatAlertEnergy(n.energyKwh, n.maxHourlyKwh)}`),
    ),
    h("a", { class: "toast-link", href: "#/alerts?show=active", testid: "alert-toast-link" }, "View all alerts"),
  );
  toasts.show("warning", content, {
    testid: "alert-summary-toast",
    timeoutMs: ALERT_TOAST_MS,
    data: { active: String(summary.active), cleared: String(summary.cleared), backfill: String(summary.backfill) },
  });
}
