/**
 * Pure rules of the support chat (no DOM, no network): merging messages by seq, unread counts,
 * typing indicators that expire, receipts, draft validation, conversation ordering.
 */

import { backoffDelay, type BackoffPolicy } from "../net/reconnect.ts";

/** The most characters a message may have (the server counts code points, so do we). */
export const MAX_MESSAGE_CHARS = 2000;
/** While the user types, tell the server at most this often (it throttles at ~2 s too). */
export const TYPING_SEND_INTERVAL_MS = 2_000;
/** When the server gave no expiry, an indicator lasts this long. */
export const DEFAULT_TYPING_TTL_MS = 6_000;
/** Without any event (heartbeats come every ~20 s) the stream is presumed dead after this long. */
export const STREAM_SILENCE_MS = 45_000;
export const CHAT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 15_000, factor: 2 };

export interface Person {
  userId: string;
  username: string;
  displayName: string;
  role: "client" | "admin" | "unknown";
}

export interface Msg {
  conversationId: string;
  /** 0 while not yet stored (pending). */
  seq: number;
  sender: Person;
  text: string;
  createdAt: number;
  clientMessageId: string;
  /** Local only: "sending" until the server answers, "failed" when it did not. */
  local?: "sending" | "failed";
}

/**
 * Merge stored messages into a list: one entry per seq (the later copy wins), ascending seq;
 * pending local messages whose clientMessageId arrived stored are dropped, the rest stay last.
 */
export function mergeMessages(existing: readonly Msg[], incoming: readonly Msg[]): Msg[] {
  const bySeq = new Map<number, Msg>();
  const pending: Msg[] = [];
  for (const m of existing) {
    if (m.seq > 0) bySeq.set(m.seq, m);
    else pending.push(m);
  }
  for (const m of incoming) {
    if (m.seq > 0) bySeq.set(m.seq, m);
    else pending.push(m);
  }
  const stored = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const storedKeys = new Set(stored.map((m) => m.clientMessageId).filter((k) => k !== ""));
  const stillPending = pending.filter((m) => !storedKeys.has(m.clientMessageId));
  return [...stored, ...stillPending];
}

/** Highest stored seq in a list (0 when none). */
export function lastSeqOf(messages: readonly Msg[]): number {
  let max = 0;
  for (const m of messages) if (m.seq > max) max = m.seq;
  return max;
}

/** Messages after the viewer's watermark, never negative. */
export function unreadCount(lastSeq: number, mySeenSeq: number): number {
  return Math.max(0, lastSeq - mySeenSeq);
}

/** Sum of unread counts (the nav badge). */
export function totalUnread(items: Iterable<{ lastSeq: number; mySeenSeq: number }>): number {
  let total = 0;
  for (const c of items) total += unreadCount(c.lastSeq, c.mySeenSeq);
  return total;
}

export type Receipt = "sending" | "failed" | "sent" | "seen";

/** ✓ stored, ✓✓ once the counterparty's watermark reached the message. */
export function receiptFor(message: Msg, counterpartSeenSeq: number): Receipt {
  if (message.local) return message.local;
  return message.seq > 0 && message.seq <= counterpartSeenSeq ? "seen" : "sent";
}

export type DraftCheck = { ok: true; text: string } | { ok: false; reason: "empty" | "too-long" };

/** Count like the server (code points), not UTF-16 units. */
export function charCount(text: string): number {
  return [...text].length;
}

export function checkDraft(text: string): DraftCheck {
  if (text.trim() === "") return { ok: false, reason: "empty" };
  if (charCount(text) > MAX_MESSAGE_CHARS) return { ok: false, reason: "too-long" };
  return { ok: true, text };
}

/** Who is typing where, each entry expiring on its own. */
export class TypingBoard {
  private readonly until = new Map<string, { person: Person; expiresAt: number }>();

  private static key(conversationId: string, userId: string): string {
    return `${conversationId}\u0000${userId}`;
  }

  /** A typing event: start/refresh with its expiry, or stop. */
  apply(conversationId: string, person: Person, typing: boolean, expiresInMs: number, now: number): void {
    const key = TypingBoard.key(conversationId, person.userId);
    if (!typing) {
      this.until.delete(key);
      return;
    }
    const ttl = expiresInMs > 0 ? expiresInMs : DEFAULT_TYPING_TTL_MS;
    this.until.set(key, { person, expiresAt: now + ttl });
  }

  /** A message from that person ends their indicator. */
  messageFrom(conversationId: string, userId: string): void {
    this.until.delete(TypingBoard.key(conversationId, userId));
  }

  /** People typing in a conversation now (expired entries are dropped). */
  typing(conversationId: string, now: number, exceptUserId?: string): Person[] {
    const out: Person[] = [];
    for (const [key, entry] of this.until) {
      if (entry.expiresAt <= now) {
        this.until.delete(key);
        continue;
      }
      if (key.startsWith(`${conversationId}\u0000`) && entry.person.userId !== exceptUserId) out.push(entry.person);
    }
    return out;
  }

  /** The earliest expiry still ahead (to schedule a re-render), or null. */
  nextExpiry(now: number): number | null {
    let next: number | null = null;
    for (const entry of this.until.values()) {
      if (entry.expiresAt > now && (next === null || entry.expiresAt < next)) next = entry.expiresAt;
    }
    return next;
  }
}

/**
 * Whether to send "typing" now: at most once per interval while text is being composed; after
 * a stop (text cleared or sent) the next keystroke sends at once.
 */
export function shouldSendTyping(lastSentAt: number | null, now: number, intervalMs = TYPING_SEND_INTERVAL_MS): boolean {
  return lastSentAt === null || now - lastSentAt >= intervalMs;
}

/** Reconnect delay for the chat stream (exponential, equal jitter, capped at 15 s). */
export function chatBackoff(attempt: number, random: () => number = Math.random): number {
  return backoffDelay(attempt, random, CHAT_BACKOFF);
}

/** The resume map: for each conversation whose messages are loaded, the last seq we have. */
export function resumeMap(loaded: Iterable<[string, readonly Msg[]]>): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const [id, messages] of loaded) out[id] = BigInt(lastSeqOf(messages));
  return out;
}

export interface ConversationLike {
  conversationId: string;
  lastActivityAt: number;
}

/** Newest activity first; ties by id so the order is stable. */
export function sortConversations<T extends ConversationLike>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => b.lastActivityAt - a.lastActivityAt || a.conversationId.localeCompare(b.conversationId));
}

/** "Ana is typing…", "Support is typing…", "Ana and Bob are typing…". */
export function typingText(people: readonly Person[], supportLabel: boolean): string {
  if (people.length === 0) return "";
  if (supportLabel) return "Support is typing…";
  const names = people.map((p) => p.displayName || p.username);
  return names.length === 1 ? `${names[0]} is typing…` : `${names.join(" and ")} are typing…`;
}

/** A short one-line preview of a message. */
export function preview(text: string, max = 80): string {
  const line = text.replace(/\s+/g, " ").trim();
  return charCount(line) > max ? `${[...line].slice(0, max - 1).join("")}…` : line;
}
