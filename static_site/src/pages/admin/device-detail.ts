/** Admin: one device — its details, owner, edit/delete, tariff, and its consumption over any period. */

import { describeError } from "../../api/errors.ts";
import type { Device, User } from "../../api/types.ts";
import { formatKwh } from "../../consumption/day-data.ts";
import { ownerSeesFrom } from "../../consumption/hand-over.ts";
import { createPeriodViews, viewQuery, type PeriodViews } from "../../consumption/period-views.ts";
import { confirmDialog, showSecretOnce } from "../../ui/dialog.ts";
import { h, icon, replace } from "../../ui/dom.ts";
import { pageHeader } from "../../ui/layout.ts";
import { errorState, loadingState } from "../../ui/states.ts";
import type { Page } from "../page.ts";
import { openDeviceForm, ownerLabel, ownerOptions } from "./device-form.ts";
import { createTariffPanel } from "./device-tariff.ts";

export const adminDeviceDetailPage: Page = ({ services, params, query, signal }) => {
  const { api, toasts } = services;
  const id = params.id ?? "";
  const element = h("div", { class: "page", testid: "admin-device-page" }, h("a", { class: "back-link", href: "#/admin/devices" }, icon("left"), "All devices"));
  const content = h("div", { class: "stack" }, loadingState("Loading device…"));
  element.appendChild(content);
  let views: PeriodViews | null = null;

  const load = async () => {
    replace(content, loadingState("Loading device…"));
    try {
      const [device, clients] = await Promise.all([api.devices.get(id), api.users.listAll("client")]);
      if (!signal.aborted) render(device, clients);
    } catch (err) {
      if (!signal.aborted) replace(content, errorState(err, () => void load()));
    }
  };

  const render = (device: Device, clients: User[]) => {
    const edit = h("button", { class: "btn btn-secondary", type: "button", testid: "device-edit" }, icon("edit"), "Edit");
    const del = h("button", { class: "btn btn-danger-outline", type: "button", testid: "device-delete" }, icon("trash"), "Delete");
    const rotate = h("button", { class: "btn btn-secondary", type: "button", testid: "device-rotate-key" }, icon("key"), "New key");
    rotate.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Issue a new device key?",
        message: ["The meter of ", h("strong", {}, device.description), " will be refused until it is configured with the new key."],
        confirmLabel: "Issue new key",
        danger: true,
      });
      if (!ok) return;
      try {
        const res = await api.devices.rotateKey(device.id);
        await showSecretOnce({ title: "New device key", intro: ["The previous key of ", h("strong", {}, device.description), " no longer works. The new key:"], secret: res.device_key });
        toasts.success("A new key was issued.");
      } catch (err) {
        toasts.error(`Could not issue a new key: ${describeError(err)}`);
      }
    });
    const owner = h("select", { class: "control", testid: "owner-select", "aria-label": "Owner", value: device.owner_id ?? "" }, ownerOptions(clients, device.owner_id).map((o) => h("option", { value: o.value }, o.label)));
    const seesFrom = h("dd", { testid: "owner-sees-from" }, ownerSeesFrom(device.visible_from, services.timeZone));
    edit.addEventListener("click", async () => {
      const saved = await openDeviceForm(api, clients, device);
      if (saved) {
        toasts.success("Device saved.");
        void load();
      }
    });
    del.addEventListener("click", async () => {
      const ok = await confirmDialog({ title: "Delete device?", message: [h("strong", {}, device.description), " will be deleted and its meter will no longer be able to report. This cannot be undone."], confirmLabel: "Delete device", danger: true });
      if (!ok) return;
      try {
        await api.devices.remove(device.id);
        toasts.success(`Device “${device.description}” deleted.`);
        services.navigate("#/admin/devices");
      } catch (err) {
        toasts.error(`Could not delete the device: ${describeError(err)}`);
      }
    });
    owner.addEventListener("change", async () => {
      const next = owner.value || null;
      owner.disabled = true;
      try {
        const updated = await api.devices.update(device.id, { owner_id: next });
        device.owner_id = updated.owner_id;
        device.visible_from = updated.visible_from;
        seesFrom.textContent = ownerSeesFrom(device.visible_from, services.timeZone);
        toasts.success(next ? `Assigned to ${ownerLabel(clients, next)}.` : "The device is now unassigned.");
      } catch (err) {
        owner.value = device.owner_id ?? "";
        toasts.error(`Could not change the owner: ${describeError(err)}`);
      } finally {
        owner.disabled = false;
      }
    });
    views?.dispose();
    const periodViews = createPeriodViews({
      timeZone: services.timeZone,
      view: query.get("view"),
      date: query.get("date"),
      from: query.get("from"),
      loadDay: (date, tz, s) => api.devices.consumption(device.id, date, tz, s),
      loadRange: (q, s) => api.devices.consumptionRange(device.id, q, s),
      download: (format, q) => api.devices.exportFile(device.id, format, q),
      onLocation: (view, day) => services.replaceUrl(`#/admin/devices/${encodeURIComponent(device.id)}${viewQuery(view, day)}`),
      onError: (message) => toasts.warning(message),
    });
    views = periodViews;
    const tariffPanel = createTariffPanel({
      api: api.devices,
      deviceId: device.id,
      timeZone: services.timeZone,
      onChanged: () => void load(), // costs changed: redraw the page and its period
      toast: toasts,
    });
    replace(
      content,
      pageHeader(device.description, device.address, edit, rotate, del),
      h(
        "div",
        { class: "card details" },
        h(
          "dl",
          { class: "details-grid" },
          h("div", {}, h("dt", {}, "Maximum per hour"), h("dd", { class: "mono" }, `${formatKwh(device.max_hourly_kwh)} kWh`)),
          h("div", {}, h("dt", {}, "Owner"), h("dd", {}, owner)),
          h("div", {}, h("dt", {}, "The owner sees"), seesFrom),
          h("div", {}, h("dt", {}, "Device id"), h("dd", { class: "mono small" }, device.id)),
        ),
      ),
      tariffPanel,
      h("h2", { class: "section-title" }, "Consumption"),
      periodViews.element,
    );
  };

  void load();
  return { element, dispose: () => views?.dispose() };
};
