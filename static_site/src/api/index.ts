/** The REST API client, one typed module per resource over a shared HttpClient. */

import { createAuthApi } from "./auth.ts";
import { createConsoleApi } from "./console.ts";
import { createDevicesApi } from "./devices.ts";
import type { HttpClient } from "./http.ts";
import { createMeApi } from "./me.ts";
import { createUsersApi } from "./users.ts";

export function createApi(http: HttpClient) {
  return {
    auth: createAuthApi(http),
    users: createUsersApi(http),
    devices: createDevicesApi(http),
    me: createMeApi(http),
    console: createConsoleApi(http),
  };
}

export type Api = ReturnType<typeof createApi>;
