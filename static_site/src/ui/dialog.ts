/** Modal dialogs on the native <dialog>: generic, confirm-before-delete, and the one-time device key. */

import { h, icon, type Child } from "./dom.ts";

export interface DialogOptions {
  title: string;
  body: Child | Child[];
  footer?: Child | Child[];
  testid?: string;
  /** Escape and the × button close it (false for dialogs that must be acknowledged). */
  dismissable?: boolean;
  wide?: boolean;
}

export interface OpenDialog {
  dialog: HTMLDialogElement;
  close: () => void;
  /** Resolves when the dialog has closed, for whatever reason. */
  closed: Promise<void>;
}

export function openDialog(opts: DialogOptions): OpenDialog {
  const dismissable = opts.dismissable ?? true;
  const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
  const closeBtn = dismissable
    ? h("button", { class: "icon-button", type: "button", "aria-label": "Close", testid: "dialog-close" }, icon("x"))
    : null;
  const dialog = h(
    "dialog",
    { class: `dialog${opts.wide ? " dialog-wide" : ""}`, testid: opts.testid, "aria-labelledby": titleId },
    h("header", { class: "dialog-header" }, h("h2", { id: titleId }, opts.title), closeBtn),
    h("div", { class: "dialog-body" }, opts.body),
    opts.footer ? h("footer", { class: "dialog-footer" }, opts.footer) : null,
  );
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = () => {
    if (dialog.open) dialog.close();
  };
  dialog.addEventListener("cancel", (ev) => {
    if (!dismissable) ev.preventDefault();
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    resolveClosed();
  });
  closeBtn?.addEventListener("click", close);
  document.body.appendChild(dialog);
  dialog.showModal();
  return { dialog, close, closed };
}

export interface ConfirmOptions {
  title: string;
  message: Child | Child[];
  confirmLabel?: string;
  danger?: boolean;
}

/** Ask before doing something irreversible; resolves true only on the confirm button. */
export function confirmDialog(opts: ConfirmOptions): Promise<boolean> {
  let confirmed = false;
  const cancel = h("button", { class: "btn btn-secondary", type: "button", testid: "confirm-cancel" }, "Cancel");
  const ok = h(
    "button",
    { class: `btn ${opts.danger ? "btn-danger" : "btn-primary"}`, type: "button", testid: "confirm-ok" },
    opts.confirmLabel ?? "Confirm",
  );
  const d = openDialog({
    title: opts.title,
    testid: "confirm-dialog",
    body: h("p", { class: "confirm-message" }, opts.message),
    footer: [cancel, ok],
  });
  cancel.addEventListener("click", d.close);
  ok.addEventListener("click", () => {
    confirmed = true;
    d.close();
  });
  ok.focus();
  return d.closed.then(() => confirmed);
}

/** Show a secret exactly once, with a copy button and a warning; resolves when dismissed. */
export function showSecretOnce(opts: { title: string; intro: Child | Child[]; secret: string }): Promise<void> {
  const value = h("textarea", { class: "secret-value mono", readonly: true, rows: 2, spellcheck: "false", value: opts.secret, testid: "device-key-value", "aria-label": "Device key" });
  const copied = h("span", { class: "copy-status", "aria-live": "polite" });
  const copy = h("button", { class: "btn btn-secondary", type: "button", testid: "device-key-copy" }, icon("copy"), "Copy");
  const done = h("button", { class: "btn btn-primary", type: "button", testid: "device-key-close" }, "I have stored the key");
  copy.addEventListener("click", async () => {
    copied.textContent = (await copyText(opts.secret, value)) ? "Copied to clipboard" : "Select the key and copy it manually";
  });
  value.addEventListener("focus", () => value.select());
  const d = openDialog({
    title: opts.title,
    testid: "device-key-dialog",
    dismissable: false,
    body: [
      h("p", {}, opts.intro),
      h("div", { class: "secret-row" }, value, copy),
      copied,
      h(
        "div",
        { class: "callout callout-warning", role: "note" },
        icon("warning"),
        h("div", {}, h("strong", {}, "This key is shown only once."), " Copy it now and configure it on the meter. It cannot be displayed again; if it is lost, a new key has to be issued for the device."),
      ),
    ],
    footer: [done],
  });
  done.addEventListener("click", d.close);
  return d.closed;
}

async function copyText(text: string, fallback: HTMLTextAreaElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    fallback.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  }
}
