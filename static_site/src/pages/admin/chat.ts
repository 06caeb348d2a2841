/**
 * Administrators' support desk (`#/admin/chat`): every conversation (newest activity first, with
 * unread count and last message, live), and up to four conversations open side by side.
 */

import { chatHub } from "../../chat/hub.ts";
import { preview } from "../../chat/logic.ts";
import type { ChatStore } from "../../chat/store.ts";
import { linkStatusText } from "../../chat/ui/launcher.ts";
import { createThread, messageTime, type ThreadView } from "../../chat/ui/thread.ts";
import { h, replace } from "../../ui/dom.ts";
import { badgeText, pageHeader } from "../../ui/layout.ts";
import type { MountedPage, PageContext } from "../page.ts";

const MAX_OPEN = 4;

interface Pane {
  id: string;
  element: HTMLElement;
  title: HTMLElement;
  typing: HTMLElement;
  thread: ThreadView;
}

export function adminChatPage(_ctx: PageContext): MountedPage {
  const status = h("div", { class: "chat-status", testid: "chat-status", hidden: true, role: "status" });
  const listEl = h("ul", { class: "chat-list", testid: "chat-conversation-list", "aria-label": "Conversations" });
  const panesEl = h("div", { class: "chat-panes", testid: "chat-panes" });
  const element = h(
    "section",
    { class: "chat-desk-page", testid: "admin-chat-page" },
    pageHeader("Support", "Conversations with clients, newest activity first. Open several to answer them side by side."),
    status,
    h("div", { class: "chat-desk" }, h("aside", { class: "chat-list-box card" }, listEl), panesEl),
  );
  const panes: Pane[] = [];
  let store: ChatStore | null = null;
  let offChange: (() => void) | null = null;

  const renderEmptyPanes = () => {
    if (panes.length === 0) {
      replace(panesEl, h("div", { class: "chat-empty muted chat-panes-empty", testid: "chat-no-pane" }, "Pick a conversation on the left to answer it."));
    }
  };

  const closePane = (id: string) => {
    const i = panes.findIndex((p) => p.id === id);
    if (i < 0) return;
    const [pane] = panes.splice(i, 1);
    pane?.thread.dispose();
    pane?.element.remove();
    renderEmptyPanes();
    renderList();
  };

  const openPane = (id: string) => {
    if (!store) return;
    const existing = panes.find((p) => p.id === id);
    if (existing) {
      existing.thread.focus();
      return;
    }
    if (panes.length >= MAX_OPEN) closePane(panes[0]?.id ?? "");
    if (panes.length === 0) replace(panesEl);
    const thread = createThread(store, id, { placeholder: "Answer…" });
    const title = h("div", { class: "chat-pane-title" });
    const typing = h("span", { class: "chat-pane-sub muted small" });
    const close = h("button", { class: "btn btn-ghost chat-close", type: "button", testid: "chat-pane-close", "aria-label": "Close conversation" }, "×");
    const element = h(
      "section",
      { class: "chat-pane card", testid: "chat-pane", "data-conversation-id": id },
      h("header", { class: "chat-pane-header" }, h("div", {}, title, typing), close),
      thread.element,
    );
    close.addEventListener("click", () => closePane(id));
    const pane: Pane = { id, element, title, typing, thread };
    panes.push(pane);
    panesEl.appendChild(element);
    renderPane(pane);
    thread.setVisible(true);
    thread.focus();
    store.open(id).catch(() => undefined);
    renderList();
  };

  const renderPane = (pane: Pane) => {
    const c = store?.conversation(pane.id);
    const name = c ? c.client.displayName || c.client.username : "Conversation";
    replace(pane.title, h("strong", { testid: "chat-pane-name" }, name), c ? h("span", { class: "muted small" }, ` @${c.client.username}`) : null);
    const seen = c ? c.clientSeenSeq : 0;
    pane.typing.textContent = c && c.lastSeq > 0 ? (seen >= c.lastSeq ? "Seen by the client" : `Client has seen ${seen} of ${c.lastSeq}`) : "";
    pane.thread.refresh();
  };

  const renderList = () => {
    if (!store) return;
    const openIds = new Set(panes.map((p) => p.id));
    // Conversations are created when a client first signs in; list them once they have a message.
    const items = store.list().filter((c) => c.lastSeq > 0);
    if (items.length === 0) {
      replace(listEl, h("li", { class: "chat-empty muted", testid: "chat-list-empty" }, store.state.status === "live" ? "No conversations yet." : "Loading…"));
      return;
    }
    replace(
      listEl,
      items.map((c) => {
        const unread = store?.unread(c.conversationId) ?? 0;
        const typing = (store?.typing(c.conversationId) ?? []).length > 0;
        const last = c.lastMessage;
        const who = last ? (last.sender.role === "admin" ? "Support: " : "") : "";
        const row = h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: `chat-row${openIds.has(c.conversationId) ? " open" : ""}${unread > 0 ? " unread" : ""}`,
              testid: "chat-conversation-row",
              "data-conversation-id": c.conversationId,
              "data-username": c.client.username,
              "data-unread": unread,
            },
            h(
              "div",
              { class: "chat-row-top" },
              h("strong", { class: "chat-row-name", testid: "chat-row-name" }, c.client.displayName || c.client.username),
              h("span", { class: "muted small chat-row-time" }, messageTime(c.lastActivityAt)),
            ),
            h(
              "div",
              { class: "chat-row-bottom" },
              h(
                "span",
                { class: `chat-row-preview${typing ? " typing" : ""}`, testid: "chat-row-preview" },
                typing ? "typing…" : last ? who + preview(last.text, 60) : "No messages yet",
              ),
              unread > 0 ? h("span", { class: "nav-badge chat-row-unread", testid: "chat-row-unread" }, badgeText(unread)) : null,
            ),
          ),
        );
        row.querySelector("button")?.addEventListener("click", () => openPane(c.conversationId));
        return row;
      }),
    );
  };

  const render = () => {
    if (!store) return;
    const text = linkStatusText(store.state);
    status.hidden = text === "";
    status.textContent = text;
    status.dataset.state = store.state.status;
    renderList();
    for (const pane of panes) renderPane(pane);
  };

  const offStore =
    chatHub()?.onStore((s) => {
      offChange?.();
      offChange = null;
      store = s;
      if (s) {
        offChange = s.onChange(render);
        render();
      }
    }) ?? null;
  renderEmptyPanes();
  if (!chatHub()) replace(listEl, h("li", { class: "chat-empty muted" }, "The chat is not available."));

  return {
    element,
    dispose: () => {
      offStore?.();
      offChange?.();
      for (const pane of panes) pane.thread.dispose();
    },
  };
}
