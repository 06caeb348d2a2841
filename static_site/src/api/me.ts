/** The signed-in client's own resources: `/api/me/...`. */

import type { HttpClient } from "./http.ts";
import type { DayConsumption, Device, Page } from "./types.ts";

export function createMeApi(http: HttpClient) {
  return {
    devices(query: { limit?: number; offset?: number } = {}): Promise<Page<Device>> {
      return http.get<Page<Device>>("/me/devices", { ...query });
    },
    consumption(id: string, date: string, tz: string, signal?: AbortSignal): Promise<DayConsumption> {
      return http.get<DayConsumption>(`/me/devices/${encodeURIComponent(id)}/consumption`, { date, tz }, signal);
    },
  };
}

export type MeApi = ReturnType<typeof createMeApi>;
