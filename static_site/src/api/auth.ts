/** Sign-in endpoints: login, current user, password change, health. */

import type { HttpClient } from "./http.ts";
import type { TokenResponse, User } from "./types.ts";

export function createAuthApi(http: HttpClient) {
  return {
    login(username: string, password: string): Promise<TokenResponse> {
      return http.post<TokenResponse>("/auth/login", { username, password }, { auth: false });
    },
    /** Change the caller's password; answers a new token pair (the other sessions end). */
    changePassword(oldPassword: string, newPassword: string): Promise<TokenResponse> {
      return http.post<TokenResponse>("/me/password", { old_password: oldPassword, new_password: newPassword });
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
