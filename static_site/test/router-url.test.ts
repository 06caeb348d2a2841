import { afterEach, describe, expect, it } from "vitest";
import { Router, type RouteDef } from "../src/router.ts";

/** Just enough of `window` for the Router: a hash, replaceState and `hashchange`. */
function fakeWindow(initial: string) {
  const listeners: (() => void)[] = [];
  const win = {
    location: { hash: initial },
    history: { replaceState: (_s: unknown, _t: string, url: string) => void (win.location.hash = url) },
    addEventListener: (_event: string, fn: () => void) => void listeners.push(fn),
    /** The user follows a link: the URL changes now, `hashchange` is dispatched later. */
    follow(hash: string) {
      win.location.hash = hash;
    },
    dispatchHashChange() {
      for (const fn of listeners) fn();
    },
  };
  (globalThis as { window?: unknown }).window = win;
  return win;
}

afterEach(() => {
  delete (globalThis as { window?: unknown }).window;
});

const routes: RouteDef<string>[] = [
  { pattern: "/dashboard", access: "client", title: "My energy", page: "dashboard" },
  { pattern: "/dashboard/:deviceId", access: "client", title: "My energy", page: "dashboard" },
  { pattern: "/alerts", access: "client", title: "Alerts", page: "alerts" },
];

function router(shown: string[]) {
  return new Router<string>({
    routes,
    notFound: { pattern: "*", access: "signed-in", title: "Not found", page: "404" },
    currentUser: () => ({ id: "u", username: "u", name: "U", role: "client" }),
    onRoute: (m) => shown.push(m.route.page),
    onNotice: () => undefined,
  });
}

describe("Router.replaceUrl", () => {
  it("lets the page on screen rewrite its own address", () => {
    const win = fakeWindow("#/dashboard");
    const shown: string[] = [];
    const r = router(shown);
    r.start();
    r.replaceUrl("#/dashboard/d1?date=2026-11-27");
    expect(win.location.hash).toBe("#/dashboard/d1?date=2026-11-27");
    r.replaceUrl("#/dashboard/d1?date=2026-11-26");
    expect(win.location.hash).toBe("#/dashboard/d1?date=2026-11-26");
    expect(shown).toEqual(["dashboard"]);
  });

  it("never overwrites a navigation whose hashchange is still pending (late page callback)", () => {
    const win = fakeWindow("#/dashboard");
    const shown: string[] = [];
    const r = router(shown);
    r.start();
    win.follow("#/alerts"); // the user clicks "Alerts" while the dashboard still loads
    r.replaceUrl("#/dashboard/d1"); // the dashboard's devices arrive and it picks the first
    expect(win.location.hash).toBe("#/alerts");
    win.dispatchHashChange();
    expect(shown).toEqual(["dashboard", "alerts"]);
  });
});
