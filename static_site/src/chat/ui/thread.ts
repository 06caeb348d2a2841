/**
 * One conversation on screen: history with receipts, the typing line, and the composer
 * (Enter sends, Shift+Enter is a new line, 2000 characters at most, empty refused).
 */

import { h, replace } from "../../ui/dom.ts";
import { chatErrorText } from "../client.ts";
import { charCount, checkDraft, MAX_MESSAGE_CHARS, receiptFor, typingText, type Msg } from "../logic.ts";
import type { ChatStore } from "../store.ts";

export interface ThreadView {
  element: HTMLElement;
  /** Re-render from the store (called on every store change). */
  refresh: () => void;
  /** Whether the thread is on screen (marks messages seen only then). */
  setVisible: (visible: boolean) => void;
  focus: () => void;
  dispose: () => void;
}

const TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const DAY_TIME = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

export function messageTime(ms: number, now = Date.now()): string {
  if (!ms) return "";
  const sameDay = new Date(ms).toDateString() === new Date(now).toDateString();
  return sameDay ? TIME.format(ms) : DAY_TIME.format(ms);
}

const RECEIPT_TEXT = { sending: "…", failed: "!", sent: "✓", seen: "✓✓" } as const;
const RECEIPT_LABEL = { sending: "Sending", failed: "Not sent", sent: "Sent", seen: "Seen" } as const;

export function createThread(store: ChatStore, conversationId: string, opts: { placeholder: string }): ThreadView {
  const id = conversationId;
  const list = h("div", { class: "chat-messages", testid: "chat-messages", role: "log", "aria-live": "polite" });
  const typingLine = h("div", { class: "chat-typing", testid: "chat-typing", "aria-live": "polite" });
  const input = h("textarea", {
    class: "chat-input",
    testid: "chat-input",
    rows: 2,
    placeholder: opts.placeholder,
    "aria-label": "Message",
  });
  const counter = h("span", { class: "chat-counter", testid: "chat-counter" }, `0 / ${MAX_MESSAGE_CHARS}`);
  const error = h("div", { class: "chat-error", testid: "chat-error", role: "alert", hidden: true });
  const sendBtn = h("button", { class: "btn btn-primary chat-send", type: "button", testid: "chat-send" }, "Send");
  const composer = h(
    "div",
    { class: "chat-composer" },
    input,
    h("div", { class: "chat-composer-row" }, h("span", { class: "muted small" }, "Enter to send · Shift+Enter for a new line"), counter, sendBtn),
  );
  const element = h("div", { class: "chat-thread", testid: "chat-thread", "data-conversation-id": id }, list, typingLine, error, composer);
  let visible = false;
  let renderedKey = "";
  let firstRender = true;

  const showError = (text: string | null) => {
    error.hidden = text === null;
    error.textContent = text ?? "";
  };

  const updateCounter = () => {
    const n = charCount(input.value);
    counter.textContent = `${n} / ${MAX_MESSAGE_CHARS}`;
    counter.classList.toggle("over", n > MAX_MESSAGE_CHARS);
  };

  const submit = () => {
    const check = checkDraft(input.value);
    if (!check.ok) {
      showError(check.reason === "empty" ? "Write a message first." : `A message can have at most ${MAX_MESSAGE_CHARS} characters.`);
      return;
    }
    showError(null);
    const text = check.text;
    input.value = "";
    updateCounter();
    store.send(id, text).catch((err: unknown) => {
      showError(`Not sent: ${chatErrorText(err)}`);
      if (input.value === "") {
        input.value = text;
        updateCounter();
        const failed = (store.messages(id) ?? []).find((m) => m.local === "failed" && m.text === text);
        if (failed) store.discard(id, failed.clientMessageId);
      }
    });
  };

  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", () => {
    updateCounter();
    if (error.textContent && charCount(input.value) <= MAX_MESSAGE_CHARS) showError(null);
    store.composing(id, input.value.trim() !== "");
  });
  sendBtn.addEventListener("click", submit);

  const renderMessage = (m: Msg, counterpartSeen: number): HTMLElement => {
    const mine = m.sender.userId === store.me.id || (store.me.role === "admin" && m.sender.role === "admin");
    const own = m.sender.userId === store.me.id;
    const name = m.sender.displayName || m.sender.username;
    const who = own ? "You" : store.me.role === "client" ? "Support" : name;
    const receipt = mine ? receiptFor(m, counterpartSeen) : null;
    return h(
      "div",
      {
        class: `chat-message ${mine ? "mine" : "theirs"}${m.local ? ` ${m.local}` : ""}`,
        testid: "chat-message",
        "data-seq": m.seq,
        "data-mine": mine ? "true" : "false",
      },
      h("div", { class: "chat-bubble" }, h("div", { class: "chat-text", testid: "chat-message-text" }, m.text)),
      h(
        "div",
        { class: "chat-meta" },
        h("span", {}, who),
        h("span", {}, messageTime(m.createdAt)),
        receipt
          ? h("span", { class: `chat-receipt ${receipt}`, testid: "chat-receipt", "data-state": receipt, title: RECEIPT_LABEL[receipt], "aria-label": RECEIPT_LABEL[receipt] }, RECEIPT_TEXT[receipt])
          : null,
      ),
    );
  };

  const refresh = () => {
    const messages = store.messages(id);
    const seen = store.counterpartSeen(id);
    const loading = store.isLoading(id) && (messages?.length ?? 0) === 0;
    const key = `${loading}|${seen}|${(messages ?? []).map((m) => `${m.seq}:${m.clientMessageId}:${m.local ?? ""}`).join(",")}`;
    if (key !== renderedKey) {
      renderedKey = key;
      const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
      if (loading) replace(list, h("div", { class: "chat-empty muted", testid: "chat-loading" }, "Loading messages…"));
      else if (!messages || messages.length === 0)
        replace(list, h("div", { class: "chat-empty muted", testid: "chat-empty" }, store.me.role === "client" ? "Ask us anything — Support usually answers within minutes." : "No messages yet."));
      else replace(list, messages.map((m) => renderMessage(m, seen)));
      if (nearBottom || firstRender) list.scrollTop = list.scrollHeight;
      firstRender = loading;
    }
    const typing = store.typing(id);
    const text = typingText(typing, store.me.role === "client");
    typingLine.textContent = text;
    typingLine.classList.toggle("on", text !== "");
    if (visible && document.visibilityState === "visible") store.markSeen(id);
  };

  const onVisibility = () => {
    if (visible && document.visibilityState === "visible") store.markSeen(id);
  };
  document.addEventListener("visibilitychange", onVisibility);

  return {
    element,
    refresh,
    setVisible: (v) => {
      visible = v;
      if (v) refresh();
    },
    focus: () => input.focus(),
    dispose: () => {
      document.removeEventListener("visibilitychange", onVisibility);
      if (input.value.trim() !== "") store.composing(id, false);
    },
  };
}
