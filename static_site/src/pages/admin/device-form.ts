/** Create/edit device dialog; after a create, the meter's key is shown once. */

import type { Api } from "../../api/index.ts";
import type { Device, DeviceCreate, User } from "../../api/types.ts";
import { openDialog, showSecretOnce } from "../../ui/dialog.ts";
import { optionSearch } from "../../ui/option-search.ts";
import { h } from "../../ui/dom.ts";
import { field, FormState, required, type SelectOption } from "../../ui/form.ts";

export function ownerOptions(clients: User[], current: string | null = null): SelectOption[] {
  const options = [{ value: "", label: "— Unassigned —" }, ...clients.map((c) => ({ value: c.id, label: `${c.name} (${c.username})` }))];
  if (current && !clients.some((c) => c.id === current)) options.push({ value: current, label: "Unknown user" });
  return options;
}

export function ownerLabel(clients: User[], ownerId: string | null): string {
  if (!ownerId) return "Unassigned";
  const owner = clients.find((c) => c.id === ownerId);
  return owner ? owner.name : "Unknown user";
}

function checkMax(raw: string): string | undefined {
  if (raw === "") return "Maximum hourly consumption is required.";
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) return "Enter a positive number of kWh, e.g. 2.5.";
  return undefined;
}

/** Open the form; resolves with the saved device, or null when cancelled. */
export function openDeviceForm(api: Api, clients: User[], device?: Device): Promise<Device | null> {
  const editing = device !== undefined;
  const description = field({ name: "description", label: "Description", required: true, value: device?.description, placeholder: "e.g. Main meter, kitchen", testid: "device-description" });
  const address = field({ name: "address", label: "Address", required: true, value: device?.address, placeholder: "Street, number, city", testid: "device-address" });
  const max = field({
    name: "max_hourly_kwh",
    label: "Maximum hourly consumption (kWh)",
    type: "number",
    required: true,
    min: "0",
    step: "any",
    value: device ? String(device.max_hourly_kwh) : undefined,
    hint: "Hours above this are flagged and alert the owner.",
    testid: "device-max",
  });
  const owner = field({ name: "owner_id", label: "Owner", type: "select", options: ownerOptions(clients, device?.owner_id ?? null), value: device?.owner_id ?? "", testid: "device-owner" });
  const submit = h("button", { class: "btn btn-primary", type: "submit", testid: "device-form-submit" }, editing ? "Save changes" : "Create device");
  const cancel = h("button", { class: "btn btn-secondary", type: "button" }, "Cancel");
  const form = new FormState([description, address, max, owner], submit);
  const ownerSelect = owner.root.querySelector("select");
  const ownerFind = ownerSelect ? optionSearch(ownerSelect, "Find an owner", "device-owner-search") : null;
  const formEl = h("form", { class: "form", testid: "device-form", novalidate: true }, form.banner, description.root, address.root, max.root, ownerFind, owner.root, h("div", { class: "form-actions" }, cancel, submit));
  const dlg = openDialog({ title: editing ? "Edit device" : "New device", body: formEl, testid: "device-dialog" });
  cancel.addEventListener("click", dlg.close);
  let saved: Device | null = null;
  let showingKey = false;
  let resolveDone: (d: Device | null) => void = () => undefined;
  const done = new Promise<Device | null>((resolve) => (resolveDone = resolve));
  void dlg.closed.then(() => {
    if (!showingKey) resolveDone(saved);
  });

  formEl.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    form.clearErrors();
    const body: DeviceCreate = {
      description: form.value("description"),
      address: form.value("address"),
      max_hourly_kwh: Number(form.value("max_hourly_kwh")),
      owner_id: form.value("owner_id") || null,
    };
    const ok = form.check({
      description: required(body.description, "Description"),
      address: required(body.address, "Address"),
      max_hourly_kwh: checkMax(form.value("max_hourly_kwh")),
    });
    if (!ok) return;
    form.setBusy(true);
    try {
      if (editing) {
        saved = await api.devices.update(device.id, body);
        dlg.close();
      } else {
        const created = await api.devices.create(body);
        const { device_key: key, ...rest } = created;
        saved = rest;
        showingKey = true;
        dlg.close();
        await showSecretOnce({
          title: "Device created — store its key",
          intro: [h("strong", {}, rest.description), " was created. Its meter authenticates with this key:"],
          secret: key,
        });
        resolveDone(saved);
      }
    } catch (err) {
      form.showError(err);
      form.setBusy(false);
    }
  });
  queueMicrotask(() => description.control.focus());
  // After a create the caller waits until the key dialog has been dismissed.
  return done;
}
