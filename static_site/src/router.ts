/** Hash router with role guards. The matching and guard rules are pure; `Router` binds them to `window`. */

import type { Role, User } from "./api/types.ts";

/** Who may open a route: anyone, only signed-out visitors, any signed-in user, or one role. */
export type Access = "public" | "guest" | "signed-in" | Role;

export interface RouteDef<P> {
  /** Path pattern with `:name` segments, e.g. `/admin/devices/:id`. */
  pattern: string;
  access: Access;
  title: string;
  page: P;
}

export interface RouteMatch<P> {
  route: RouteDef<P>;
  params: Record<string, string>;
  query: URLSearchParams;
  path: string;
  /** The full hash, `#/path?query`, e.g. to come back to after login. */
  hash: string;
}

export type GuardDecision = { kind: "allow" } | { kind: "redirect"; to: string; notice?: string };

export const LOGIN_HASH = "#/login";
export const NOT_ALLOWED_NOTICE = "Not allowed: that page is for administrators.";

/** Split `#/a/b?x=1` into a normalised path and its query. */
export function parseHash(hash: string): { path: string; query: URLSearchParams } {
  const raw = hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const pathPart = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? "" : raw.slice(q + 1));
  const path = `/${pathPart.split("/").filter(Boolean).join("/")}`;
  return { path, query };
}

export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? "";
    const g = got[i] ?? "";
    if (w.startsWith(":")) {
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

export function matchRoute<P>(routes: readonly RouteDef<P>[], hash: string): RouteMatch<P> | null {
  const { path, query } = parseHash(hash);
  for (const route of routes) {
    const params = matchPath(route.pattern, path);
    if (params) return { route, params, query, path, hash: hash.startsWith("#") ? hash : `#${hash}` };
  }
  return null;
}

/** Where a user lands after login or when sent away from a page they may not open. */
export function homeFor(user: Pick<User, "role">): string {
  return user.role === "admin" ? "#/admin/devices" : "#/dashboard";
}

export function loginHashFor(requested: string): string {
  const next = safeNext(requested);
  return next ? `${LOGIN_HASH}?next=${encodeURIComponent(next)}` : LOGIN_HASH;
}

/** Accept only in-app hashes as a post-login target (no `//evil`, no login loop). */
export function safeNext(next: string | null | undefined): string | null {
  if (!next || !next.startsWith("#/") || next.startsWith("#//")) return null;
  const { path } = parseHash(next);
  if (path === "/" || path === "/login") return null;
  return next;
}

/** The guard rule: may `user` open a route with `access`, requested as `requested`? */
export function decide(access: Access, user: Pick<User, "role"> | null, requested: string): GuardDecision {
  if (access === "public") return { kind: "allow" };
  if (access === "guest") return user ? { kind: "redirect", to: homeFor(user) } : { kind: "allow" };
  if (!user) return { kind: "redirect", to: loginHashFor(requested) };
  if (access === "signed-in" || access === user.role) return { kind: "allow" };
  const notice = access === "admin" ? NOT_ALLOWED_NOTICE : "Not allowed: that page is for clients.";
  return { kind: "redirect", to: homeFor(user), notice };
}

export interface RouterOptions<P> {
  routes: readonly RouteDef<P>[];
  /** Route shown when nothing matches (still guarded). */
  notFound: RouteDef<P>;
  currentUser: () => User | null;
  onRoute: (match: RouteMatch<P>) => void;
  onNotice: (message: string) => void;
}

export class Router<P> {
  private readonly opts: RouterOptions<P>;
  private started = false;
  /** The address of the page on screen (as rendered, or as that page last replaced it). */
  private shownHash: string | null = null;

  constructor(opts: RouterOptions<P>) {
    this.opts = opts;
  }

  start(): void {
    this.started = true;
    window.addEventListener("hashchange", () => this.resolve());
    this.resolve();
  }

  /** Go to `hash`; `replace` keeps the current entry out of the back history. */
  navigate(hash: string, opts: { replace?: boolean } = {}): void {
    if (!this.started) {
      window.history.replaceState(null, "", hash); // start() will render it
      return;
    }
    if (opts.replace || window.location.hash === hash) {
      window.history.replaceState(null, "", hash);
      this.resolve();
    } else {
      window.location.hash = hash; // fires hashchange → resolve()
    }
  }

  /**
   * Change the URL without rendering again (e.g. a page's own date picker). Ignored when the URL
   * has moved on since the page was shown: the user navigated away and the `hashchange` has not
   * been handled yet — overwriting the URL then would send them back to this page.
   */
  replaceUrl(hash: string): void {
    if (this.shownHash !== null && window.location.hash !== this.shownHash) return;
    window.history.replaceState(null, "", hash);
    this.shownHash = window.location.hash;
  }

  /** Re-run matching and guards for the current URL (after login, logout or a redirect). */
  resolve(): void {
    let hash = window.location.hash || "#/";
    for (let hops = 0; hops < 5; hops++) {
      const user = this.opts.currentUser();
      const { path } = parseHash(hash);
      if (path === "/") {
        hash = user ? homeFor(user) : LOGIN_HASH;
        window.history.replaceState(null, "", hash);
        continue;
      }
      const match = matchRoute(this.opts.routes, hash) ?? {
        route: this.opts.notFound,
        params: {},
        ...parseHash(hash),
        hash,
      };
      const decision = decide(match.route.access, user, hash);
      if (decision.kind === "allow") {
        this.shownHash = window.location.hash;
        this.opts.onRoute(match);
        return;
      }
      if (decision.notice) this.opts.onNotice(decision.notice);
      hash = decision.to;
      window.history.replaceState(null, "", hash);
    }
  }
}
