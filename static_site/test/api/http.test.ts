import { describe, expect, it, vi } from "vitest";
import { ApiError, SessionExpiredError } from "../../src/api/errors.ts";
import { buildUrl, HttpClient, type FetchFn } from "../../src/api/http.ts";
import type { TokenResponse } from "../../src/api/types.ts";
import { MemoryStorage, Session } from "../../src/auth.ts";

const USER = { id: "u1", username: "ana", name: "Ana Pop", role: "client" as const };

function tokens(n: number, expiresIn = 900): TokenResponse {
  return { access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: "bearer", expires_in: expiresIn, user: USER };
}

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

interface Call {
  url: string;
  method: string;
  auth: string | null;
  body: unknown;
}

/** A fake API: `/auth/refresh` answers per `refresh`, other paths accept only `valid` tokens. */
function fakeApi(opts: { valid: Set<string>; refresh: () => Response | Promise<Response> }) {
  const calls: Call[] = [];
  const fetch: FetchFn = async (url, init) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call: Call = { url, method: init?.method ?? "GET", auth: headers.Authorization ?? null, body: init?.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(call);
    if (url.endsWith("/auth/refresh")) return opts.refresh();
    const token = call.auth?.replace("Bearer ", "") ?? "";
    if (!opts.valid.has(token)) return json(401, { title: "Unauthorized", status: 401, detail: "Token expired." });
    return json(200, { ok: true, token });
  };
  return { calls, fetch };
}

function setup(refresh: () => Response | Promise<Response>, valid = ["access-2"], now = () => 1_000_000) {
  const session = new Session(new MemoryStorage(), "k", now);
  session.start(tokens(1));
  const api = fakeApi({ valid: new Set(valid), refresh });
  const onSessionExpired = vi.fn();
  const http = new HttpClient({ baseUrl: "/api", session, fetch: api.fetch, onSessionExpired });
  return { session, api, http, onSessionExpired };
}

describe("token refresh", () => {
  it("refreshes once on 401 and retries with the new token", async () => {
    const { http, api, session } = setup(() => json(200, tokens(2)));
    await expect(http.get("/me/devices")).resolves.toEqual({ ok: true, token: "access-2" });
    expect(api.calls.map((c) => `${c.method} ${c.url} ${c.auth}`)).toEqual([
      "GET /api/me/devices Bearer access-1",
      "POST /api/auth/refresh null",
      "GET /api/me/devices Bearer access-2",
    ]);
    expect(api.calls[1]?.body).toEqual({ refresh_token: "refresh-1" });
    expect(session.current?.refreshToken).toBe("refresh-2");
  });

  it("shares one refresh between concurrent calls", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const { http, api } = setup(async () => {
      await gate;
      return json(200, tokens(2));
    });
    const all = Promise.all([http.get("/a"), http.get("/b"), http.get("/c")]);
    await new Promise((r) => setTimeout(r, 0));
    release();
    await all;
    expect(api.calls.filter((c) => c.url.endsWith("/auth/refresh"))).toHaveLength(1);
  });

  it("signs out with 'session expired' when the refresh token is refused", async () => {
    const { http, session, onSessionExpired } = setup(() => json(401, { title: "Unauthorized", status: 401, detail: "Refresh token revoked." }));
    const results = await Promise.allSettled([http.get("/a"), http.get("/b")]);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(SessionExpiredError);
    }
    expect(session.current).toBeNull();
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });

  it("does not loop: a second 401 after a successful refresh ends the session", async () => {
    const { http, api, onSessionExpired } = setup(() => json(200, tokens(2)), []);
    await expect(http.get("/a")).rejects.toBeInstanceOf(SessionExpiredError);
    expect(api.calls).toHaveLength(3);
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });

  it("keeps the session when the refresh fails for an outage", async () => {
    const { http, session, onSessionExpired } = setup(() => json(503, { title: "Unavailable", status: 503, detail: "Database unavailable." }));
    const err = await http.get("/a").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(SessionExpiredError);
    expect((err as ApiError).detail).toBe("Database unavailable.");
    expect(session.current?.refreshToken).toBe("refresh-1");
    expect(onSessionExpired).not.toHaveBeenCalled();
  });

  it("refreshes ahead of time when the access token is about to expire", async () => {
    let now = 1_000_000;
    const session = new Session(new MemoryStorage(), "k", () => now);
    session.start(tokens(1, 60));
    const api = fakeApi({ valid: new Set(["access-1", "access-2"]), refresh: () => json(200, tokens(2)) });
    const http = new HttpClient({ baseUrl: "/api", session, fetch: api.fetch, onSessionExpired: vi.fn(), refreshSkewMs: 30_000 });
    await http.get("/a");
    expect(api.calls).toHaveLength(1);
    now += 45_000; // 15 s left < 30 s skew
    await http.get("/a");
    expect(api.calls.map((c) => c.url)).toEqual(["/api/a", "/api/auth/refresh", "/api/a"]);
    expect(api.calls[2]?.auth).toBe("Bearer access-2");
  });

  it("never refreshes for anonymous calls such as login", async () => {
    const refresh = vi.fn(() => json(200, tokens(2)));
    const session = new Session(new MemoryStorage(), "k");
    const fetch: FetchFn = async () => json(401, { title: "Unauthorized", status: 401, detail: "Invalid username or password." });
    const http = new HttpClient({ baseUrl: "/api", session, fetch, onSessionExpired: vi.fn() });
    const err = await http.post("/auth/login", { username: "a", password: "b" }, { auth: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(SessionExpiredError);
    expect((err as ApiError).detail).toBe("Invalid username or password.");
    expect(refresh).not.toHaveBeenCalled();
  });

  it("maps a failed fetch to a network error", async () => {
    const session = new Session(new MemoryStorage(), "k");
    session.start(tokens(1));
    const http = new HttpClient({ baseUrl: "/api", session, fetch: () => Promise.reject(new TypeError("Failed to fetch")), onSessionExpired: vi.fn() });
    const err = (await http.get("/a").catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.detail).toMatch(/cannot reach the server/i);
  });

  it("returns undefined for 204 No Content", async () => {
    const session = new Session(new MemoryStorage(), "k");
    session.start(tokens(1));
    const http = new HttpClient({ baseUrl: "/api", session, fetch: async () => new Response(null, { status: 204 }), onSessionExpired: vi.fn() });
    await expect(http.delete("/devices/x")).resolves.toBeUndefined();
  });
});

describe("buildUrl", () => {
  it("joins base, path and non-empty query values", () => {
    expect(buildUrl("/api", "/devices", { limit: 20, offset: 0, owner_id: undefined, role: "" })).toBe("/api/devices?limit=20&offset=0");
    expect(buildUrl("https://x.test/api", "me/devices/a%2Fb/consumption", { date: "2026-10-25", tz: "Europe/Bucharest" })).toBe(
      "https://x.test/api/me/devices/a%2Fb/consumption?date=2026-10-25&tz=Europe%2FBucharest",
    );
  });
});
