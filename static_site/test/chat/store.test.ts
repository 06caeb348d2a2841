/** ChatStore with a scripted service: resume after a drop, de-duplication, refresh-once, backoff. */

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { ChatAuth, ChatRpc } from "../../src/chat/client.ts";
import { ChatStore, type ChatTimers } from "../../src/chat/store.ts";
import {
  ChatEventSchema,
  ChatMessageSchema,
  ConversationSummarySchema,
  ParticipantSchema,
  Role,
  type ChatEvent,
  type SubscribeRequest,
} from "../../src/gen/energy/chat/v1/chat_pb.ts";

const CLIENT = create(ParticipantSchema, { userId: "u-ana", username: "ana", displayName: "Ana", role: Role.CLIENT });
const ADMIN = create(ParticipantSchema, { userId: "u-sue", username: "sue", displayName: "Sue", role: Role.ADMIN });

function messageEvent(seq: number, text: string, sender = ADMIN): ChatEvent {
  return create(ChatEventSchema, {
    event: { case: "message", value: create(ChatMessageSchema, { conversationId: "c1", seq: BigInt(seq), sender, text }) },
  });
}
const ready = () => create(ChatEventSchema, { event: { case: "ready", value: { lastSeq: {} } } });

/** A server stream the test pushes events into, then ends or fails. */
class Stream implements AsyncIterable<ChatEvent> {
  private queue: (ChatEvent | { end: true } | { error: unknown })[] = [];
  private wake: (() => void) | null = null;
  push(item: ChatEvent | { end: true } | { error: unknown }): void {
    this.queue.push(item);
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<ChatEvent> {
    for (;;) {
      const item = this.queue.shift();
      if (!item) {
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      if ("end" in item) return;
      if ("error" in item) throw item.error;
      yield item;
    }
  }
}

function fakeService(history: ChatEvent[] = []) {
  const subscribes: { req: SubscribeRequest; token: string; stream: Stream }[] = [];
  const rpc = {
    subscribe: (req: SubscribeRequest, opts: { headers: Record<string, string> }) => {
      const stream = new Stream();
      subscribes.push({ req, token: opts.headers.authorization ?? "", stream });
      return stream;
    },
    listConversations: async () => ({
      conversations: [create(ConversationSummarySchema, { conversationId: "c1", client: CLIENT, lastSeq: BigInt(history.length), mySeenSeq: BigInt(history.length) })],
    }),
    getHistory: async () => ({
      messages: history.flatMap((e) => (e.event.case === "message" ? [e.event.value] : [])),
      lastSeq: BigInt(history.length),
      hasMore: false,
    }),
    markSeen: async (req: { upToSeq: bigint }) => ({ seenSeq: req.upToSeq, unreadCount: 0n }),
    setTyping: async () => ({ accepted: true }),
    sendMessage: async () => ({}),
  };
  return { rpc: rpc as unknown as ChatRpc, subscribes };
}

function manualTimers(): ChatTimers & { now_: number; fire: () => void; delays: number[] } {
  let nextId = 1;
  const pending = new Map<number, { fn: () => void; at: number }>();
  const t = {
    now_: 0,
    delays: [] as number[],
    setTimeout: (fn: () => void, ms: number) => {
      t.delays.push(ms);
      pending.set(nextId, { fn, at: t.now_ + ms });
      return nextId++;
    },
    clearTimeout: (id: number) => void pending.delete(id),
    setInterval: () => 0,
    clearInterval: () => undefined,
    now: () => t.now_,
    random: () => 0.5,
    /** Run every pending timeout. */
    fire: () => {
      const due = [...pending.entries()];
      pending.clear();
      for (const [, p] of due) p.fn();
    },
  };
  return t;
}

const settle = () => new Promise((r) => setTimeout(r, 0));
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i += 1) await settle();
  expect(pred()).toBe(true);
}

function auth(): ChatAuth & { refreshed: string[]; current: string } {
  const a = {
    current: "t1",
    refreshed: [] as string[],
    token: async () => a.current,
    refresh: async (stale: string) => {
      a.refreshed.push(stale);
      a.current = "t2";
    },
  };
  return a;
}

describe("ChatStore", () => {
  it("resumes from the last seq it holds after the stream fails, without duplicates", async () => {
    const history = [messageEvent(1, "one", CLIENT), messageEvent(2, "two")];
    const { rpc, subscribes } = fakeService(history);
    const timers = manualTimers();
    const store = new ChatStore({ rpc, auth: auth(), me: { id: "u-ana", role: "client" }, timers });
    store.start();
    await until(() => subscribes.length === 1);
    expect(subscribes[0]!.req.resumeAfterSeq).toEqual({});
    subscribes[0]!.stream.push(ready());
    await until(() => store.state.status === "live" && (store.messages("c1")?.length ?? 0) === 2);

    subscribes[0]!.stream.push(messageEvent(3, "three"));
    await until(() => store.messages("c1")?.length === 3);
    expect(store.unread("c1")).toBe(1);

    // the server restarts: UNAVAILABLE → reconnecting with backoff, then a resumed stream
    subscribes[0]!.stream.push({ error: new ConnectError("server stopping", Code.Unavailable) });
    await until(() => store.state.status === "reconnecting");
    expect(timers.delays.at(-1)).toBe(375); // attempt 0: 250 + 250 × 0.5
    timers.fire();
    await until(() => subscribes.length === 2);
    expect(subscribes[1]!.req.resumeAfterSeq).toEqual({ c1: 3n });

    // the replay repeats 3 (at-least-once) and brings 4: kept once each, in order
    subscribes[1]!.stream.push(messageEvent(3, "three"));
    subscribes[1]!.stream.push(messageEvent(4, "four"));
    subscribes[1]!.stream.push(ready());
    await until(() => store.state.status === "live" && store.messages("c1")?.length === 4);
    expect(store.messages("c1")?.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    store.stop();
  });

  it("a stream that just ends is reconnected too, with growing delays", async () => {
    const { rpc, subscribes } = fakeService();
    const timers = manualTimers();
    const store = new ChatStore({ rpc, auth: auth(), me: { id: "u-ana", role: "client" }, timers });
    store.start();
    await until(() => subscribes.length === 1);
    subscribes[0]!.stream.push({ end: true });
    await until(() => store.state.status === "reconnecting");
    timers.fire();
    await until(() => subscribes.length === 2);
    subscribes[1]!.stream.push({ error: new ConnectError("down", Code.Unavailable) });
    await until(() => timers.delays.length === 2);
    expect(timers.delays).toEqual([375, 750]);
    store.stop();
    expect(store.state.status).toBe("idle");
  });

  it("on UNAUTHENTICATED the stream refreshes the token once and reconnects with the new one", async () => {
    const { rpc, subscribes } = fakeService();
    const a = auth();
    const store = new ChatStore({ rpc, auth: a, me: { id: "u-ana", role: "client" }, timers: manualTimers() });
    store.start();
    await until(() => subscribes.length === 1);
    subscribes[0]!.stream.push({ error: new ConnectError("expired", Code.Unauthenticated) });
    await until(() => subscribes.length === 2);
    expect(a.refreshed).toEqual(["t1"]);
    expect(subscribes[1]!.token).toBe("Bearer t2");
    // rejected again right away: no refresh loop, the chat says why
    subscribes[1]!.stream.push({ error: new ConnectError("still bad", Code.Unauthenticated) });
    await until(() => store.state.status === "unavailable");
    expect(a.refreshed).toEqual(["t1"]);
    store.stop();
  });

  it("typing shows until its expiry and ends with the typist's message; own typing is never shown", async () => {
    const { rpc, subscribes } = fakeService();
    const timers = manualTimers();
    const store = new ChatStore({ rpc, auth: auth(), me: { id: "u-ana", role: "client" }, timers });
    store.start();
    await until(() => subscribes.length === 1);
    const typing = (user = ADMIN) =>
      create(ChatEventSchema, { event: { case: "typing", value: { conversationId: "c1", user, typing: true, expiresInMs: 6000 } } });
    subscribes[0]!.stream.push(ready());
    subscribes[0]!.stream.push(typing(CLIENT));
    subscribes[0]!.stream.push(typing());
    await until(() => store.typing("c1").length === 1);
    expect(store.typing("c1")[0]?.userId).toBe("u-sue");
    timers.now_ = 6001;
    expect(store.typing("c1")).toEqual([]);
    timers.now_ = 7000;
    subscribes[0]!.stream.push(typing());
    await until(() => store.typing("c1").length === 1);
    subscribes[0]!.stream.push(messageEvent(1, "hi"));
    await until(() => store.typing("c1").length === 0);
    store.stop();
  });

  it("throttles typing to one call per 2 s and sends a stop when the text is cleared", async () => {
    const { rpc } = fakeService();
    const calls: { stopped?: boolean }[] = [];
    (rpc as unknown as { setTyping: (r: { stopped?: boolean }) => Promise<unknown> }).setTyping = async (r) => {
      calls.push(r);
      return { accepted: true };
    };
    const timers = manualTimers();
    const store = new ChatStore({ rpc, auth: auth(), me: { id: "u-ana", role: "client" }, timers });
    store.start();
    store.composing("c1", true);
    timers.now_ = 500;
    store.composing("c1", true);
    timers.now_ = 2100;
    store.composing("c1", true);
    store.composing("c1", false);
    store.composing("c1", false);
    await until(() => calls.length === 3);
    expect(calls.map((c) => Boolean(c.stopped))).toEqual([false, false, true]);
    store.stop();
  });

  it("drops the stream when the browser goes offline and resumes at once when it is back", async () => {
    const { rpc, subscribes } = fakeService([messageEvent(1, "one", CLIENT)]);
    let online = () => undefined as void;
    let offline = () => undefined as void;
    const store = new ChatStore({
      rpc,
      auth: auth(),
      me: { id: "u-ana", role: "client" },
      timers: manualTimers(),
      onOnline: (fn) => ((online = fn), () => undefined),
      onOffline: (fn) => ((offline = fn), () => undefined),
    });
    store.start();
    await until(() => subscribes.length === 1);
    subscribes[0]!.stream.push(ready());
    await until(() => store.messages("c1")?.length === 1);
    offline();
    expect(store.state.status).toBe("offline");
    online();
    await until(() => subscribes.length === 2);
    expect(subscribes[1]!.req.resumeAfterSeq).toEqual({ c1: 1n });
    store.stop();
  });

  it("a stream that fails while the browser has no network waits offline, without retry timers", async () => {
    const { rpc, subscribes } = fakeService();
    const timers = manualTimers();
    let network = true;
    let online = () => undefined as void;
    const store = new ChatStore({
      rpc,
      auth: auth(),
      me: { id: "u-ana", role: "client" },
      timers,
      isOnline: () => network,
      onOnline: (fn) => ((online = fn), () => undefined),
    });
    store.start();
    await until(() => subscribes.length === 1);
    subscribes[0]!.stream.push(ready());
    await until(() => store.state.status === "live");
    network = false; // the `offline` event was missed; the stream fails
    subscribes[0]!.stream.push({ error: new ConnectError("network error", Code.Unavailable) });
    await until(() => store.state.status === "offline");
    expect(timers.delays).toEqual([]);
    network = true;
    online();
    await until(() => subscribes.length === 2);
    store.stop();
  });

  it("a session that cannot be refreshed leaves the chat unavailable, whatever the network does", async () => {
    const { rpc, subscribes } = fakeService();
    const a = auth();
    a.refresh = async () => {
      throw new Error("refresh token revoked");
    };
    let online = () => undefined as void;
    let offline = () => undefined as void;
    const store = new ChatStore({
      rpc,
      auth: a,
      me: { id: "u-ana", role: "client" },
      timers: manualTimers(),
      onOnline: (fn) => ((online = fn), () => undefined),
      onOffline: (fn) => ((offline = fn), () => undefined),
    });
    store.start();
    await until(() => subscribes.length === 1);
    subscribes[0]!.stream.push({ error: new ConnectError("expired", Code.Unauthenticated) });
    await until(() => store.state.status === "unavailable");
    expect(store.state).toEqual({ status: "unavailable", reason: "Your session expired." });
    offline();
    online();
    await settle();
    expect(store.state.status).toBe("unavailable");
    expect(subscribes).toHaveLength(1);
    store.stop();
    expect(store.state.status).toBe("idle");
  });
});
