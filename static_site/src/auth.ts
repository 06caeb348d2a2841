/** The signed-in session: tokens and user, persisted in localStorage and observable. */

import type { Role, TokenResponse, User } from "./api/types.ts";

export type SessionStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export interface SessionState {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds at which the access token stops being accepted. */
  accessExpiresAt: number;
  user: User;
}

type Listener = (state: SessionState | null) => void;

function isRole(value: unknown): value is Role {
  return value === "admin" || value === "client";
}

function parseState(raw: string | null): SessionState | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<SessionState> | null;
    const u = v?.user;
    if (
      typeof v?.accessToken === "string" &&
      typeof v.refreshToken === "string" &&
      typeof v.accessExpiresAt === "number" &&
      u && typeof u.id === "string" && typeof u.username === "string" && typeof u.name === "string" && isRole(u.role)
    ) {
      return v as SessionState;
    }
  } catch {
    // corrupt entry: treat as signed out
  }
  return null;
}

export class Session {
  private state: SessionState | null;
  private readonly listeners = new Set<Listener>();
  private readonly storage: SessionStorage;
  private readonly key: string;
  private readonly now: () => number;

  constructor(storage: SessionStorage, key: string, now: () => number = Date.now) {
    this.storage = storage;
    this.key = key;
    this.now = now;
    this.state = parseState(storage.getItem(key));
  }

  get current(): SessionState | null {
    return this.state;
  }

  get user(): User | null {
    return this.state?.user ?? null;
  }

  /** Store a login or refresh response (a new token pair and the user). */
  start(res: TokenResponse): void {
    this.set({
      accessToken: res.access_token,
      refreshToken: res.refresh_token,
      accessExpiresAt: this.now() + res.expires_in * 1000,
      user: res.user,
    });
  }

  updateUser(user: User): void {
    if (this.state) this.set({ ...this.state, user });
  }

  clear(): void {
    if (this.state === null) return;
    this.state = null;
    this.storage.removeItem(this.key);
    this.emit();
  }

  /** True when the access token is expired or will be within `skewMs`. */
  accessTokenIsStale(skewMs: number): boolean {
    return this.state !== null && this.now() + skewMs >= this.state.accessExpiresAt;
  }

  /** Re-read storage (another tab signed in, refreshed or signed out); true if the user changed. */
  reload(): boolean {
    const before = this.state?.user.id ?? null;
    this.state = parseState(this.storage.getItem(this.key));
    const after = this.state?.user.id ?? null;
    this.emit();
    return before !== after;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(state: SessionState): void {
    this.state = state;
    this.storage.setItem(this.key, JSON.stringify(state));
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.state);
  }
}

/** localStorage stand-in for tests and for browsers that refuse storage (private modes). */
export class MemoryStorage implements SessionStorage {
  private readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
}
