/**
 * The chat state of one signed-in user and its self-healing stream.
 *
 * One Subscribe stream per tab (a client: its own conversation; an administrator: all). Every
 * (re)connect resumes each loaded conversation from the last seq we hold (`resume_after_seq`),
 * so nothing is missed or shown twice across a network drop or a server restart (a known failure
 * of support chats: an agent misses another agent's reply after a reconnect; docs/contracts.md).
 * After the server's Ready the conversation list is re-read, which catches conversations and
 * counters that changed meanwhile.
 * The stream reconnects with backoff and jitter when it ends or fails, and when it has been
 * silent far longer than the server's heartbeat (states, backoff and online/offline handling: the
 * shared machine of net/reconnect.ts).
 */

import { ConnectError, Code } from "@connectrpc/connect";
import type { ChatEvent } from "../gen/energy/chat/v1/chat_pb.ts";
import { Reconnector, type Attempt, type ReconnectState } from "../net/reconnect.ts";
import {
  chatErrorText,
  isUnauthenticated,
  toConversation,
  toMsg,
  toPerson,
  withAuth,
  authHeaders,
  type ChatAuth,
  type ChatRpc,
  type Conversation,
} from "./client.ts";
import {
  CHAT_BACKOFF,
  lastSeqOf,
  mergeMessages,
  resumeMap,
  shouldSendTyping,
  sortConversations,
  STREAM_SILENCE_MS,
  totalUnread,
  TypingBoard,
  unreadCount,
  type Msg,
  type Person,
} from "./logic.ts";

export type ChatLinkState = ReconnectState;

export interface ChatTimers {
  setTimeout: (fn: () => void, ms: number) => number;
  clearTimeout: (id: number) => void;
  setInterval: (fn: () => void, ms: number) => number;
  clearInterval: (id: number) => void;
  now: () => number;
  random: () => number;
}

export interface ChatStoreOptions {
  /** null: no chat endpoint is configured. */
  rpc: ChatRpc | null;
  auth: ChatAuth;
  me: { id: string; role: "admin" | "client" };
  timers: ChatTimers;
  /** Subscribe to the browser's `online` event; returns unsubscribe. */
  onOnline?: (fn: () => void) => () => void;
  /** Subscribe to the browser's `offline` event; returns unsubscribe. */
  onOffline?: (fn: () => void) => () => void;
  /** navigator.onLine (assumed true when absent): a drop while offline waits for `online`. */
  isOnline?: () => boolean;
}

function newKey(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  return `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

export class ChatStore {
  readonly me: { id: string; role: "admin" | "client" };
  private readonly opts: ChatStoreOptions;
  private readonly t: ChatTimers;
  private readonly conversations = new Map<string, Conversation>();
  private readonly histories = new Map<string, Msg[]>();
  private readonly loading = new Map<string, Promise<void>>();
  readonly typingBoard = new TypingBoard();
  private readonly link: Reconnector;
  private readonly listeners = new Set<() => void>();
  private refreshedAfterAuthError = false;
  private watchdog: number | null = null;
  private typingTimer: number | null = null;
  private lastEventAt = 0;
  private readonly typingSentAt = new Map<string, number>();
  private readonly seenAsked = new Map<string, number>();
  private ownId: string | null = null;

  constructor(opts: ChatStoreOptions) {
    this.opts = opts;
    this.me = opts.me;
    this.t = opts.timers;
    const noop = () => undefined;
    this.link = new Reconnector({
      env: {
        setTimeout: (fn, ms) => this.t.setTimeout(fn, ms),
        clearTimeout: (id) => this.t.clearTimeout(id),
        now: () => this.t.now(),
        random: () => this.t.random(),
        isOnline: () => opts.isOnline?.() ?? true,
        // The browser lost the network: the stream may look open but will not deliver; the machine
        // drops it and, when the network is back, connects again (resuming from the last seq).
        listen: (event, fn) => (event === "online" ? opts.onOnline : opts.onOffline)?.(fn) ?? noop,
      },
      backoff: CHAT_BACKOFF,
      open: (attempt) => void this.openStream(attempt),
      onState: () => this.emit(),
    });
  }

  // ------------------------------------------------------------------ reading

  get state(): ChatLinkState {
    return this.link.state;
  }

  /** The client's own conversation id, once known. */
  get ownConversationId(): string | null {
    return this.ownId;
  }

  conversation(id: string): Conversation | undefined {
    return this.conversations.get(id);
  }

  /** All conversations, newest activity first. */
  list(): Conversation[] {
    return sortConversations(this.conversations.values());
  }

  messages(id: string): Msg[] | null {
    return this.histories.get(id) ?? null;
  }

  unread(id: string): number {
    const c = this.conversations.get(id);
    return c ? unreadCount(c.lastSeq, c.mySeenSeq) : 0;
  }

  totalUnread(): number {
    return totalUnread(this.conversations.values());
  }

  /** The other side's "seen up to" watermark: Support's for a client, the client's for an admin. */
  counterpartSeen(id: string): number {
    const c = this.conversations.get(id);
    if (!c) return 0;
    return this.me.role === "client" ? c.supportSeenSeq : c.clientSeenSeq;
  }

  /** Who else is typing in a conversation now. */
  typing(id: string): Person[] {
    return this.typingBoard.typing(id, this.t.now(), this.me.id);
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of [...this.listeners]) {
      try {
        fn();
      } catch (err) {
        console.error("chat listener failed", err);
      }
    }
  }

  // ------------------------------------------------------------------ lifecycle

  start(): void {
    if (this.link.state.status !== "idle") return;
    if (this.opts.rpc === null) {
      this.link.giveUp("The support chat is not configured on this server.");
      return;
    }
    this.watchdog = this.t.setInterval(() => this.checkSilence(), 5_000);
    this.link.start();
  }

  stop(): void {
    if (this.watchdog !== null) this.t.clearInterval(this.watchdog);
    if (this.typingTimer !== null) this.t.clearTimeout(this.typingTimer);
    this.watchdog = this.typingTimer = null;
    this.link.stop();
  }

  /** Drop the stream and connect again at once (resuming). */
  reconnectNow(): void {
    this.link.restart("Reconnecting now.");
  }

  private get rpc(): ChatRpc {
    if (this.opts.rpc === null) throw new Error("chat not configured");
    return this.opts.rpc;
  }

  /** One attempt: subscribe (resuming every loaded conversation) and apply events until it ends. */
  private async openStream(attempt: Attempt): Promise<void> {
    let token = "";
    try {
      token = await this.opts.auth.token();
      if (!attempt.current) return;
      this.lastEventAt = this.t.now();
      const stream = this.rpc.subscribe(
        { conversationId: "", resumeAfterSeq: resumeMap(this.histories) },
        { headers: authHeaders(token), signal: attempt.signal },
      );
      for await (const event of stream) {
        if (!attempt.current) return;
        this.lastEventAt = this.t.now();
        this.handle(event, attempt);
      }
      attempt.lost("The chat stream ended.");
    } catch (err) {
      if (!attempt.current) return;
      if (isUnauthenticated(err) && !this.refreshedAfterAuthError && token !== "") {
        this.refreshedAfterAuthError = true;
        try {
          await this.opts.auth.refresh(token);
        } catch {
          attempt.giveUp("Your session expired.");
          return;
        }
        if (attempt.current) void this.openStream(attempt);
        return;
      }
      const e = ConnectError.from(err);
      if (e.code === Code.PermissionDenied || isUnauthenticated(err)) {
        attempt.giveUp(chatErrorText(err));
        return;
      }
      attempt.lost(chatErrorText(err));
    }
  }

  private checkSilence(): void {
    if (this.link.state.status === "live" && this.t.now() - this.lastEventAt > STREAM_SILENCE_MS) {
      this.link.lost("The chat stream went silent.");
    }
  }

  // ------------------------------------------------------------------ events

  private handle(event: ChatEvent, attempt: Attempt): void {
    const e = event.event;
    switch (e.case) {
      case "message":
        this.applyMessage(toMsg(e.value));
        break;
      case "typing": {
        const who = toPerson(e.value.user);
        if (who.userId === this.me.id) return;
        this.typingBoard.apply(e.value.conversationId, who, e.value.typing, e.value.expiresInMs, this.t.now());
        this.scheduleTypingExpiry();
        break;
      }
      case "seen": {
        const who = toPerson(e.value.user);
        this.applySeen(e.value.conversationId, who, Number(e.value.seenSeq));
        break;
      }
      case "conversationCreated": {
        const c = toConversation(e.value);
        if (!this.conversations.has(c.conversationId)) this.conversations.set(c.conversationId, c);
        else this.mergeSummary(c);
        break;
      }
      case "ready":
        this.refreshedAfterAuthError = false;
        attempt.live();
        void this.afterReady(attempt);
        return;
      default:
        return;
    }
    this.emit();
  }

  /** Re-read the list (counters, new conversations) and, for a client, its history. */
  private async afterReady(attempt: Attempt): Promise<void> {
    try {
      await this.refreshList();
      if (!attempt.current) return;
      if (this.me.role === "client" && this.ownId) await this.open(this.ownId);
    } catch (err) {
      attempt.lost(chatErrorText(err));
    }
  }

  private applyMessage(m: Msg): void {
    const id = m.conversationId;
    const history = this.histories.get(id);
    if (history) this.histories.set(id, mergeMessages(history, [m]));
    this.typingBoard.messageFrom(id, m.sender.userId);
    const c = this.conversations.get(id);
    if (!c) {
      // A conversation we have not listed yet: the list read after Ready, or this one, adds it.
      void this.refreshList().catch(() => undefined);
      return;
    }
    if (m.seq > c.lastSeq) {
      c.lastSeq = m.seq;
      c.lastMessage = m;
    }
    c.lastActivityAt = Math.max(c.lastActivityAt, m.createdAt);
    // Sending moves the sender's own watermark on the server; mirror it.
    if (m.sender.userId === this.me.id) c.mySeenSeq = Math.max(c.mySeenSeq, m.seq);
    if (m.sender.role === "admin") c.supportSeenSeq = Math.max(c.supportSeenSeq, m.seq);
    if (m.sender.role === "client") c.clientSeenSeq = Math.max(c.clientSeenSeq, m.seq);
  }

  private applySeen(id: string, who: Person, seq: number): void {
    const c = this.conversations.get(id);
    if (!c) return;
    if (who.userId === this.me.id) c.mySeenSeq = Math.max(c.mySeenSeq, seq);
    if (who.role === "client") c.clientSeenSeq = Math.max(c.clientSeenSeq, seq);
    if (who.role === "admin") c.supportSeenSeq = Math.max(c.supportSeenSeq, seq);
  }

  /** Counters and watermarks only move forward, so an older summary never undoes a live event. */
  private mergeSummary(next: Conversation): void {
    const c = this.conversations.get(next.conversationId);
    if (!c) {
      this.conversations.set(next.conversationId, next);
      return;
    }
    if (next.lastSeq >= c.lastSeq) {
      c.lastSeq = next.lastSeq;
      c.lastMessage = next.lastMessage ?? c.lastMessage;
    }
    c.client = next.client;
    c.mySeenSeq = Math.max(c.mySeenSeq, next.mySeenSeq);
    c.clientSeenSeq = Math.max(c.clientSeenSeq, next.clientSeenSeq);
    c.supportSeenSeq = Math.max(c.supportSeenSeq, next.supportSeenSeq);
    c.lastActivityAt = Math.max(c.lastActivityAt, next.lastActivityAt);
  }

  private scheduleTypingExpiry(): void {
    if (this.typingTimer !== null) this.t.clearTimeout(this.typingTimer);
    this.typingTimer = null;
    const now = this.t.now();
    const next = this.typingBoard.nextExpiry(now);
    if (next === null) return;
    this.typingTimer = this.t.setTimeout(() => {
      this.typingTimer = null;
      this.emit();
      this.scheduleTypingExpiry();
    }, next - now + 20);
  }

  // ------------------------------------------------------------------ actions

  async refreshList(): Promise<void> {
    const res = await withAuth(this.opts.auth, (o) => this.rpc.listConversations({}, o));
    for (const s of res.conversations) this.mergeSummary(toConversation(s));
    if (this.me.role === "client" && res.conversations[0]) this.ownId = res.conversations[0].conversationId;
    this.emit();
  }

  /** Load a conversation's history (once; live events merge in meanwhile). */
  open(id: string): Promise<void> {
    if (this.histories.has(id) && !this.loading.has(id)) return Promise.resolve();
    const pending = this.loading.get(id);
    if (pending) return pending;
    this.histories.set(id, this.histories.get(id) ?? []);
    const work = (async () => {
      let after = 0;
      for (let page = 0; page < 20; page += 1) {
        const res = await withAuth(this.opts.auth, (o) =>
          this.rpc.getHistory({ conversationId: id, afterSeq: BigInt(after), limit: 500 }, o),
        );
        const batch = res.messages.map(toMsg);
        this.histories.set(id, mergeMessages(this.histories.get(id) ?? [], batch));
        const c = this.conversations.get(id);
        if (c && Number(res.lastSeq) > c.lastSeq) c.lastSeq = Number(res.lastSeq);
        after = lastSeqOf(batch) || after;
        if (!res.hasMore || batch.length === 0) break;
      }
    })();
    const tracked = work
      .catch((err: unknown) => {
        this.histories.delete(id);
        throw err;
      })
      .finally(() => {
        this.loading.delete(id);
        this.emit();
      });
    this.loading.set(id, tracked);
    return tracked;
  }

  isLoading(id: string): boolean {
    return this.loading.has(id);
  }

  /** Send a message: shown at once as "sending", replaced by the stored one. */
  async send(id: string, text: string): Promise<void> {
    const key = newKey();
    const me: Person = { userId: this.me.id, username: "", displayName: "", role: this.me.role };
    const local: Msg = { conversationId: id, seq: 0, sender: me, text, createdAt: this.t.now(), clientMessageId: key, local: "sending" };
    this.histories.set(id, mergeMessages(this.histories.get(id) ?? [], [local]));
    this.typingSentAt.delete(id);
    this.emit();
    try {
      const res = await withAuth(this.opts.auth, (o) => this.rpc.sendMessage({ conversationId: id, text, clientMessageId: key }, o));
      if (res.message) this.applyMessage(toMsg(res.message));
      const stored = res.message ? toMsg(res.message) : null;
      const history = this.histories.get(id) ?? [];
      this.histories.set(id, mergeMessages(history.filter((m) => m.clientMessageId !== key || m.seq > 0), stored ? [stored] : []));
      this.emit();
    } catch (err) {
      const history = this.histories.get(id) ?? [];
      this.histories.set(id, history.map((m) => (m.clientMessageId === key && m.seq === 0 ? { ...m, local: "failed" as const } : m)));
      this.emit();
      throw err;
    }
  }

  /** Forget a failed message (after the user took its text back). */
  discard(id: string, clientMessageId: string): void {
    const history = this.histories.get(id);
    if (!history) return;
    this.histories.set(id, history.filter((m) => !(m.clientMessageId === clientMessageId && m.seq === 0)));
    this.emit();
  }

  /** The composer changed: "typing" at most every ~2 s while there is text; "stopped" when cleared. */
  composing(id: string, hasText: boolean): void {
    if (this.opts.rpc === null) return;
    const now = this.t.now();
    if (!hasText) {
      if (this.typingSentAt.has(id)) {
        this.typingSentAt.delete(id);
        void withAuth(this.opts.auth, (o) => this.rpc.setTyping({ conversationId: id, stopped: true }, o)).catch(() => undefined);
      }
      return;
    }
    if (!shouldSendTyping(this.typingSentAt.get(id) ?? null, now)) return;
    this.typingSentAt.set(id, now);
    void withAuth(this.opts.auth, (o) => this.rpc.setTyping({ conversationId: id }, o)).catch(() => undefined);
  }

  /** The conversation is on screen: move our watermark to its newest message. */
  markSeen(id: string): void {
    const c = this.conversations.get(id);
    if (!c || this.opts.rpc === null) return;
    const newest = c.lastSeq;
    if (newest <= c.mySeenSeq || (this.seenAsked.get(id) ?? 0) >= newest) return;
    this.seenAsked.set(id, newest);
    void withAuth(this.opts.auth, (o) => this.rpc.markSeen({ conversationId: id, upToSeq: BigInt(newest) }, o))
      .then((res) => {
        c.mySeenSeq = Math.max(c.mySeenSeq, Number(res.seenSeq));
        this.emit();
      })
      .catch(() => {
        this.seenAsked.delete(id);
      });
  }
}

/** Browser timers for the store. */
export function browserChatTimers(): ChatTimers {
  return {
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (id) => window.clearTimeout(id),
    setInterval: (fn, ms) => window.setInterval(fn, ms),
    clearInterval: (id) => window.clearInterval(id),
    now: () => Date.now(),
    random: () => Math.random(),
  };
}
