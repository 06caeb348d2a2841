import { describe, expect, it } from "vitest";
import { decide, homeFor, loginHashFor, matchRoute, NOT_ALLOWED_NOTICE, parseHash, safeNext, type RouteDef } from "../src/router.ts";

const admin = { role: "admin" as const };
const client = { role: "client" as const };

const routes: RouteDef<string>[] = [
  { pattern: "/login", access: "guest", title: "Sign in", page: "login" },
  { pattern: "/admin/devices", access: "admin", title: "Devices", page: "devices" },
  { pattern: "/admin/devices/:id", access: "admin", title: "Device", page: "device" },
  { pattern: "/dashboard/:deviceId", access: "client", title: "My energy", page: "dashboard" },
];

describe("guards", () => {
  it("sends a signed-out visitor to login, remembering the page", () => {
    expect(decide("admin", null, "#/admin/devices/abc?date=2026-01-02")).toEqual({
      kind: "redirect",
      to: `#/login?next=${encodeURIComponent("#/admin/devices/abc?date=2026-01-02")}`,
    });
    expect(decide("client", null, "#/dashboard")).toEqual({ kind: "redirect", to: "#/login?next=%23%2Fdashboard" });
  });

  it("sends a client who opens an admin page to their dashboard with 'Not allowed'", () => {
    expect(decide("admin", client, "#/admin/users")).toEqual({ kind: "redirect", to: "#/dashboard", notice: NOT_ALLOWED_NOTICE });
    expect(NOT_ALLOWED_NOTICE).toMatch(/^Not allowed/);
  });

  it("sends an admin away from client pages to the admin home", () => {
    const d = decide("client", admin, "#/dashboard");
    expect(d.kind).toBe("redirect");
    expect(d.kind === "redirect" && d.to).toBe("#/admin/devices");
  });

  it("lets each role into its own pages", () => {
    expect(decide("admin", admin, "#/admin/devices")).toEqual({ kind: "allow" });
    expect(decide("client", client, "#/dashboard")).toEqual({ kind: "allow" });
    expect(decide("signed-in", client, "#/x")).toEqual({ kind: "allow" });
    expect(decide("public", null, "#/x")).toEqual({ kind: "allow" });
  });

  it("keeps signed-in users off the login page", () => {
    expect(decide("guest", client, "#/login")).toEqual({ kind: "redirect", to: "#/dashboard" });
    expect(decide("guest", null, "#/login")).toEqual({ kind: "allow" });
  });

  it("lands each role on its home", () => {
    expect(homeFor(admin)).toBe("#/admin/devices");
    expect(homeFor(client)).toBe("#/dashboard");
  });
});

describe("next= after login", () => {
  it("accepts only in-app hashes", () => {
    expect(safeNext("#/admin/users")).toBe("#/admin/users");
    expect(safeNext("https://evil.test/")).toBeNull();
    expect(safeNext("#//evil.test")).toBeNull();
    expect(safeNext("#/login?next=%23%2Fx")).toBeNull();
    expect(safeNext("#/")).toBeNull();
    expect(safeNext(null)).toBeNull();
  });

  it("does not put a useless next on the login address", () => {
    expect(loginHashFor("#/")).toBe("#/login");
    expect(loginHashFor("")).toBe("#/login");
  });
});

describe("matching", () => {
  it("parses path and query from the hash", () => {
    const { path, query } = parseHash("#/dashboard/d-1?date=2026-10-25");
    expect(path).toBe("/dashboard/d-1");
    expect(query.get("date")).toBe("2026-10-25");
    expect(parseHash("").path).toBe("/");
    expect(parseHash("#admin//devices/").path).toBe("/admin/devices");
  });

  it("matches patterns and decodes params", () => {
    const m = matchRoute(routes, "#/admin/devices/a%20b?x=1");
    expect(m?.route.page).toBe("device");
    expect(m?.params).toEqual({ id: "a b" });
    expect(m?.query.get("x")).toBe("1");
    expect(matchRoute(routes, "#/admin/devices")?.route.page).toBe("devices");
    expect(matchRoute(routes, "#/admin/devices/a/b")).toBeNull();
    expect(matchRoute(routes, "#/nope")).toBeNull();
  });
});
