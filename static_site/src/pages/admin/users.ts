/** Admin: accounts list with role filter, create, edit and delete (devices become unowned). */

import { describeError } from "../../api/errors.ts";
import type { Role, UserWithCount } from "../../api/types.ts";
import { confirmDialog } from "../../ui/dialog.ts";
import { h, icon, replace } from "../../ui/dom.ts";
import { pageHeader } from "../../ui/layout.ts";
import { pager } from "../../ui/pager.ts";
import { labelCells } from "../../ui/table.ts";
import { emptyState, errorState, loadingState } from "../../ui/states.ts";
import type { Page } from "../page.ts";
import { openUserForm } from "./user-form.ts";

type RoleFilter = Role | "";

const FILTERS: { value: RoleFilter; label: string }[] = [
  { value: "", label: "All" },
  { value: "client", label: "Clients" },
  { value: "admin", label: "Administrators" },
];

export function unownedMessage(count: number): string {
  return count === 1 ? "1 device is now unowned." : `${count} devices are now unowned.`;
}

export const adminUsersPage: Page = ({ services, query, signal }) => {
  const { api, toasts, config, session } = services;
  let offset = Math.max(0, Number(query.get("offset")) || 0);
  const initialRole = query.get("role");
  let role: RoleFilter = initialRole === "admin" || initialRole === "client" ? initialRole : "";
  let search = query.get("q") ?? "";
  let sort = query.get("sort") ?? "username";
  const searchBox = h("input", { class: "control control-sm", type: "search", testid: "user-search", placeholder: "Search name or username", "aria-label": "Search accounts", value: search });
  const sortSel = h(
    "select",
    { class: "control control-sm", testid: "user-sort", "aria-label": "Sort accounts" },
    [["username", "Username A–Z"], ["name", "Name A–Z"], ["-devices", "Most devices first"], ["devices", "Fewest devices first"]].map(([v, t]) => h("option", { value: v }, t)),
  );
  sortSel.value = sort;

  const newBtn = h("button", { class: "btn btn-primary", type: "button", testid: "new-user-button" }, icon("plus"), "New account");
  const tabs = h("div", { class: "segmented", role: "tablist", "aria-label": "Filter by role" });
  const body = h("div", { class: "card card-flush" });
  const element = h("div", { class: "page", testid: "admin-users-page" }, pageHeader("Users", "Client and administrator accounts.", newBtn), h("div", { class: "toolbar" }, tabs, searchBox, sortSel), body);

  const syncUrl = () => {
    const q = new URLSearchParams();
    if (role) q.set("role", role);
    if (search) q.set("q", search);
    if (sort !== "username") q.set("sort", sort);
    if (offset) q.set("offset", String(offset));
    const qs = q.toString();
    services.replaceUrl(`#/admin/users${qs ? `?${qs}` : ""}`);
  };

  const renderTabs = () => {
    replace(
      tabs,
      FILTERS.map((f) => {
        const b = h("button", { class: `segment${f.value === role ? " active" : ""}`, type: "button", role: "tab", "aria-selected": String(f.value === role), testid: `role-filter-${f.value || "all"}` }, f.label);
        b.addEventListener("click", () => {
          role = f.value;
          offset = 0;
          syncUrl();
          renderTabs();
          void load();
        });
        return b;
      }),
    );
  };

  const load = async () => {
    replace(body, loadingState("Loading accounts…"));
    try {
      const page = await api.users.list({ limit: config.pageSize, offset, role: role || undefined, q: search || undefined, sort });
      if (signal.aborted) return;
      if (page.items.length === 0 && offset > 0 && page.total > 0) {
        offset = Math.max(0, Math.floor((page.total - 1) / config.pageSize) * config.pageSize);
        return load();
      }
      if (page.total === 0) {
        const message = search ? "Change the search." : "Create an account with “New account”.";
        replace(body, emptyState({ title: "No accounts here", message, icon: "users" }));
        return;
      }
      replace(
        body,
        h(
          "div",
          { class: "table-wrap" },
          labelCells(
            h(
              "table",
              { class: "table", testid: "users-table" },
              h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Username"), h("th", {}, "Role"), h("th", { class: "num" }, "Devices"), h("th", { class: "actions-col" }, h("span", { class: "sr-only" }, "Actions")))),
              h("tbody", {}, page.items.map((u) => userRow(u))),
            ),
          ),
        ),
        h("div", { class: "card-footer" }, pager({ offset, limit: config.pageSize, total: page.total, onChange: (o) => { offset = o; syncUrl(); void load(); } })),
      );
    } catch (err) {
      if (!signal.aborted) replace(body, errorState(err, () => void load()));
    }
  };

  const userRow = (user: UserWithCount): HTMLElement => {
    const isSelf = session.user?.id === user.id;
    const edit = h("button", { class: "icon-button", type: "button", title: "Edit", "aria-label": `Edit ${user.name}`, testid: "user-edit" }, icon("edit"));
    const del = h("button", { class: "icon-button icon-button-danger", type: "button", title: isSelf ? "You cannot delete your own account" : "Delete", "aria-label": `Delete ${user.name}`, testid: "user-delete", disabled: isSelf }, icon("trash"));
    edit.addEventListener("click", async () => {
      const saved = await openUserForm(api, user);
      if (saved) {
        if (isSelf) session.updateUser(saved);
        toasts.success(`Account “${saved.username}” saved.`);
        void load();
      }
    });
    del.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Delete account?",
        message: [h("strong", {}, `${user.name} (${user.username})`), " will no longer be able to sign in. Devices they own stay, but become unowned. This cannot be undone."],
        confirmLabel: "Delete account",
        danger: true,
      });
      if (!ok) return;
      try {
        const res = await api.users.remove(user.id);
        const unowned = res?.unassigned_device_ids?.length ?? 0;
        toasts.success(`Account “${user.username}” deleted.${unowned ? ` ${unownedMessage(unowned)}` : ""}`);
        void load();
      } catch (err) {
        toasts.error(`Could not delete the account: ${describeError(err)}`);
      }
    });
    return h(
      "tr",
      { testid: "user-row", "data-user-id": user.id, "data-username": user.username },
      h("td", {}, h("span", { class: "cell-title" }, user.name), isSelf ? h("span", { class: "badge badge-neutral" }, "You") : null),
      h("td", { class: "mono" }, user.username),
      h("td", {}, h("span", { class: `badge ${user.role === "admin" ? "badge-admin" : "badge-client"}` }, user.role === "admin" ? "Administrator" : "Client")),
      h(
        "td",
        { class: "num", testid: "user-device-count" },
        user.device_count && user.role === "client" ? h("a", { href: `#/admin/devices?owner=${encodeURIComponent(user.id)}` }, String(user.device_count)) : String(user.device_count),
      ),
      h("td", { class: "actions-col" }, edit, del),
    );
  };

  newBtn.addEventListener("click", async () => {
    const saved = await openUserForm(api, undefined, role === "admin" ? "admin" : "client");
    if (saved) {
      toasts.success(`Account “${saved.username}” created.`);
      void load();
    }
  });
  sortSel.addEventListener("change", () => {
    sort = sortSel.value;
    offset = 0;
    syncUrl();
    void load();
  });
  let typing: number | undefined;
  searchBox.addEventListener("input", () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(() => {
      search = searchBox.value.trim();
      offset = 0;
      syncUrl();
      void load();
    }, 250);
  });
  renderTabs();
  void load();
  return { element };
};
