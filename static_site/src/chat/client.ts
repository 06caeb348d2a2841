/**
 * The typed chat client: the generated ChatService over gRPC-Web (binary), with the platform's
 * access token in the `authorization` metadata. Unary calls that come back UNAUTHENTICATED
 * refresh the token pair once and retry once; the stream does the same in the store.
 */

import { Code, ConnectError, createClient, type CallOptions, type Client } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  ChatService,
  Role,
  type ChatMessage,
  type ConversationSummary,
  type Participant,
} from "../gen/energy/chat/v1/chat_pb.ts";
import type { Msg, Person } from "./logic.ts";

export type ChatRpc = Client<typeof ChatService>;

export interface ChatAuth {
  /** The current access token (renewed first when it is about to expire). */
  token: () => Promise<string>;
  /** Renew the token pair after `staleToken` was rejected (shared with the REST client). */
  refresh: (staleToken: string) => Promise<void>;
}

export function createChatRpc(baseUrl: string, fetchImpl?: typeof globalThis.fetch): ChatRpc {
  const transport = createGrpcWebTransport({
    baseUrl: baseUrl.replace(/\/+$/, ""),
    useBinaryFormat: true,
    // Bind fetch: calling window.fetch unbound throws "Illegal invocation" in browsers.
    fetch: fetchImpl ?? ((input, init) => globalThis.fetch(input, init)),
  });
  return createClient(ChatService, transport);
}

export function authHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function isUnauthenticated(err: unknown): boolean {
  return ConnectError.from(err).code === Code.Unauthenticated;
}

/** Run a unary call with the token; on UNAUTHENTICATED refresh once and retry once. */
export async function withAuth<T>(auth: ChatAuth, call: (opts: CallOptions) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const token = await auth.token();
  try {
    return await call({ headers: authHeaders(token), signal });
  } catch (err) {
    if (!isUnauthenticated(err)) throw err;
    await auth.refresh(token);
    return call({ headers: authHeaders(await auth.token()), signal });
  }
}

/** A readable sentence for a failed call. */
export function chatErrorText(err: unknown): string {
  const e = ConnectError.from(err);
  switch (e.code) {
    case Code.Unavailable:
      return "The chat service cannot be reached right now.";
    case Code.Unauthenticated:
      return "Your session is no longer valid. Please sign in again.";
    case Code.PermissionDenied:
      return "You cannot access this conversation.";
    case Code.InvalidArgument:
    case Code.OutOfRange:
    case Code.NotFound:
      return e.rawMessage || "The request was refused.";
    case Code.DeadlineExceeded:
      return "The chat service took too long to answer.";
    default:
      return e.rawMessage || "Something went wrong in the chat.";
  }
}

// ------------------------------------------------------------------ proto → plain

export function toPerson(p: Participant | undefined): Person {
  return {
    userId: p?.userId ?? "",
    username: p?.username ?? "",
    displayName: p?.displayName ?? "",
    role: p?.role === Role.ADMIN ? "admin" : p?.role === Role.CLIENT ? "client" : "unknown",
  };
}

export function toMsg(m: ChatMessage): Msg {
  return {
    conversationId: m.conversationId,
    seq: Number(m.seq),
    sender: toPerson(m.sender),
    text: m.text,
    createdAt: m.createdAt ? timestampMs(m.createdAt) : 0,
    clientMessageId: m.clientMessageId,
  };
}

export interface Conversation {
  conversationId: string;
  client: Person;
  lastSeq: number;
  lastMessage: Msg | null;
  mySeenSeq: number;
  clientSeenSeq: number;
  supportSeenSeq: number;
  lastActivityAt: number;
  createdAt: number;
}

export function toConversation(c: ConversationSummary): Conversation {
  return {
    conversationId: c.conversationId,
    client: toPerson(c.client),
    lastSeq: Number(c.lastSeq),
    lastMessage: c.lastMessage ? toMsg(c.lastMessage) : null,
    mySeenSeq: Number(c.mySeenSeq),
    clientSeenSeq: Number(c.clientSeenSeq),
    supportSeenSeq: Number(c.supportSeenSeq),
    lastActivityAt: c.lastActivityAt ? timestampMs(c.lastActivityAt) : 0,
    createdAt: c.createdAt ? timestampMs(c.createdAt) : 0,
  };
}
