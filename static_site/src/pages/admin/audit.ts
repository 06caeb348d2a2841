/** Admin: the audit trail — who changed what, when, before → after — with filters. */

import type { AuditEntry, AuditQuery } from "../../api/console.ts";
import { auditChanges } from "../../console/format.ts";
import { whenCell } from "../../console/widgets.ts";
import { h, replace } from "../../ui/dom.ts";
import { pageHeader } from "../../ui/layout.ts";
import { pager } from "../../ui/pager.ts";
import { emptyState, errorState, loadingState } from "../../ui/states.ts";
import { cardTable } from "../../ui/table.ts";
import type { Page } from "../page.ts";

const ENTITY_TYPES = [
  ["", "Everything"],
  ["user", "Users"],
  ["device", "Devices"],
  ["tariff", "Tariffs"],
  ["deadletter", "Dead letters"],
] as const;

export const adminAuditPage: Page = ({ services, query, signal }) => {
  const { api, config, timeZone } = services;
  let offset = 0;
  const entityType = h("select", { class: "control control-sm", testid: "audit-entity-filter", "aria-label": "What changed" }, ENTITY_TYPES.map(([v, t]) => h("option", { value: v }, t)));
  entityType.value = query.get("entity_type") ?? "";
  const entityId = query.get("entity_id") ?? "";
  const since = h("input", { class: "control control-sm", type: "date", testid: "audit-since", "aria-label": "From (UTC day)" });
  const until = h("input", { class: "control control-sm", type: "date", testid: "audit-until", "aria-label": "Until (UTC day, inclusive)" });
  const actor = h("select", { class: "control control-sm", testid: "audit-actor-filter", "aria-label": "Who" }, h("option", { value: "" }, "Anyone"));
  const body = h("div", { class: "card card-flush" });
  const element = h(
    "div",
    { class: "page", testid: "admin-audit-page" },
    pageHeader("Audit trail", "Every administrative change: who, when, and the values before and after. Secrets are never recorded."),
    h(
      "div",
      { class: "toolbar" },
      entityType,
      actor,
      h("label", { class: "toolbar-label" }, "From", since),
      h("label", { class: "toolbar-label" }, "Until", until),
      entityId ? h("span", { class: "badge badge-info", testid: "audit-entity-id" }, `Only ${entityId.slice(0, 8)}`) : null,
    ),
    body,
  );

  const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();

  const load = async () => {
    replace(body, loadingState("Loading the audit trail…"));
    try {
      const wanted: AuditQuery = {
        limit: config.pageSize,
        offset,
        entity_type: entityType.value || undefined,
        entity_id: entityId || undefined,
        actor_id: actor.value || undefined,
        since: since.value ? `${since.value}T00:00:00Z` : undefined,
        until: until.value ? nextDay(until.value) : undefined,
      };
      const page = await api.console.audit(wanted, signal);
      if (signal.aborted) return;
      if (page.total === 0) {
        replace(body, emptyState({ title: "No changes recorded", message: "Nothing matches these filters.", icon: "empty", testid: "audit-empty" }));
        return;
      }
      const columns = [{ label: "When" }, { label: "Who" }, { label: "Action" }, { label: "Changes" }];
      replace(
        body,
        cardTable("audit-table", columns, page.items.map((e) => auditRow(e, timeZone))),
        h("div", { class: "card-footer" }, pager({ offset, limit: config.pageSize, total: page.total, onChange: (o) => { offset = o; void load(); } })),
      );
    } catch (err) {
      if (!signal.aborted) replace(body, errorState(err, () => void load()));
    }
  };

  const loadAdmins = async () => {
    try {
      const admins = await api.users.listAll("admin");
      if (signal.aborted) return;
      replace(actor, h("option", { value: "" }, "Anyone"), admins.map((a) => h("option", { value: a.id }, a.name)));
    } catch {
      /* "Anyone" stays the only choice */
    }
  };

  for (const control of [entityType, actor, since, until]) {
    control.addEventListener("change", () => {
      offset = 0;
      void load();
    });
  }
  void loadAdmins();
  void load();
  return { element };
};

function auditRow(entry: AuditEntry, timeZone: string): HTMLElement {
  const changes = auditChanges(entry.before, entry.after);
  const list = changes.length
    ? h(
        "ul",
        { class: "change-list" },
        changes.map((c) => h("li", {}, h("span", { class: "mono" }, c.field), ": ", h("span", { class: "muted" }, c.before), " → ", h("strong", {}, c.after))),
      )
    : h("span", { class: "muted" }, "no field changed");
  const entity = `${entry.entity_type}${entry.entity_id ? ` ${entry.entity_id.slice(0, 8)}` : ""}`;
  return h(
    "tr",
    { testid: "audit-row", "data-action": entry.action },
    h("td", {}, whenCell(entry.at, timeZone)),
    h("td", {}, entry.actor_username),
    h("td", {}, h("span", { class: "cell-title" }, entry.action), h("div", { class: "cell-sub mono" }, entity)),
    h("td", {}, list),
  );
}
