/** What every page receives: the API, the session, notifications and navigation. */

import type { Api } from "./api/index.ts";
import type { Session } from "./auth.ts";
import type { AppConfig } from "./config.ts";
import type { LiveUpdates } from "./realtime/live.ts";
import type { Toasts } from "./ui/toast.ts";

export interface Services {
  config: AppConfig;
  api: Api;
  session: Session;
  toasts: Toasts;
  /** Live updates of the signed-in client (idle for administrators). */
  live: LiveUpdates;
  /** The viewer's IANA time zone; days are cut in it. */
  timeZone: string;
  navigate: (hash: string, opts?: { replace?: boolean }) => void;
  /** Change the URL without rendering the page again. */
  replaceUrl: (hash: string) => void;
  /** A message for the next login page (e.g. "Your session expired"). */
  flash: { set: (message: string) => void; take: () => string | null };
}
