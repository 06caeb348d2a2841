/** The route table: address, who may open it, title, page and layout. */

import { accountPage } from "./pages/account/account.ts";
import { adminAlertsPage } from "./pages/admin/alerts.ts";
import { adminAuditPage } from "./pages/admin/audit.ts";
import { adminChatPage } from "./pages/admin/chat.ts";
import { adminDeadLettersPage } from "./pages/admin/deadletters.ts";
import { adminDeviceDetailPage } from "./pages/admin/device-detail.ts";
import { adminDevicesPage } from "./pages/admin/devices.ts";
import { adminOverviewPage } from "./pages/admin/overview.ts";
import { adminUsersPage } from "./pages/admin/users.ts";
import { alertsPage } from "./pages/client/alerts.ts";
import { dashboardPage } from "./pages/client/dashboard.ts";
import { loginPage } from "./pages/login.ts";
import { notFoundPage } from "./pages/not-found.ts";
import type { PageMeta } from "./pages/page.ts";
import type { RouteDef } from "./router.ts";

export const ROUTES: RouteDef<PageMeta>[] = [
  { pattern: "/login", access: "guest", title: "Sign in", page: { page: loginPage, layout: "bare" } },
  { pattern: "/admin/devices", access: "admin", title: "Devices", page: { page: adminDevicesPage, layout: "shell", nav: "devices" } },
  { pattern: "/admin/devices/:id", access: "admin", title: "Device", page: { page: adminDeviceDetailPage, layout: "shell", nav: "devices" } },
  { pattern: "/admin/users", access: "admin", title: "Users", page: { page: adminUsersPage, layout: "shell", nav: "users" } },
  { pattern: "/admin/overview", access: "admin", title: "Overview", page: { page: adminOverviewPage, layout: "shell", nav: "overview" } },
  { pattern: "/admin/alerts", access: "admin", title: "Alerts", page: { page: adminAlertsPage, layout: "shell", nav: "admin-alerts" } },
  { pattern: "/admin/deadletters", access: "admin", title: "Dead letters", page: { page: adminDeadLettersPage, layout: "shell", nav: "deadletters" } },
  { pattern: "/admin/audit", access: "admin", title: "Audit trail", page: { page: adminAuditPage, layout: "shell", nav: "audit" } },
  { pattern: "/admin/chat", access: "admin", title: "Support", page: { page: adminChatPage, layout: "shell", nav: "chat" } },
  { pattern: "/dashboard", access: "client", title: "My energy", page: { page: dashboardPage, layout: "shell", nav: "dashboard" } },
  { pattern: "/dashboard/:deviceId", access: "client", title: "My energy", page: { page: dashboardPage, layout: "shell", nav: "dashboard" } },
  { pattern: "/account", access: "signed-in", title: "My account", page: { page: accountPage, layout: "shell", nav: "account" } },
  { pattern: "/alerts", access: "client", title: "Alerts", page: { page: alertsPage, layout: "shell", nav: "alerts" } },
];

export const NOT_FOUND: RouteDef<PageMeta> = {
  pattern: "*",
  access: "signed-in",
  title: "Not found",
  page: { page: notFoundPage, layout: "shell" },
};
