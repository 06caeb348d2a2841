/** Mounts pages for matched routes, inside the app shell or bare (login). */

import type { User } from "./api/types.ts";
import type { MountedPage, PageMeta } from "./pages/page.ts";
import type { RouteMatch } from "./router.ts";
import type { Services } from "./services.ts";
import { replace } from "./ui/dom.ts";
import { createShell, type Shell } from "./ui/layout.ts";

export interface AppOptions {
  /** Widgets for the header's action slot, per signed-in user (e.g. the live-connection status). */
  headerWidgets?: (user: User) => HTMLElement[];
}

export class App {
  private readonly root: HTMLElement;
  private readonly services: Services;
  private readonly onLogout: () => void;
  private readonly options: AppOptions;
  private shell: Shell | null = null;
  private mounted: { page: MountedPage; abort: AbortController } | null = null;
  private readonly navBadges = new Map<string, number>();
  private titleBase = "";
  private titleCount = 0;

  constructor(root: HTMLElement, services: Services, onLogout: () => void, options: AppOptions = {}) {
    this.root = root;
    this.services = services;
    this.onLogout = onLogout;
    this.options = options;
    services.session.subscribe((state) => {
      if (state && this.shell) this.dressShell(this.shell, state.user);
    });
  }

  /** "(3) Alerts · Energy Utility": unread alerts visible on a background tab's title. */
  setTitleCount(count: number): void {
    this.titleCount = count;
    this.applyTitle();
  }

  private applyTitle(): void {
    document.title = this.titleCount > 0 ? `(${this.titleCount}) ${this.titleBase}` : this.titleBase;
  }

  /** A count on a navigation entry, kept across pages and shells. */
  setNavBadge(navKey: string, count: number): void {
    this.navBadges.set(navKey, count);
    this.shell?.setBadge(navKey, count);
  }

  private dressShell(shell: Shell, user: User): void {
    shell.setUser(user);
    for (const [key, count] of this.navBadges) shell.setBadge(key, count);
    replace(shell.actions, this.options.headerWidgets?.(user) ?? []);
  }

  show(match: RouteMatch<PageMeta>): void {
    this.unmount();
    const meta = match.route.page;
    this.titleBase = `${match.route.title} · ${this.services.config.appName}`;
    this.applyTitle();
    const abort = new AbortController();
    const page = meta.page({ params: match.params, query: match.query, services: this.services, signal: abort.signal });
    this.mounted = { page, abort };
    const user = this.services.session.user;
    if (meta.layout === "shell" && user) {
      if (!this.shell) {
        this.shell = createShell(this.services.config.appName, this.onLogout);
        replace(this.root, this.shell.root);
      }
      this.dressShell(this.shell, user);
      this.shell.setActive(meta.nav);
      replace(this.shell.outlet, page.element);
    } else {
      this.shell = null;
      replace(this.root, page.element);
    }
    window.scrollTo(0, 0);
  }

  private unmount(): void {
    if (!this.mounted) return;
    this.mounted.abort.abort();
    this.mounted.page.dispose?.();
    this.mounted = null;
  }
}
