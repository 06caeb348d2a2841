/** Transient notifications in the corner: success, failure, information. */

import { h, icon, type IconName } from "./dom.ts";

export type ToastKind = "success" | "error" | "warning" | "info";

const ICON_FOR: Record<ToastKind, IconName> = { success: "check", error: "warning", warning: "warning", info: "info" };
const TIMEOUT_MS: Record<ToastKind, number> = { success: 4000, info: 5000, warning: 7000, error: 8000 };

export class Toasts {
  private readonly host: HTMLElement;

  constructor(parent: HTMLElement) {
    this.host = h("div", { class: "toasts", testid: "toasts", "aria-live": "polite" });
    parent.appendChild(this.host);
  }

  show(kind: ToastKind, message: string): void {
    const close = h("button", { class: "toast-close", type: "button", "aria-label": "Dismiss" }, icon("x"));
    const toast = h(
      "div",
      { class: `toast toast-${kind}`, testid: "toast", "data-kind": kind, role: kind === "error" ? "alert" : "status" },
      icon(ICON_FOR[kind], "icon toast-icon"),
      h("div", { class: "toast-message" }, message),
      close,
    );
    const dismiss = () => {
      toast.classList.add("toast-leaving");
      window.setTimeout(() => toast.remove(), 200);
    };
    close.addEventListener("click", dismiss);
    window.setTimeout(dismiss, TIMEOUT_MS[kind]);
    this.host.appendChild(toast);
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
