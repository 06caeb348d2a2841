/** Typed, validated settings of the browser app, read once from Vite's build-time env. */

export interface AppConfig {
  /** REST API base without a trailing slash; `/api` means same origin (local runner, SWA linked backend). */
  readonly apiBaseUrl: string;
  readonly appName: string;
  /** localStorage key holding the session (tokens and the signed-in user). */
  readonly sessionStorageKey: string;
  /** Refresh the access token this long before it expires, instead of waiting for a 401. */
  readonly refreshSkewMs: number;
  /** Rows per page in the admin tables. */
  readonly pageSize: number;
}

export interface ConfigEnv {
  readonly VITE_API_BASE_URL?: string;
}

/** Build the config from an env object; throws with the key and value when a value is unusable. */
export function readConfig(env: ConfigEnv): AppConfig {
  const raw = (env.VITE_API_BASE_URL ?? "").trim() || "/api";
  if (!raw.startsWith("/") && !/^https?:\/\//.test(raw)) {
    throw new Error(`VITE_API_BASE_URL must be a path like /api or an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  return {
    apiBaseUrl: raw.replace(/\/+$/, ""),
    appName: "Energy Utility",
    sessionStorageKey: "energy-utility.session.v1",
    refreshSkewMs: 30_000,
    pageSize: 20,
  };
}

export const config: AppConfig = readConfig(import.meta.env);
