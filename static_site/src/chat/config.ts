/** Where the chat's gRPC-Web endpoint is: `/config.json` at start, else the build-time env. */

export interface ChatEnv {
  readonly VITE_CHAT_BASE_URL?: string;
}

function usable(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const v = value.trim();
  return /^https?:\/\//.test(v) || v.startsWith("/") ? v.replace(/\/+$/, "") || "/" : null;
}

/** The chat base URL, or null when none is configured (the chat is then shown as unavailable). */
export async function loadChatBaseUrl(
  fetchFn: (input: string, init?: RequestInit) => Promise<Response>,
  env: ChatEnv,
): Promise<string | null> {
  try {
    const res = await fetchFn("/config.json", { headers: { Accept: "application/json" }, cache: "no-store" });
    if (res.ok) {
      const body = (await res.json()) as { chatBaseUrl?: unknown } | null;
      const url = usable(body?.chatBaseUrl);
      if (url) return url;
    }
  } catch {
    // no runtime config (e.g. `npm run dev`): fall back to the build-time setting
  }
  return usable(env.VITE_CHAT_BASE_URL);
}
