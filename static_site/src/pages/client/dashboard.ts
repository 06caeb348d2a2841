/** Client: their devices, and for the selected one a chosen day's hourly consumption. */

import type { Device } from "../../api/types.ts";
import { formatKwh } from "../../consumption/day-data.ts";
import { handOverNotice } from "../../consumption/hand-over.ts";
import { createPeriodViews, viewQuery, type PeriodViews } from "../../consumption/period-views.ts";
import { browserTimers, throttle } from "../../realtime/timing.ts";
import { h, icon, replace } from "../../ui/dom.ts";
import { pageHeader } from "../../ui/layout.ts";
import { emptyState, errorState, loadingState } from "../../ui/states.ts";
import type { Page } from "../page.ts";

const MY_DEVICES_LIMIT = 100;
/** Live readings refresh today's view at most this often (the last change always lands). */
export const LIVE_REFRESH_MS = 2000;

export const dashboardPage: Page = ({ services, params, query, signal }) => {
  const { api, session } = services;
  const firstName = session.user?.name.split(/\s+/)[0] ?? "";
  const content = h("div", { class: "dashboard" });
  const element = h("div", { class: "page", testid: "dashboard-page" }, pageHeader(firstName ? `Hello, ${firstName}` : "My energy", "Pick a device and a day to see its consumption per hour."), content);
  let views: PeriodViews | null = null;
  let selectedId: string | null = null;
  let date = query.get("date");

  // Readings or alerts for the device on screen: re-read today's view in place, throttled.
  // Other days never change from live readings (late readings are rare; a reload shows them).
  const refreshToday = throttle(() => {
    const dayView = views?.dayView();
    if (dayView?.showsToday()) dayView.refresh();
  }, LIVE_REFRESH_MS, browserTimers);
  const unsubscribe = services.live.onEvent((event) => {
    if (event.type !== "consumption" && event.type !== "alerts-changed") return;
    if (selectedId !== null && event.deviceIds.includes(selectedId) && views?.dayView()?.showsToday()) refreshToday();
  });

  const load = async () => {
    replace(content, h("div", { class: "span-all" }, loadingState("Loading your devices…", "page-loading")));
    try {
      const page = await api.me.devices({ limit: MY_DEVICES_LIMIT });
      if (signal.aborted) return;
      if (page.items.length === 0) {
        replace(
          content,
          h(
            "div",
            { class: "card span-all" },
            emptyState({
              testid: "no-devices",
              icon: "meter",
              title: "No devices yet",
              message: "No smart meter is linked to your account yet. Once your utility assigns one, its consumption per hour will show here.",
            }),
          ),
        );
        return;
      }
      const wanted = params.deviceId;
      const selected = page.items.find((d) => d.id === wanted) ?? page.items[0];
      if (wanted && selected?.id !== wanted) services.toasts.warning("That device is not linked to your account; showing your first device.");
      render(page.items, selected ?? null);
    } catch (err) {
      if (!signal.aborted) replace(content, h("div", { class: "card span-all" }, errorState(err, () => void load(), "page-error")));
    }
  };

  const render = (devices: Device[], selected: Device | null) => {
    const list = h("nav", { class: "device-list", testid: "my-devices", "aria-label": "Your devices" });
    const detail = h("div", { class: "device-detail" });
    const select = (device: Device) => {
      for (const el of list.querySelectorAll<HTMLElement>(".device-card")) {
        const on = el.dataset.deviceId === device.id;
        el.classList.toggle("active", on);
        el.setAttribute("aria-current", on ? "true" : "false");
      }
      selectedId = device.id;
      views?.dispose();
      views = createPeriodViews({
        timeZone: services.timeZone,
        view: query.get("view"),
        date,
        from: query.get("from"),
        loadDay: (day, tz, s) => api.me.consumption(device.id, day, tz, s),
        loadRange: (q, s) => api.me.consumptionRange(device.id, q, s),
        download: (format, q) => api.me.exportFile(device.id, format, q),
        onLocation: (view, day) => {
          if (view === "day") date = day;
          services.replaceUrl(`#/dashboard/${encodeURIComponent(device.id)}${viewQuery(view, day)}`);
        },
        onError: (message) => services.toasts.warning(message),
      });
      const handOver = handOverNotice(device.visible_from, services.timeZone);
      replace(
        detail,
        h(
          "div",
          { class: "device-detail-header" },
          h("div", {}, h("h2", { testid: "selected-device-name" }, device.description), h("p", { class: "muted" }, device.address)),
          h("span", { class: "badge badge-neutral" }, `Limit ${formatKwh(device.max_hourly_kwh)} kWh per hour`),
        ),
        handOver ? h("div", { class: "callout callout-info", testid: "hand-over-notice", role: "note" }, icon("info"), h("div", {}, handOver)) : null,
        views.element,
      );
    };
    for (const device of devices) {
      const card = h(
        "button",
        { class: "device-card", type: "button", testid: "my-device-card", "data-device-id": device.id },
        h("span", { class: "device-card-icon" }, icon("meter")),
        h("span", { class: "device-card-text" }, h("span", { class: "device-card-title" }, device.description), h("span", { class: "device-card-sub" }, device.address)),
      );
      card.addEventListener("click", () => select(device));
      list.appendChild(card);
    }
    replace(content, h("aside", { class: "device-aside" }, h("h2", { class: "aside-title" }, `Your devices (${devices.length})`), list), detail);
    if (selected) select(selected);
  };

  void load();
  return {
    element,
    dispose: () => {
      unsubscribe();
      refreshToday.cancel();
      views?.dispose();
    },
  };
};
