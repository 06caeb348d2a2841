/** The app shell: header with brand, role navigation, the user's name and logout; main outlet. */

import type { Role, User } from "../api/types.ts";
import { h, icon, replace, type IconName } from "./dom.ts";
import { autoCardTables } from "./table.ts";

export interface NavItem {
  key: string;
  label: string;
  href: string;
  icon: IconName;
}

/** Navigation per role; later features (alerts, support chat) add their entries here. */
export const NAV_BY_ROLE: Record<Role, NavItem[]> = {
  admin: [
    { key: "overview", label: "Overview", href: "#/admin/overview", icon: "chart" },
    { key: "devices", label: "Devices", href: "#/admin/devices", icon: "meter" },
    { key: "users", label: "Users", href: "#/admin/users", icon: "users" },
    { key: "admin-alerts", label: "Alerts", href: "#/admin/alerts", icon: "bell" },
    { key: "deadletters", label: "Dead letters", href: "#/admin/deadletters", icon: "warning" },
    { key: "audit", label: "Audit", href: "#/admin/audit", icon: "edit" },
    { key: "chat", label: "Support", href: "#/admin/chat", icon: "info" },
  ],
  client: [
    { key: "dashboard", label: "My energy", href: "#/dashboard", icon: "chart" },
    { key: "alerts", label: "Alerts", href: "#/alerts", icon: "bell" },
  ],
};

export interface Shell {
  root: HTMLElement;
  outlet: HTMLElement;
  /** Slot on the right of the header for later widgets (alerts bell, chat badge). */
  actions: HTMLElement;
  setUser: (user: User) => void;
  setActive: (navKey: string | undefined) => void;
  /** A count on a navigation entry (unread alerts); 0 hides it. Survives `setUser`. */
  setBadge: (navKey: string, count: number) => void;
}

/** "3", or "99+" past 99. */
export function badgeText(count: number): string {
  return count > 99 ? "99+" : String(count);
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0]?.[0], parts[parts.length - 1]?.[0]] : [parts[0]?.[0], parts[0]?.[1]];
  return letters.filter(Boolean).join("").toUpperCase() || "?";
}

export function createShell(appName: string, onLogout: () => void): Shell {
  const nav = h("nav", { class: "app-nav", "aria-label": "Main" });
  const actions = h("div", { class: "header-actions" });
  // The name opens "My account" (password change); the link is named for screen readers too.
  const userBox = h("a", { class: "user-box", href: "#/account", testid: "account-link", "aria-label": "My account" });
  const logout = h("button", { class: "btn btn-ghost", type: "button", testid: "logout-button" }, icon("logout"), h("span", {}, "Sign out"));
  logout.addEventListener("click", onLogout);
  const header = h(
    "header",
    { class: "app-header", testid: "app-header" },
    h("a", { class: "brand", href: "#/" }, h("span", { class: "brand-mark" }, icon("bolt")), h("span", { class: "brand-name" }, appName)),
    nav,
    h("div", { class: "header-spacer" }),
    actions,
    userBox,
    logout,
  );
  const outlet = h("main", { class: "app-main", id: "main" });
  autoCardTables(outlet); // tables become labelled cards under 640 px
  const root = h("div", { class: "app-shell" }, h("a", { class: "skip-link", href: "#main" }, "Skip to content"), header, outlet);
  let navItems: NavItem[] = [];
  const badges = new Map<string, number>();

  const renderBadge = (link: HTMLElement) => {
    const key = link.dataset.key ?? "";
    const count = badges.get(key) ?? 0;
    let badge = link.querySelector<HTMLElement>(".nav-badge");
    if (count <= 0) {
      badge?.remove();
      link.removeAttribute("aria-description");
      return;
    }
    if (!badge) {
      badge = h("span", { class: "nav-badge", testid: `nav-${key}-badge` });
      link.appendChild(badge);
    }
    badge.textContent = badgeText(count);
    link.setAttribute("aria-description", `${count} unread`);
  };

  const setUser = (user: User) => {
    navItems = NAV_BY_ROLE[user.role];
    replace(
      nav,
      navItems.map((item) =>
        h("a", { class: "nav-link", href: item.href, testid: `nav-${item.key}`, "data-key": item.key }, icon(item.icon), h("span", { class: "nav-label" }, item.label)),
      ),
    );
    for (const link of nav.querySelectorAll<HTMLElement>(".nav-link")) renderBadge(link);
    replace(
      userBox,
      h("span", { class: "avatar", "aria-hidden": "true" }, initials(user.name)),
      h(
        "span",
        { class: "user-meta" },
        h("span", { class: "user-name", testid: "user-name" }, user.name),
        h("span", { class: "user-role", testid: "user-role" }, user.role === "admin" ? "Administrator" : "Client"),
      ),
    );
  };

  const setActive = (navKey: string | undefined) => {
    userBox.classList.toggle("active", navKey === "account");
    if (navKey === "account") userBox.setAttribute("aria-current", "page");
    else userBox.removeAttribute("aria-current");
    for (const link of nav.querySelectorAll<HTMLAnchorElement>(".nav-link")) {
      const active = link.dataset.key === navKey;
      link.classList.toggle("active", active);
      if (active) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  };

  const setBadge = (navKey: string, count: number) => {
    badges.set(navKey, count);
    const link = nav.querySelector<HTMLElement>(`.nav-link[data-key="${navKey}"]`);
    if (link) renderBadge(link);
  };

  return { root, outlet, actions, setUser, setActive, setBadge };
}

/** A page's title row: heading, optional subtitle, actions on the right. */
export function pageHeader(title: string, subtitle?: string, ...actions: HTMLElement[]): HTMLElement {
  return h(
    "div",
    { class: "page-header" },
    h("div", {}, h("h1", { testid: "page-title" }, title), subtitle ? h("p", { class: "muted" }, subtitle) : null),
    actions.length ? h("div", { class: "page-actions" }, actions) : null,
  );
}
