/** Admin device management: `/api/devices`, including any device's day of consumption. */

import type { HttpClient } from "./http.ts";
import type { CreatedDevice, DayConsumption, Device, DeviceCreate, DeviceKey, DeviceUpdate, FleetDevice, Page } from "./types.ts";

export interface DeviceListQuery {
  limit?: number;
  offset?: number;
  owner_id?: string;
  status?: "reporting" | "late" | "silent" | "never";
  q?: string;
  sort?: string;
}

export function createDevicesApi(http: HttpClient) {
  const path = (id: string) => `/devices/${encodeURIComponent(id)}`;
  return {
    list(query: DeviceListQuery = {}): Promise<Page<FleetDevice>> {
      return http.get<Page<FleetDevice>>("/devices", { ...query });
    },
    get(id: string): Promise<Device> {
      return http.get<Device>(path(id));
    },
    create(body: DeviceCreate): Promise<CreatedDevice> {
      return http.post<CreatedDevice>("/devices", body);
    },
    update(id: string, body: DeviceUpdate): Promise<Device> {
      return http.patch<Device>(path(id), body);
    },
    remove(id: string): Promise<void> {
      return http.delete<void>(path(id));
    },
    /** Issue a new meter key; the old one stops working. */
    rotateKey(id: string): Promise<DeviceKey> {
      return http.post<DeviceKey>(`${path(id)}/key`, {});
    },
    consumption(id: string, date: string, tz: string, signal?: AbortSignal): Promise<DayConsumption> {
      return http.get<DayConsumption>(`${path(id)}/consumption`, { date, tz }, signal);
    },
  };
}

export type DevicesApi = ReturnType<typeof createDevicesApi>;
