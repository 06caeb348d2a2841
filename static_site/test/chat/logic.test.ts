import { describe, expect, it } from "vitest";
import {
  chatBackoff,
  charCount,
  checkDraft,
  lastSeqOf,
  mergeMessages,
  preview,
  receiptFor,
  resumeMap,
  shouldSendTyping,
  sortConversations,
  totalUnread,
  TypingBoard,
  typingText,
  unreadCount,
  type Msg,
  type Person,
} from "../../src/chat/logic.ts";

const ana: Person = { userId: "u-ana", username: "ana", displayName: "Ana", role: "client" };
const sup: Person = { userId: "u-sup", username: "sup", displayName: "Sue", role: "admin" };

function msg(seq: number, text = `m${seq}`, extra: Partial<Msg> = {}): Msg {
  return { conversationId: "c1", seq, sender: ana, text, createdAt: seq * 1000, clientMessageId: "", ...extra };
}

describe("mergeMessages", () => {
  it("orders by seq and drops duplicates (a replay after reconnect)", () => {
    const merged = mergeMessages([msg(1), msg(2), msg(3)], [msg(3), msg(2), msg(4)]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it("fills a gap delivered out of order", () => {
    expect(mergeMessages([msg(1), msg(4)], [msg(3), msg(2)]).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it("replaces a pending message by its stored copy (same client key), keeps others pending last", () => {
    const pendingA = msg(0, "a", { clientMessageId: "ka", local: "sending" });
    const pendingB = msg(0, "b", { clientMessageId: "kb", local: "sending" });
    const merged = mergeMessages([msg(1), pendingA, pendingB], [msg(2, "a", { clientMessageId: "ka" })]);
    expect(merged.map((m) => [m.seq, m.text, m.local ?? null])).toEqual([
      [1, "m1", null],
      [2, "a", null],
      [0, "b", "sending"],
    ]);
  });

  it("lastSeqOf ignores pending messages", () => {
    expect(lastSeqOf([msg(1), msg(5), msg(0, "p", { local: "sending" })])).toBe(5);
    expect(lastSeqOf([])).toBe(0);
  });
});

describe("unread and receipts", () => {
  it("unread is last seq minus the watermark, never negative", () => {
    expect(unreadCount(7, 4)).toBe(3);
    expect(unreadCount(4, 7)).toBe(0);
    expect(totalUnread([{ lastSeq: 5, mySeenSeq: 2 }, { lastSeq: 3, mySeenSeq: 3 }, { lastSeq: 2, mySeenSeq: 0 }])).toBe(5);
  });

  it("✓ when stored, ✓✓ once the counterpart's watermark reaches the message", () => {
    expect(receiptFor(msg(3), 2)).toBe("sent");
    expect(receiptFor(msg(3), 3)).toBe("seen");
    expect(receiptFor(msg(3), 9)).toBe("seen");
    expect(receiptFor(msg(0, "x", { local: "sending" }), 9)).toBe("sending");
    expect(receiptFor(msg(0, "x", { local: "failed" }), 9)).toBe("failed");
  });
});

describe("drafts", () => {
  it("refuses empty and whitespace-only text", () => {
    expect(checkDraft("")).toEqual({ ok: false, reason: "empty" });
    expect(checkDraft("  \n\t ")).toEqual({ ok: false, reason: "empty" });
  });

  it("allows 2000 characters, refuses 2001, counting code points like the server", () => {
    expect(checkDraft("x".repeat(2000)).ok).toBe(true);
    expect(checkDraft("x".repeat(2001))).toEqual({ ok: false, reason: "too-long" });
    const emoji = "😀".repeat(2000); // 4000 UTF-16 units, 2000 code points
    expect(charCount(emoji)).toBe(2000);
    expect(checkDraft(emoji).ok).toBe(true);
  });

  it("previews one line, cut with an ellipsis", () => {
    expect(preview("a\n b   c")).toBe("a b c");
    expect(preview("abcdefghij", 5)).toBe("abcd…");
  });
});

describe("TypingBoard", () => {
  it("shows a typist until the expiry, then drops them", () => {
    const board = new TypingBoard();
    board.apply("c1", sup, true, 6000, 1000);
    expect(board.typing("c1", 6999)).toEqual([sup]);
    expect(board.typing("c2", 6999)).toEqual([]);
    expect(board.typing("c1", 7000)).toEqual([]);
  });

  it("a refresh extends, a stop or a message ends it", () => {
    const board = new TypingBoard();
    board.apply("c1", sup, true, 6000, 0);
    board.apply("c1", sup, true, 6000, 4000);
    expect(board.typing("c1", 9000)).toEqual([sup]);
    board.apply("c1", sup, false, 0, 9100);
    expect(board.typing("c1", 9100)).toEqual([]);
    board.apply("c1", sup, true, 6000, 9200);
    board.messageFrom("c1", sup.userId);
    expect(board.typing("c1", 9300)).toEqual([]);
  });

  it("never shows the viewer, uses a default expiry, reports the next expiry", () => {
    const board = new TypingBoard();
    board.apply("c1", ana, true, 0, 0);
    board.apply("c1", sup, true, 2000, 0);
    expect(board.typing("c1", 100, ana.userId)).toEqual([sup]);
    expect(board.nextExpiry(100)).toBe(2000);
    expect(board.typing("c1", 5999).map((p) => p.userId)).toEqual(["u-ana"]);
    expect(board.nextExpiry(6000)).toBeNull();
  });

  it("labels: Support for clients, names for administrators", () => {
    expect(typingText([sup], true)).toBe("Support is typing…");
    expect(typingText([ana], false)).toBe("Ana is typing…");
    expect(typingText([ana, sup], false)).toBe("Ana and Sue are typing…");
    expect(typingText([], true)).toBe("");
  });
});

describe("typing throttle", () => {
  it("sends at once, then at most every 2 s", () => {
    expect(shouldSendTyping(null, 0)).toBe(true);
    expect(shouldSendTyping(1000, 2999)).toBe(false);
    expect(shouldSendTyping(1000, 3000)).toBe(true);
  });
});

describe("reconnect", () => {
  it("backs off exponentially with equal jitter, capped at 15 s", () => {
    expect(chatBackoff(0, () => 0)).toBe(250);
    expect(chatBackoff(0, () => 1)).toBe(500);
    expect(chatBackoff(3, () => 0)).toBe(2000);
    expect(chatBackoff(3, () => 1)).toBe(4000);
    expect(chatBackoff(20, () => 1)).toBe(15_000);
    expect(chatBackoff(20, () => 0)).toBe(7_500);
  });

  it("resumes every loaded conversation from the last stored seq it holds", () => {
    const map = resumeMap(
      new Map([
        ["c1", [msg(1), msg(2), msg(0, "p", { local: "sending" })]],
        ["c2", []],
      ]),
    );
    expect(map).toEqual({ c1: 2n, c2: 0n });
  });
});

describe("sortConversations", () => {
  it("newest activity first, stable by id", () => {
    const sorted = sortConversations([
      { conversationId: "b", lastActivityAt: 5 },
      { conversationId: "a", lastActivityAt: 9 },
      { conversationId: "c", lastActivityAt: 5 },
    ]);
    expect(sorted.map((c) => c.conversationId)).toEqual(["a", "b", "c"]);
  });
});
