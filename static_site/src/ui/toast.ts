/** Transient notifications in the corner: success, failure, information. */

import { h, icon, type IconName } from "./dom.ts";

export type ToastKind = "success" | "error" | "warning" | "info";

const ICON_FOR: Record<ToastKind, IconName> = { success: "check", error: "warning", warning: "warning", info: "info" };
const TIMEOUT_MS: Record<ToastKind, number> = { success: 4000, info: 5000, warning: 7000, error: 8000 };
/** Older toasts give way beyond this many, so a burst never covers the page. */
const MAX_VISIBLE = 5;

export interface ToastOptions {
  /** `data-testid` of the toast (default `toast`). */
  testid?: string;
  timeoutMs?: number;
  /** Extra `data-*` attributes. */
  data?: Record<string, string>;
}

export class Toasts {
  private readonly host: HTMLElement;

  constructor(parent: HTMLElement) {
    this.host = h("div", { class: "toasts", testid: "toasts", "aria-live": "polite" });
    parent.appendChild(this.host);
  }

  /** Show a toast; `message` may be rich content (title, text, a link). Returns the element. */
  show(kind: ToastKind, message: string | Node, opts: ToastOptions = {}): HTMLElement {
    const close = h("button", { class: "toast-close", type: "button", "aria-label": "Dismiss" }, icon("x"));
    const toast = h(
      "div",
      { class: `toast toast-${kind}`, testid: opts.testid ?? "toast", "data-kind": kind, role: kind === "error" ? "alert" : "status" },
      icon(ICON_FOR[kind], "icon toast-icon"),
      h("div", { class: "toast-message" }, message),
      close,
    );
    for (const [key, value] of Object.entries(opts.data ?? {})) toast.dataset[key] = value;
    const dismiss = () => {
      toast.classList.add("toast-leaving");
      window.setTimeout(() => toast.remove(), 200);
    };
    close.addEventListener("click", dismiss);
    for (const link of toast.querySelectorAll("a")) link.addEventListener("click", dismiss);
    let timer = window.setTimeout(dismiss, opts.timeoutMs ?? TIMEOUT_MS[kind]);
    // Keep it while the pointer is on it (reading, reaching for the link).
    toast.addEventListener("mouseenter", () => window.clearTimeout(timer));
    toast.addEventListener("mouseleave", () => {
      timer = window.setTimeout(dismiss, 3000);
    });
    const excess = this.host.childElementCount - (MAX_VISIBLE - 1);
    for (let i = 0; i < excess; i++) this.host.firstElementChild?.remove();
    this.host.appendChild(toast);
    return toast;
  }

  /** Drop every visible toast (e.g. on sign-out, so one user's messages never follow the next). */
  clear(): void {
    this.host.replaceChildren();
  }

  success(message: string): void {
    this.show("success", message);
  }
  error(message: string): void {
    this.show("error", message);
  }
  warning(message: string): void {
    this.show("warning", message);
  }
  info(message: string): void {
    this.show("info", message);
  }
}
