/**
 * Administrators' live channel: silent-meter episodes of every client, pushed by the timer
 * function to each administrator's user id. (Clients get theirs through LiveUpdates.)
 */

import type { Api } from "../api/index.ts";
import { SessionExpiredError } from "../api/errors.ts";
import { RealtimeConnection, type ConnectionEnv } from "../realtime/connection.ts";
import type { PushedSilence } from "../realtime/messages.ts";

export type SilenceListener = (change: "silent" | "resumed", episode: PushedSilence) => void;

export class AdminLive {
  private connection: RealtimeConnection | null = null;
  private userId: string | null = null;
  private readonly api: Api;
  private readonly env: ConnectionEnv;
  private readonly onSilence: SilenceListener;

  constructor(api: Api, env: ConnectionEnv, onSilence: SilenceListener) {
    this.api = api;
    this.env = env;
    this.onSilence = onSilence;
  }

  start(userId: string): void {
    if (this.userId === userId && this.connection) return;
    this.stop();
    this.userId = userId;
    this.connection = new RealtimeConnection({
      env: this.env,
      negotiate: async () => (await this.api.me.negotiateRealtime()).url,
      isFatal: (err) => err instanceof SessionExpiredError,
      onState: () => undefined,
      onConnected: () => undefined,
      onMessage: (message) => {
        if (message.type === "meter.silent") this.onSilence("silent", message.episode);
        else if (message.type === "meter.resumed") this.onSilence("resumed", message.episode);
      },
    });
    this.connection.start();
  }

  stop(): void {
    this.connection?.stop();
    this.connection = null;
    this.userId = null;
  }
}
