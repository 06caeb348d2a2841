/** Sign-in endpoints: login, current user, health. */

import type { HttpClient } from "./http.ts";
import type { TokenResponse, User } from "./types.ts";

export function createAuthApi(http: HttpClient) {
  return {
    login(username: string, password: string): Promise<TokenResponse> {
      return http.post<TokenResponse>("/auth/login", { username, password }, { auth: false });
    },
    me(): Promise<User> {
      return http.get<User>("/auth/me");
    },
    health(): Promise<unknown> {
      return http.request("/health", { auth: false });
    },
  };
}

export type AuthApi = ReturnType<typeof createAuthApi>;
