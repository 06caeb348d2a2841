/**
 * The generated connect-web client (and the app's ChatStore) against the real chat server behind
 * the local gRPC-Web bridge, under Node. Run by tests/local/test_grpcweb_connect_node.py, which
 * starts both and passes BRIDGE_URL, CLIENT_TOKEN, CLIENT2_TOKEN, ADMIN_TOKEN, CLIENT2_ID, ADMIN_ID.
 */

import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { authHeaders, createChatRpc, withAuth, type ChatAuth, type ChatRpc } from "../../src/chat/client.ts";
import { ChatStore, type ChatTimers } from "../../src/chat/store.ts";
import type { ChatEvent } from "../../src/gen/energy/chat/v1/chat_pb.ts";
import { Role } from "../../src/gen/energy/chat/v1/chat_pb.ts";

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through tests/local/test_grpcweb_connect_node.py)`);
  return value;
}

const BRIDGE_URL = need("BRIDGE_URL");
const CLIENT = need("CLIENT_TOKEN");
const CLIENT2 = need("CLIENT2_TOKEN");
const ADMIN = need("ADMIN_TOKEN");
const CLIENT2_ID = need("CLIENT2_ID");
const ADMIN_ID = need("ADMIN_ID");

const rpc: ChatRpc = createChatRpc(BRIDGE_URL);
const as = (token: string) => ({ headers: authHeaders(token), timeoutMs: 10_000 });

async function codeOf(work: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await work;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    const e = err as ConnectError;
    return { code: e.code, message: e.rawMessage };
  }
  throw new Error("the call succeeded but should have failed");
}

async function ownConversation(token: string): Promise<string> {
  const res = await rpc.listConversations({}, as(token));
  expect(res.conversations).toHaveLength(1);
  return res.conversations[0]!.conversationId;
}

/** Read a stream in the background; resolves events that match, until aborted. */
function collect(token: string, resume: Record<string, bigint> = {}) {
  const abort = new AbortController();
  const events: ChatEvent[] = [];
  const waiters: { pred: (e: ChatEvent) => boolean; resolve: (e: ChatEvent) => void }[] = [];
  let failure: unknown = null;
  const done = (async () => {
    try {
      for await (const event of rpc.subscribe({ conversationId: "", resumeAfterSeq: resume }, { headers: authHeaders(token), signal: abort.signal })) {
        events.push(event);
        for (const w of [...waiters]) {
          if (w.pred(event)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) failure = err;
    }
  })();
  const next = (pred: (e: ChatEvent) => boolean, within = 5_000): Promise<ChatEvent> => {
    const found = events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event within ${within} ms (failure: ${String(failure)})`)), within);
      waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  };
  return { events, next, close: async () => (abort.abort(), await done), failure: () => failure };
}

describe("unary calls through the bridge", () => {
  it("a client sends; ListConversations shows it to the client and to an administrator", async () => {
    const id = await ownConversation(CLIENT);
    const sent = await rpc.sendMessage({ conversationId: id, text: "hello from node", clientMessageId: "node-1" }, as(CLIENT));
    const m = sent.message!;
    expect(m.conversationId).toBe(id);
    expect(m.seq).toBeGreaterThan(0n);
    expect(m.text).toBe("hello from node");
    expect(m.sender?.role).toBe(Role.CLIENT);
    expect(m.createdAt).toBeDefined();

    // idempotent retry: same key, same stored message
    const again = await rpc.sendMessage({ conversationId: id, text: "hello from node", clientMessageId: "node-1" }, as(CLIENT));
    expect(again.message?.seq).toBe(m.seq);

    const adminList = await rpc.listConversations({}, as(ADMIN));
    const mine = adminList.conversations.find((c) => c.conversationId === id);
    expect(mine?.lastMessage?.text).toBe("hello from node");
    expect(mine?.unreadCount).toBeGreaterThanOrEqual(1n);

    const history = await rpc.getHistory({ conversationId: id, afterSeq: 0n }, as(ADMIN));
    expect(history.messages.map((x) => x.text)).toContain("hello from node");

    const seen = await rpc.markSeen({ conversationId: id, upToSeq: m.seq }, as(ADMIN));
    expect(seen.seenSeq).toBe(m.seq);
    expect(seen.unreadCount).toBe(0n);
  });
});

describe("server streaming through the bridge", () => {
  it("each side receives what the other sends, plus typing and seen", async () => {
    const id = await ownConversation(CLIENT);
    const admin = collect(ADMIN);
    const client = collect(CLIENT);
    try {
      await admin.next((e) => e.event.case === "ready");
      await client.next((e) => e.event.case === "ready");

      await rpc.sendMessage({ conversationId: id, text: "client → admin" }, as(CLIENT));
      const got = await admin.next((e) => e.event.case === "message" && e.event.value.text === "client → admin");
      expect(got.event.case === "message" && got.event.value.conversationId).toBe(id);

      await rpc.setTyping({ conversationId: id }, as(ADMIN));
      const typing = await client.next((e) => e.event.case === "typing" && e.event.value.typing);
      expect(typing.event.case === "typing" && typing.event.value.expiresInMs).toBeGreaterThan(0);

      const reply = await rpc.sendMessage({ conversationId: id, text: "admin → client" }, as(ADMIN));
      const back = await client.next((e) => e.event.case === "message" && e.event.value.text === "admin → client");
      expect(back.event.case === "message" && back.event.value.sender?.role).toBe(Role.ADMIN);

      await rpc.markSeen({ conversationId: id, upToSeq: reply.message!.seq }, as(CLIENT));
      const seen = await admin.next((e) => e.event.case === "seen" && e.event.value.seenSeq === reply.message!.seq);
      expect(seen.event.case === "seen" && seen.event.value.user?.role).toBe(Role.CLIENT);
    } finally {
      await admin.close();
      await client.close();
    }
    expect(admin.failure()).toBeNull();
  });

  it("resume_after_seq replays exactly what came after, then goes live", async () => {
    const id = await ownConversation(CLIENT);
    const first = await rpc.sendMessage({ conversationId: id, text: "resume-1" }, as(CLIENT));
    await rpc.sendMessage({ conversationId: id, text: "resume-2" }, as(ADMIN));
    await rpc.sendMessage({ conversationId: id, text: "resume-3" }, as(ADMIN));
    const stream = collect(CLIENT, { [id]: first.message!.seq });
    try {
      await stream.next((e) => e.event.case === "ready");
      const replayed = stream.events.flatMap((e) => (e.event.case === "message" ? [e.event.value.text] : []));
      expect(replayed).toEqual(["resume-2", "resume-3"]);
    } finally {
      await stream.close();
    }
  });
});

describe("errors map to ConnectError codes", () => {
  it("PERMISSION_DENIED for a client addressing another client's conversation", async () => {
    const other = await ownConversation(CLIENT2);
    const history = await codeOf(rpc.getHistory({ conversationId: other }, as(CLIENT)));
    expect(history.code).toBe(Code.PermissionDenied);
    const send = await codeOf(rpc.sendMessage({ conversationId: other, text: "hi" }, as(CLIENT)));
    expect(send.code).toBe(Code.PermissionDenied);
    expect(send.message.length).toBeGreaterThan(0);
  });

  it("UNAUTHENTICATED for a bad or missing token, on unary calls and on the stream", async () => {
    expect((await codeOf(rpc.listConversations({}, as("not-a-token")))).code).toBe(Code.Unauthenticated);
    expect((await codeOf(rpc.listConversations({}, { timeoutMs: 10_000 })))).toMatchObject({ code: Code.Unauthenticated });
    const stream = collect("not-a-token");
    await new Promise((r) => setTimeout(r, 500));
    await stream.close();
    expect(ConnectError.from(stream.failure()).code).toBe(Code.Unauthenticated);
  });

  it("INVALID_ARGUMENT for empty and over-long text, OUT_OF_RANGE for a seq from the future", async () => {
    const id = await ownConversation(CLIENT);
    const empty = await codeOf(rpc.sendMessage({ conversationId: id, text: "   " }, as(CLIENT)));
    expect(empty.code).toBe(Code.InvalidArgument);
    expect(empty.message).not.toBe("");
    const long = await codeOf(rpc.sendMessage({ conversationId: id, text: "x".repeat(2001) }, as(CLIENT)));
    expect(long.code).toBe(Code.InvalidArgument);
    const future = await codeOf(rpc.markSeen({ conversationId: id, upToSeq: 1_000_000n }, as(CLIENT)));
    expect(future.code).toBe(Code.OutOfRange);
  });

  it("withAuth refreshes once on UNAUTHENTICATED and retries with the new token", async () => {
    let token = "expired-token";
    const refreshed: string[] = [];
    const auth: ChatAuth = {
      token: async () => token,
      refresh: async (stale) => {
        refreshed.push(stale);
        token = CLIENT;
      },
    };
    const res = await withAuth(auth, (o) => rpc.listConversations({}, o));
    expect(res.conversations).toHaveLength(1);
    expect(refreshed).toEqual(["expired-token"]);
  });
});

describe("the app's ChatStore against the real service", () => {
  const nodeTimers: ChatTimers = {
    setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
    clearTimeout: (id) => clearTimeout(id),
    setInterval: (fn, ms) => setInterval(fn, ms) as unknown as number,
    clearInterval: (id) => clearInterval(id),
    now: () => Date.now(),
    random: () => Math.random(),
  };
  const staticAuth = (token: string): ChatAuth => ({ token: async () => token, refresh: async () => undefined });

  async function until(pred: () => boolean, within = 5_000): Promise<void> {
    const end = Date.now() + within;
    while (!pred()) {
      if (Date.now() > end) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it("a client store and an admin store see each other's messages, unread counts and receipts", async () => {
    const clientStore = new ChatStore({ rpc, auth: staticAuth(CLIENT2), me: { id: CLIENT2_ID, role: "client" }, timers: nodeTimers });
    const adminStore = new ChatStore({ rpc, auth: staticAuth(ADMIN), me: { id: ADMIN_ID, role: "admin" }, timers: nodeTimers });
    clientStore.start();
    adminStore.start();
    try {
      await until(() => clientStore.state.status === "live" && adminStore.state.status === "live" && clientStore.ownConversationId !== null);
      const id = clientStore.ownConversationId!;
      await until(() => clientStore.messages(id) !== null && !clientStore.isLoading(id));
      await clientStore.send(id, "store says hi");
      await until(() => adminStore.unread(id) >= 1);
      expect(adminStore.list().find((c) => c.conversationId === id)?.lastMessage?.text).toBe("store says hi");

      await adminStore.open(id);
      expect(adminStore.messages(id)?.map((m) => m.text)).toContain("store says hi");
      adminStore.markSeen(id);
      await until(() => adminStore.unread(id) === 0 && clientStore.counterpartSeen(id) >= (clientStore.conversation(id)?.lastSeq ?? 1));

      adminStore.composing(id, true);
      await until(() => clientStore.typing(id).length === 1);
      await adminStore.send(id, "store answers");
      await until(() => (clientStore.messages(id) ?? []).some((m) => m.text === "store answers"));
      expect(clientStore.typing(id)).toEqual([]);
      expect(clientStore.unread(id)).toBe(1);
      // no duplicates by seq
      const seqs = (clientStore.messages(id) ?? []).map((m) => m.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      clientStore.stop();
      adminStore.stop();
    }
  });
});
