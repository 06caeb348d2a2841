/** Toasts for alerts: device, local hour, "X.XXX kWh of max Y.YYY kWh", a link to the list. */

import { formatAlertEnergy, formatAlertHour } from "../realtime/format.ts";
import type { AlertNotice } from "../realtime/live.ts";
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

export function showMissedAlertsToast(toasts: Toasts, notices: AlertNotice[], timeZone: string): void {
  const newest = notices.slice(-3).reverse();
  const content = h(
    "div",
    { class: "toast-alert" },
    h("div", { class: "toast-title", testid: "alert-toast-title" }, `${notices.length} alerts while you were offline`),
    newest.map((n) =>
      h("div", { class: "toast-line" }, `${n.deviceDescription}: ${formatAlertHour(n.hourStart, timeZone)}, ${formatAlertEnergy(n.energyKwh, n.maxHourlyKwh)}`),
    ),
    h("a", { class: "toast-link", href: "#/alerts", testid: "alert-toast-link" }, "View all alerts"),
  );
  toasts.show("warning", content, {
    testid: "alert-toast",
    timeoutMs: ALERT_TOAST_MS,
    data: { alertIds: notices.map((n) => n.id).join(" "), source: "catch-up" },
  });
}
