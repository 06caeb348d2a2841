/** The contract between the router and a page module. */

import type { Services } from "../services.ts";

export interface PageContext {
  params: Record<string, string>;
  query: URLSearchParams;
  services: Services;
  /** Aborted when the user leaves the page: stop requests, ignore late responses. */
  signal: AbortSignal;
}

export interface MountedPage {
  element: HTMLElement;
  dispose?: () => void;
}

export type Page = (ctx: PageContext) => MountedPage;

/** Which navigation entry a page belongs to, and whether it renders inside the app shell. */
export interface PageMeta {
  page: Page;
  layout: "bare" | "shell";
  nav?: string;
}
