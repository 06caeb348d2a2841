/** Admin: a device's tariff history, assigning a tariff from a date, and a quick flat tariff. */

import type { DevicesApi } from "../../api/devices.ts";
import { describeError } from "../../api/errors.ts";
import type { Tariff, TariffAssignment } from "../../api/types.ts";
import { todayIn } from "../../consumption/dates.ts";
import { h, replace } from "../../ui/dom.ts";

const CURRENCIES = ["EUR", "RON", "USD", "GBP", "CHF", "PLN", "HUF", "CZK", "SEK", "NOK", "DKK", "BGN", "CAD", "AUD"];

export interface TariffPanelOptions {
  api: DevicesApi;
  deviceId: string;
  timeZone: string;
  onChanged: () => void;
  toast: { success: (m: string) => void; error: (m: string) => void };
}

export function createTariffPanel(opts: TariffPanelOptions): HTMLElement {
  const { api, deviceId } = opts;
  const history = h("ul", { class: "tariff-history", testid: "tariff-history" });
  const select = h("select", { class: "control", testid: "tariff-select", "aria-label": "Tariff" });
  const from = h("input", { class: "control", type: "date", testid: "tariff-from", "aria-label": "Billed from", value: todayIn(opts.timeZone) });
  const assign = h("button", { class: "btn btn-primary", type: "button", testid: "tariff-assign" }, "Assign");
  const name = h("input", { class: "control", testid: "new-tariff-name", placeholder: "Name", "aria-label": "New tariff name" });
  const currency = h("select", { class: "control", testid: "new-tariff-currency", "aria-label": "Currency" }, CURRENCIES.map((c) => h("option", { value: c }, c)));
  const price = h("input", { class: "control", testid: "new-tariff-price", inputmode: "decimal", placeholder: "Price per kWh, e.g. 0.25", "aria-label": "Price per kWh" });
  const create = h("button", { class: "btn btn-secondary", type: "button", testid: "new-tariff-create" }, "Create flat tariff");

  const fill = (tariffs: Tariff[], items: TariffAssignment[]) => {
    replace(select, tariffs.map((t) => h("option", { value: t.id }, `${t.name} (${t.currency}, ${t.kind === "flat" ? `${t.bands[0]?.price_per_kwh ?? "?"}/kWh` : "time of use"})`)));
    assign.disabled = tariffs.length === 0;
    replace(
      history,
      items.length === 0
        ? h("li", { class: "muted" }, "No tariff: consumption is shown without cost.")
        : items.map((a) => h("li", { testid: "tariff-history-item" }, h("strong", {}, a.tariff_name), ` (${a.currency}) from ${new Date(a.effective_from).toLocaleString(undefined, { timeZone: opts.timeZone })}`)),
    );
  };

  const load = async () => {
    try {
      const [tariffs, items] = await Promise.all([api.tariffs(), api.tariffHistory(deviceId)]);
      fill(tariffs.items, items.items);
    } catch (err) {
      opts.toast.error(`Could not load tariffs: ${describeError(err)}`);
    }
  };

  assign.addEventListener("click", async () => {
    if (!select.value || !from.value) return;
    assign.disabled = true;
    try {
      await api.assignTariff(deviceId, select.value, from.value);
      opts.toast.success("Tariff assigned.");
      await load();
      opts.onChanged();
    } catch (err) {
      opts.toast.error(`Could not assign the tariff: ${describeError(err)}`);
    } finally {
      assign.disabled = false;
    }
  });
  create.addEventListener("click", async () => {
    create.disabled = true;
    try {
      const tariff = await api.createFlatTariff({ name: name.value.trim(), currency: currency.value, tz: opts.timeZone, valid_from: "2000-01-01", price_per_kwh: price.value.trim() });
      opts.toast.success(`Tariff “${tariff.name}” created.`);
      name.value = "";
      price.value = "";
      await load();
      select.value = tariff.id;
    } catch (err) {
      opts.toast.error(`Could not create the tariff: ${describeError(err)}`);
    } finally {
      create.disabled = false;
    }
  });

  void load();
  return h(
    "div",
    { class: "card tariff-panel", testid: "tariff-panel" },
    h("div", { class: "card-header" }, h("h3", {}, "Tariff")),
    history,
    h("div", { class: "tariff-row" }, select, h("label", { class: "tariff-from" }, "from ", from), assign),
    h("details", { class: "tariff-new" }, h("summary", {}, "New flat tariff"), h("div", { class: "tariff-row" }, name, currency, price, create)),
  );
}
