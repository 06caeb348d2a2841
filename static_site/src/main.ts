/** Entry point: wires config, session, API client, router and app shell together. */

import "./style.css";
import { createApi } from "./api/index.ts";
import { HttpClient } from "./api/http.ts";
import { App } from "./app.ts";
import { startChatHub } from "./chat/hub.ts";
import { MemoryStorage, Session, type SessionStorage } from "./auth.ts";
import { config } from "./config.ts";
import { browserTimeZone } from "./consumption/dates.ts";
import type { PageMeta } from "./pages/page.ts";
import { LOGIN_HASH, loginHashFor, Router } from "./router.ts";
import { AdminLive } from "./console/admin-live.ts";
import { showSilenceToast } from "./console/silence-toast.ts";
import { browserConnectionEnv } from "./realtime/connection.ts";
import { browserPeers, LiveUpdates } from "./realtime/live.ts";
import { NOT_FOUND, ROUTES } from "./routes.ts";
import type { Services } from "./services.ts";
import { showAlertSummary, showAlertToast, showClearedAlert, showMissedAlertsToast } from "./ui/alert-toast.ts";
import { liveStatus } from "./ui/live-status.ts";
import { Toasts } from "./ui/toast.ts";
import { loadingState } from "./ui/states.ts";

function pickStorage(): SessionStorage {
  try {
    window.localStorage.setItem("__probe", "1");
    window.localStorage.removeItem("__probe");
    return window.localStorage;
  } catch {
    return new MemoryStorage();
  }
}

const root = document.querySelector<HTMLElement>("#app");
if (!root) throw new Error("index.html has no #app element");

const session = new Session(pickStorage(), config.sessionStorageKey);
let flashMessage: string | null = null;
const flash = {
  set: (message: string) => void (flashMessage = message),
  take: () => {
    const m = flashMessage;
    flashMessage = null;
    return m;
  },
};
const toasts = new Toasts(document.body);

// `router` is created below; the callbacks only run after start().
let router: Router<PageMeta>;
const http = new HttpClient({
  baseUrl: config.apiBaseUrl,
  session,
  fetch: (input, init) => window.fetch(input, init),
  refreshSkewMs: config.refreshSkewMs,
  onSessionExpired: () => {
    flash.set("Your session expired. Please sign in again.");
    router.navigate(loginHashFor(window.location.hash), { replace: true });
  },
});

const api = createApi(http);
// Live updates (alerts, consumption) are for clients only: administrators own no devices, so no
// connection is opened for them at all.
const live = new LiveUpdates({ api, env: browserConnectionEnv(), peers: browserPeers("energy-utility.alerts") });

// Administrators get silent-meter pushes of every client on their own connection.
const adminLive = new AdminLive(api, browserConnectionEnv(), (change, episode) =>
  showSilenceToast(toasts, change, episode, services.timeZone, `#/admin/alerts?device=${encodeURIComponent(episode.device_id)}`),
);

const services: Services = {
  config,
  api,
  session,
  toasts,
  live,
  timeZone: browserTimeZone(),
  navigate: (hash, opts) => router.navigate(hash, opts),
  replaceUrl: (hash) => router.replaceUrl(hash),
  flash,
};

const statusPill = liveStatus((fn) => live.onState(fn));
const app = new App(
  root,
  services,
  () => {
    // End the session on the server too (its refresh token stops working); never wait for it.
    const token = session.current?.accessToken;
    if (token) {
      void fetch(`${config.apiBaseUrl}/auth/logout`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
        keepalive: true,
      }).catch(() => undefined);
    }
    session.clear();
    toasts.clear();
    toasts.info("You have signed out.");
    router.navigate(LOGIN_HASH, { replace: true });
  },
  { headerWidgets: (user) => (user.role === "client" ? [statusPill] : []) },
);

// Support chat (both roles): the client's launcher, the administrators' "Support" badge.
startChatHub({
  session,
  refresh: (stale) => http.refresh(stale),
  refreshSkewMs: config.refreshSkewMs,
  onUnread: (count) => app.setNavBadge("chat", count),
});

live.onUnread((count) => {
  app.setNavBadge("alerts", count);
  app.setTitleCount(count);
});
live.onEvent((event) => {
  if (event.type === "alert") showAlertToast(toasts, event.notice, services.timeZone);
  else if (event.type === "alerts-missed") showMissedAlertsToast(toasts, event.notices, services.timeZone, event.total);
  else if (event.type === "alert-cleared") showClearedAlert(toasts, event.notice, services.timeZone);
  else if (event.type === "alerts-summary") showAlertSummary(toasts, event.summary, services.timeZone);
  else if (event.type === "meter") showSilenceToast(toasts, event.change, event.episode, services.timeZone, `#/dashboard/${encodeURIComponent(event.episode.device_id)}`);
});

/** Connect for a signed-in client, disconnect on sign-out or for an administrator. */
function followSession(): void {
  const user = session.user;
  if (user?.role === "client") live.start(user.id);
  else live.stop();
  if (user?.role === "admin") adminLive.start(user.id);
  else adminLive.stop();
}
session.subscribe(() => followSession());

router = new Router<PageMeta>({
  routes: ROUTES,
  notFound: NOT_FOUND,
  currentUser: () => session.user,
  onRoute: (match) => app.show(match),
  onNotice: (message) => toasts.warning(message),
});

// Another tab signed in or out: follow it.
window.addEventListener("storage", (ev) => {
  if (ev.key === config.sessionStorageKey && session.reload()) router.resolve();
});

async function start(): Promise<void> {
  if (session.current) {
    root?.replaceChildren(loadingState("Loading…", "app-loading"));
    try {
      session.updateUser(await services.api.auth.me()); // also renews an expired access token
    } catch {
      // expired: onSessionExpired already redirected; offline: continue with the stored user
    }
  }
  router.start();
  followSession();
}

void start();
