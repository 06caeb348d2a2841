/**
 * The chat of the signed-in user: loads the runtime config once, keeps one ChatStore per signed-in
 * user (stopped on sign-out), reports the unread total, and mounts the client's launcher.
 */

import "./chat.css";
import type { Session } from "../auth.ts";
import { createChatRpc, type ChatAuth } from "./client.ts";
import { loadChatBaseUrl } from "./config.ts";
import { browserChatTimers, ChatStore } from "./store.ts";
import { mountLauncher } from "./ui/launcher.ts";

export interface ChatHubOptions {
  session: Session;
  /** The REST client's shared refresh (one refresh for every caller). */
  refresh: (staleToken: string) => Promise<void>;
  refreshSkewMs: number;
  /** The total of unread messages changed (nav badge). */
  onUnread: (count: number) => void;
}

type StoreListener = (store: ChatStore | null) => void;

export class ChatHub {
  private store: ChatStore | null = null;
  private userId: string | null = null;
  private readonly listeners = new Set<StoreListener>();
  private readonly opts: ChatHubOptions;
  private readonly baseUrl: Promise<string | null>;
  private unmountLauncher: (() => void) | null = null;
  private offStore: (() => void) | null = null;

  constructor(opts: ChatHubOptions) {
    this.opts = opts;
    this.baseUrl = loadChatBaseUrl((input, init) => window.fetch(input, init), {
      VITE_CHAT_BASE_URL: import.meta.env.VITE_CHAT_BASE_URL as string | undefined,
    });
    opts.session.subscribe(() => void this.follow());
    void this.follow();
  }

  get current(): ChatStore | null {
    return this.store;
  }

  /** Called now and whenever the store changes (sign-in, sign-out). */
  onStore(fn: StoreListener): () => void {
    this.listeners.add(fn);
    fn(this.store);
    return () => this.listeners.delete(fn);
  }

  private auth(): ChatAuth {
    const { session, refresh, refreshSkewMs } = this.opts;
    return {
      token: async () => {
        const current = session.current;
        if (current === null) throw new Error("signed out");
        if (session.accessTokenIsStale(refreshSkewMs)) await refresh(current.accessToken);
        const now = session.current;
        if (now === null) throw new Error("signed out");
        return now.accessToken;
      },
      refresh: (stale) => refresh(stale),
    };
  }

  private async follow(): Promise<void> {
    const user = this.opts.session.user;
    const id = user ? `${user.id}:${user.role}` : null;
    if (id === this.userId) return;
    this.userId = id;
    this.teardown();
    if (!user) return;
    const baseUrl = await this.baseUrl;
    if (this.userId !== id) return;
    const store = new ChatStore({
      rpc: baseUrl ? createChatRpc(baseUrl) : null,
      auth: this.auth(),
      me: { id: user.id, role: user.role },
      timers: browserChatTimers(),
      onOnline: (fn) => {
        window.addEventListener("online", fn);
        return () => window.removeEventListener("online", fn);
      },
      onOffline: (fn) => {
        window.addEventListener("offline", fn);
        return () => window.removeEventListener("offline", fn);
      },
      isOnline: () => navigator.onLine !== false,
    });
    this.store = store;
    let lastUnread = -1;
    this.offStore = store.onChange(() => {
      const unread = store.totalUnread();
      if (unread !== lastUnread) {
        lastUnread = unread;
        this.opts.onUnread(unread);
      }
    });
    if (user.role === "client") this.unmountLauncher = mountLauncher(document.body, store);
    store.start();
    for (const fn of this.listeners) fn(store);
  }

  private teardown(): void {
    this.unmountLauncher?.();
    this.unmountLauncher = null;
    this.offStore?.();
    this.offStore = null;
    if (this.store) {
      this.store.stop();
      this.store = null;
      this.opts.onUnread(0);
      for (const fn of this.listeners) fn(null);
    }
  }
}

let hub: ChatHub | null = null;

/** Start the chat of this tab (once, from main.ts). */
export function startChatHub(opts: ChatHubOptions): ChatHub {
  hub ??= new ChatHub(opts);
  return hub;
}

/** The tab's chat hub (pages use it; null before main.ts started it). */
export function chatHub(): ChatHub | null {
  return hub;
}
