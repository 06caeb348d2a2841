/** The client's support chat: a floating "Support" button with an unread badge, opening a panel. */

import { badgeText } from "../../ui/layout.ts";
import { h, replace } from "../../ui/dom.ts";
import { chatErrorText } from "../client.ts";
import type { ChatLinkState, ChatStore } from "../store.ts";
import { createThread, type ThreadView } from "./thread.ts";

export function linkStatusText(state: ChatLinkState, now = Date.now()): string {
  switch (state.status) {
    case "live":
      return "";
    case "idle":
      return "Connecting…";
    case "connecting":
      // A retry after a failure is still "reconnecting" to the reader, with the failure's reason.
      return state.attempt > 0 && state.reason ? `Reconnecting… (${state.reason})` : "Connecting…";
    case "reconnecting": {
      const s = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
      return `Reconnecting${s > 0 ? ` in ${s} s` : "…"} (${state.reason})`;
    }
    case "offline":
      return "Offline: new messages arrive when the network is back.";
    case "unavailable":
      return state.reason;
  }
}

/** A speech-bubble stroke icon (fixed markup). */
function bubbleIcon(): SVGSVGElement {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  svg.innerHTML = '<path d="M4 5h16v11H9l-5 4V5Z"/><path d="M8 9h8M8 12h5"/>';
  return svg;
}

/** Mount the launcher into `host`; returns unmount. */
export function mountLauncher(host: HTMLElement, store: ChatStore): () => void {
  const badge = h("span", { class: "chat-launcher-badge", testid: "chat-launcher-badge", hidden: true });
  const button = h(
    "button",
    { class: "chat-launcher", type: "button", testid: "chat-launcher", "aria-expanded": "false", "aria-controls": "chat-panel" },
    bubbleIcon(),
    h("span", {}, "Support"),
    badge,
  );
  const status = h("div", { class: "chat-status", testid: "chat-status", hidden: true, role: "status" });
  const body = h("div", { class: "chat-panel-body" });
  const close = h("button", { class: "btn btn-ghost chat-close", type: "button", testid: "chat-close", "aria-label": "Close chat" }, "×");
  const panel = h(
    "section",
    { class: "chat-panel", id: "chat-panel", testid: "chat-panel", hidden: true, "aria-label": "Support chat" },
    h("header", { class: "chat-panel-header" }, h("div", {}, h("strong", {}, "Support"), h("div", { class: "muted small" }, "We answer here, in real time.")), close),
    status,
    body,
  );
  const root = h("div", { class: "chat-launcher-root", testid: "chat-launcher-root" }, panel, button);
  host.appendChild(root);

  let thread: ThreadView | null = null;
  let open = false;

  const ensureThread = () => {
    const id = store.ownConversationId;
    if (thread || !id) return;
    thread = createThread(store, id, { placeholder: "Write to Support…" });
    replace(body, thread.element);
    thread.setVisible(open);
    store.open(id).catch((err: unknown) => {
      replace(body, h("div", { class: "chat-error", testid: "chat-error" }, chatErrorText(err)));
      thread = null;
    });
  };

  const render = () => {
    const id = store.ownConversationId;
    const unread = id ? store.unread(id) : 0;
    badge.hidden = unread <= 0 || open;
    badge.textContent = badgeText(unread);
    const text = linkStatusText(store.state);
    status.hidden = text === "";
    status.textContent = text;
    status.dataset.state = store.state.status;
    if (open) {
      ensureThread();
      if (!thread && !id) replace(body, h("div", { class: "chat-empty muted", testid: "chat-loading" }, "Opening the conversation…"));
    }
    thread?.refresh();
  };

  const setOpen = (value: boolean) => {
    open = value;
    panel.hidden = !value;
    button.setAttribute("aria-expanded", String(value));
    root.classList.toggle("open", value);
    render();
    thread?.setVisible(value);
    if (value) thread?.focus();
  };

  button.addEventListener("click", () => setOpen(!open));
  close.addEventListener("click", () => setOpen(false));
  const off = store.onChange(render);
  render();

  return () => {
    off();
    thread?.dispose();
    root.remove();
  };
}
