/** Loading, empty and error placeholders, consistent across pages. */

import { describeError } from "../api/errors.ts";
import { h, icon, type Child, type IconName } from "./dom.ts";

export function loadingState(label = "Loading…", testid = "loading"): HTMLElement {
  return h("div", { class: "state state-loading", testid, role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), h("span", {}, label));
}

export interface EmptyOptions {
  title: string;
  message?: Child | Child[];
  icon?: IconName;
  action?: HTMLElement;
  testid?: string;
}

export function emptyState(opts: EmptyOptions): HTMLElement {
  return h(
    "div",
    { class: "state state-empty", testid: opts.testid ?? "empty-state" },
    h("div", { class: "state-icon" }, icon(opts.icon ?? "empty")),
    h("h3", {}, opts.title),
    opts.message ? h("p", {}, opts.message) : null,
    opts.action ?? null,
  );
}

export function errorState(err: unknown, onRetry?: () => void, testid = "error-state"): HTMLElement {
  const retry = onRetry ? h("button", { class: "btn btn-secondary", type: "button", testid: "retry" }, "Try again") : null;
  retry?.addEventListener("click", onRetry ?? (() => undefined));
  return h(
    "div",
    { class: "state state-error", testid, role: "alert" },
    h("div", { class: "state-icon" }, icon("warning")),
    h("h3", {}, "Something went wrong"),
    h("p", {}, describeError(err)),
    retry,
  );
}
