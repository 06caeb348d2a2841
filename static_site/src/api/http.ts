/** JSON-over-fetch client for the REST API: bearer token, transparent refresh, typed errors. */

import type { Session } from "../auth.ts";
import { ApiError, SessionExpiredError, errorFromNetwork, errorFromResponse } from "./errors.ts";
import type { Download, TokenResponse } from "./types.ts";

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  query?: Query;
  body?: unknown;
  /** false for login, refresh and health: no bearer token, no refresh on 401. */
  auth?: boolean;
  signal?: AbortSignal;
}

export interface HttpClientOptions {
  baseUrl: string;
  session: Session;
  fetch: FetchFn;
  /** Called once when the session could not be renewed (after it has been cleared). */
  onSessionExpired: () => void;
  refreshSkewMs?: number;
}

/** Refresh failures that mean the refresh token itself is no good (as opposed to an outage). */
const REFRESH_REJECTED = new Set([400, 401, 403, 404, 422]);

export function buildUrl(baseUrl: string, path: string, query?: Query): string {
  const url = `${baseUrl}${path.startsWith("/") ? path : `/${path}`}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

export class HttpClient {
  private readonly opts: HttpClientOptions;
  private refreshing: Promise<void> | null = null;

  constructor(opts: HttpClientOptions) {
    this.opts = opts;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>(path, { query, signal });
  }

  post<T>(path: string, body: unknown, opts: Omit<RequestOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...opts, method: "POST", body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, { method: "PATCH", body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>(path, { method: "DELETE" });
  }

  /** Send a request; on 401 refresh the token pair once and retry once. */
  async request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.parse<T>(await this.respond(path, opts));
  }

  /** GET a file (CSV, XML) with the bearer token; errors are thrown like JSON calls. */
  async download(path: string, query?: Query, signal?: AbortSignal): Promise<Download> {
    const res = await this.respond(path, { query, signal });
    if (!res.ok) throw await errorFromResponse(res);
    const disposition = res.headers.get("Content-Disposition") ?? "";
    const match = /filename="([^"]+)"/.exec(disposition);
    return { blob: await res.blob(), filename: match?.[1] ?? null };
  }

  private async respond(path: string, opts: RequestOptions): Promise<Response> {
    if (opts.auth === false) return this.send(path, opts, null);
    const session = this.opts.session;
    if (session.current === null) throw this.expire();
    if (session.accessTokenIsStale(this.opts.refreshSkewMs ?? 0)) {
      await this.refresh(session.current.accessToken);
    }
    const usedToken = this.token();
    let res = await this.send(path, opts, usedToken);
    if (res.status === 401) {
      await this.refresh(usedToken);
      res = await this.send(path, opts, this.token());
      if (res.status === 401) throw this.expire();
    }
    return res;
  }

  /**
   * Renew the token pair, shared by concurrent callers. `staleToken` is the access token the
   * caller saw rejected: when another call already replaced it, nothing is sent.
   */
  async refresh(staleToken: string): Promise<void> {
    const current = this.opts.session.current;
    if (current === null) throw this.expire();
    if (current.accessToken !== staleToken) return;
    if (this.refreshing === null) {
      this.refreshing = this.doRefresh(current.refreshToken).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(refreshToken: string): Promise<void> {
    const res = await this.send("/auth/refresh", { method: "POST", body: { refresh_token: refreshToken } }, null);
    if (REFRESH_REJECTED.has(res.status)) throw this.expire();
    const pair = await this.parse<TokenResponse>(res);
    this.opts.session.start(pair);
  }

  private token(): string {
    const current = this.opts.session.current;
    if (current === null) throw this.expire();
    return current.accessToken;
  }

  /** Clear the session and tell the app (once); returns the error for the caller to throw. */
  private expire(): SessionExpiredError {
    if (this.opts.session.current !== null) {
      this.opts.session.clear();
      this.opts.onSessionExpired();
    }
    return new SessionExpiredError();
  }

  private async send(path: string, opts: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    try {
      return await this.opts.fetch(buildUrl(this.opts.baseUrl, path, opts.query), {
        method: opts.method ?? "GET",
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw errorFromNetwork();
    }
  }

  private async parse<T>(res: Response): Promise<T> {
    if (!res.ok) throw await errorFromResponse(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError({ status: res.status, title: "Bad response", detail: "The server sent an unreadable response." });
    }
  }
}
