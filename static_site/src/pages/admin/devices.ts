/** Admin: the device list with owner filter, inline owner assignment, create, edit and delete. */

import { describeError } from "../../api/errors.ts";
import type { FleetDevice, Page as ListPage, User } from "../../api/types.ts";
import type { DeviceListQuery } from "../../api/devices.ts";
import { statusBadge, whenCell } from "../../console/widgets.ts";
import { formatKwh } from "../../consumption/day-data.ts";
import { confirmDialog } from "../../ui/dialog.ts";
import { h, icon, replace } from "../../ui/dom.ts";
import { pageHeader } from "../../ui/layout.ts";
import { pager } from "../../ui/pager.ts";
import { optionSearch } from "../../ui/option-search.ts";
import { labelCells } from "../../ui/table.ts";
import { emptyState, errorState, loadingState } from "../../ui/states.ts";
import type { Services } from "../../services.ts";
import type { Page } from "../page.ts";
import { openDeviceForm, ownerLabel, ownerOptions } from "./device-form.ts";

export const adminDevicesPage: Page = ({ services, query, signal }) => {
  const { api, toasts, config } = services;
  let offset = Math.max(0, Number(query.get("offset")) || 0);
  let ownerFilter = query.get("owner") ?? "";
  let statusFilter = query.get("status") ?? "";
  let search = query.get("q") ?? "";
  let sort = query.get("sort") ?? "description";
  let clients: User[] | null = null;

  const newBtn = h("button", { class: "btn btn-primary", type: "button", testid: "new-device-button" }, icon("plus"), "New device");
  const filter = h("select", { class: "control control-sm", testid: "owner-filter", "aria-label": "Filter by owner" });
  const statusSel = h(
    "select",
    { class: "control control-sm", testid: "status-filter", "aria-label": "Filter by status" },
    [["", "Any status"], ["reporting", "Reporting"], ["late", "Late"], ["silent", "Silent"], ["never", "Never reported"]].map(([v, t]) => h("option", { value: v }, t)),
  );
  statusSel.value = statusFilter;
  const sortSel = h(
    "select",
    { class: "control control-sm", testid: "device-sort", "aria-label": "Sort devices" },
    [["description", "Name A–Z"], ["-description", "Name Z–A"], ["status", "Most urgent first"], ["-last_reading_at", "Latest reading first"], ["last_reading_at", "Oldest reading first"], ["owner", "Owner A–Z"]].map(([v, t]) => h("option", { value: v }, t)),
  );
  sortSel.value = sort;
  const searchBox = h("input", { class: "control control-sm", type: "search", testid: "device-search", placeholder: "Search name or address", "aria-label": "Search devices", value: search });
  const body = h("div", { class: "card card-flush" });
  const element = h(
    "div",
    { class: "page", testid: "admin-devices-page" },
    pageHeader("Devices", "Smart meters, their limits, who owns them and whether they report.", newBtn),
    h("div", { class: "toolbar" }, searchBox, h("label", { class: "toolbar-label" }, "Owner", optionSearch(filter, "Find an owner to filter by", "owner-filter-search"), filter), statusSel, sortSel),
    body,
  );

  const syncUrl = () => {
    const q = new URLSearchParams();
    if (offset) q.set("offset", String(offset));
    if (ownerFilter) q.set("owner", ownerFilter);
    if (statusFilter) q.set("status", statusFilter);
    if (search) q.set("q", search);
    if (sort !== "description") q.set("sort", sort);
    const qs = q.toString();
    services.replaceUrl(`#/admin/devices${qs ? `?${qs}` : ""}`);
  };

  const load = async () => {
    replace(body, loadingState("Loading devices…"));
    try {
      clients ??= await api.users.listAll("client");
      const page = await api.devices.list({
        limit: config.pageSize,
        offset,
        owner_id: ownerFilter || undefined,
        status: (statusFilter || undefined) as DeviceListQuery["status"],
        q: search || undefined,
        sort,
      });
      if (signal.aborted) return;
      if (page.items.length === 0 && offset > 0 && page.total > 0) {
        offset = Math.max(0, Math.floor((page.total - 1) / config.pageSize) * config.pageSize);
        return load();
      }
      renderFilter(clients);
      renderTable(page, clients);
    } catch (err) {
      if (!signal.aborted) replace(body, errorState(err, () => void load()));
    }
  };

  const renderFilter = (list: User[]) => {
    replace(filter, h("option", { value: "" }, "All owners"), list.map((c) => h("option", { value: c.id }, c.name)));
    filter.value = ownerFilter;
  };

  const renderTable = (page: ListPage<FleetDevice>, list: User[]) => {
    if (page.total === 0 && (statusFilter || search)) {
      replace(body, emptyState({ title: "No matching devices", message: "Change the search or the status filter.", icon: "meter", testid: "devices-no-match" }));
      return;
    }
    if (page.total === 0) {
      const add = h("button", { class: "btn btn-primary", type: "button" }, icon("plus"), "Add the first device");
      add.addEventListener("click", () => void create());
      replace(
        body,
        ownerFilter
          ? emptyState({ title: "No devices for this owner", message: "Pick another owner or assign a device to them.", icon: "meter" })
          : emptyState({ title: "No devices yet", message: "Create a device for each smart meter, then assign it to a client.", icon: "meter", action: add }),
      );
      return;
    }
    const rows = page.items.map((d) => deviceRow(d, list, services, load));
    const table = h(
      "table",
      { class: "table", testid: "devices-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Device"), h("th", {}, "Address"), h("th", { class: "num" }, "Max kWh/h"), h("th", {}, "Owner"), h("th", {}, "Last reading"), h("th", {}, "Status"), h("th", { class: "actions-col" }, h("span", { class: "sr-only" }, "Actions")))),
      h("tbody", {}, rows),
    );
    replace(
      body,
      h("div", { class: "table-wrap" }, labelCells(table)),
      h("div", { class: "card-footer" }, pager({ offset, limit: config.pageSize, total: page.total, onChange: (o) => { offset = o; syncUrl(); void load(); } })),
    );
  };

  const create = async () => {
    const saved = await openDeviceForm(api, clients ?? []);
    if (saved) {
      toasts.success(`Device “${saved.description}” created.`);
      void load();
    }
  };

  newBtn.addEventListener("click", () => void create());
  const refilter = () => {
    offset = 0;
    syncUrl();
    void load();
  };
  filter.addEventListener("change", () => {
    ownerFilter = filter.value;
    refilter();
  });
  statusSel.addEventListener("change", () => {
    statusFilter = statusSel.value;
    refilter();
  });
  sortSel.addEventListener("change", () => {
    sort = sortSel.value;
    refilter();
  });
  let typing: number | undefined;
  searchBox.addEventListener("input", () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(() => {
      search = searchBox.value.trim();
      refilter();
    }, 250);
  });
  void load();
  return { element };
};

function deviceRow(device: FleetDevice, clients: User[], services: Services, reload: () => Promise<void>): HTMLElement {
  const { api, toasts } = services;
  const owner = h("select", { class: "control control-sm", testid: "owner-select", "aria-label": `Owner of ${device.description}`, value: device.owner_id ?? "" }, ownerOptions(clients, device.owner_id).map((o) => h("option", { value: o.value }, o.label)));
  owner.addEventListener("change", async () => {
    const next = owner.value || null;
    owner.disabled = true;
    try {
      const updated = await api.devices.update(device.id, { owner_id: next });
      device.owner_id = updated.owner_id;
      toasts.success(next ? `“${device.description}” assigned to ${ownerLabel(clients, next)}.` : `“${device.description}” is now unassigned.`);
    } catch (err) {
      owner.value = device.owner_id ?? "";
      toasts.error(`Could not change the owner: ${describeError(err)}`);
    } finally {
      owner.disabled = false;
    }
  });
  const edit = h("button", { class: "icon-button", type: "button", title: "Edit", "aria-label": `Edit ${device.description}`, testid: "device-edit" }, icon("edit"));
  edit.addEventListener("click", async () => {
    const saved = await openDeviceForm(api, clients, device);
    if (saved) {
      toasts.success(`Device “${saved.description}” saved.`);
      void reload();
    }
  });
  const del = h("button", { class: "icon-button icon-button-danger", type: "button", title: "Delete", "aria-label": `Delete ${device.description}`, testid: "device-delete" }, icon("trash"));
  del.addEventListener("click", async () => {
    const ok = await confirmDialog({
      title: "Delete device?",
      message: [h("strong", {}, device.description), ` at ${device.address} will be deleted and its meter will no longer be able to report. This cannot be undone.`],
      confirmLabel: "Delete device",
      danger: true,
    });
    if (!ok) return;
    try {
      await api.devices.remove(device.id);
      toasts.success(`Device “${device.description}” deleted.`);
      void reload();
    } catch (err) {
      toasts.error(`Could not delete the device: ${describeError(err)}`);
    }
  });
  const href = `#/admin/devices/${encodeURIComponent(device.id)}`;
  return h(
    "tr",
    { testid: "device-row", "data-device-id": device.id },
    h("td", {}, h("a", { class: "cell-title", href, testid: "device-link" }, device.description), h("div", { class: "cell-sub mono" }, device.id.slice(0, 8))),
    h("td", {}, device.address),
    h("td", { class: "num mono" }, formatKwh(device.max_hourly_kwh)),
    h("td", {}, owner),
    h("td", {}, whenCell(device.last_reading_at, services.timeZone)),
    h("td", {}, statusBadge(device.status)),
    h("td", { class: "actions-col" }, h("a", { class: "btn btn-ghost btn-sm", href, title: "Consumption" }, icon("chart"), "Usage"), edit, del),
  );
}
