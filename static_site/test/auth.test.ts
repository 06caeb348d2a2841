import { describe, expect, it, vi } from "vitest";
import { MemoryStorage, Session } from "../src/auth.ts";

const RESPONSE = {
  access_token: "a1",
  refresh_token: "r1",
  token_type: "bearer" as const,
  expires_in: 900,
  user: { id: "u1", username: "root", name: "Root Admin", role: "admin" as const },
};

describe("Session", () => {
  it("persists a login and reads it back in a new instance (a reload)", () => {
    const storage = new MemoryStorage();
    new Session(storage, "k", () => 0).start(RESPONSE);
    const again = new Session(storage, "k", () => 0);
    expect(again.user?.name).toBe("Root Admin");
    expect(again.current?.accessExpiresAt).toBe(900_000);
  });

  it("treats corrupt or partial storage as signed out", () => {
    const storage = new MemoryStorage();
    storage.setItem("k", "{not json");
    expect(new Session(storage, "k").current).toBeNull();
    storage.setItem("k", JSON.stringify({ accessToken: "x", user: { role: "root" } }));
    expect(new Session(storage, "k").current).toBeNull();
  });

  it("clears storage on logout and notifies listeners", () => {
    const storage = new MemoryStorage();
    const session = new Session(storage, "k");
    session.start(RESPONSE);
    const listener = vi.fn();
    session.subscribe(listener);
    session.clear();
    expect(storage.getItem("k")).toBeNull();
    expect(listener).toHaveBeenCalledWith(null);
  });

  it("knows when the access token is stale", () => {
    let now = 0;
    const session = new Session(new MemoryStorage(), "k", () => now);
    session.start(RESPONSE);
    expect(session.accessTokenIsStale(30_000)).toBe(false);
    now = 871_000;
    expect(session.accessTokenIsStale(30_000)).toBe(true);
  });

  it("follows another tab's sign-out on reload()", () => {
    const storage = new MemoryStorage();
    const session = new Session(storage, "k");
    session.start(RESPONSE);
    storage.removeItem("k");
    expect(session.reload()).toBe(true);
    expect(session.user).toBeNull();
  });
});
