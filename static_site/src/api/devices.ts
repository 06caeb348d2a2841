/** Admin device management: `/api/devices`, including any device's day of consumption. */

import type { HttpClient } from "./http.ts";
import type { RangeQuery } from "./me.ts";
import type { CreatedDevice, DayConsumption, Device, DeviceCreate, DeviceKey, DeviceUpdate, Download, FleetDevice, Page, RangeConsumption, Tariff, TariffAssignment } from "./types.ts";

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
    consumptionRange(id: string, query: RangeQuery, signal?: AbortSignal): Promise<RangeConsumption> {
      return http.get<RangeConsumption>(`${path(id)}/consumption`, { ...query }, signal);
    },
    exportFile(id: string, format: "csv" | "xml", query: RangeQuery): Promise<Download> {
      const { from, to, tz } = query;
      return http.download(`${path(id)}/consumption.${format}`, { from, to, tz });
    },
    tariffHistory(id: string): Promise<{ items: TariffAssignment[] }> {
      return http.get<{ items: TariffAssignment[] }>(`${path(id)}/tariffs`);
    },
    /** Bill the device by a tariff from a local date (midnight in the tariff's zone) on. */
    assignTariff(id: string, tariffId: string, effectiveFrom: string): Promise<{ items: TariffAssignment[] }> {
      return http.post<{ items: TariffAssignment[] }>(`${path(id)}/tariffs`, { tariff_id: tariffId, effective_from: effectiveFrom });
    },
    tariffs(): Promise<{ items: Tariff[] }> {
      return http.get<{ items: Tariff[] }>("/tariffs");
    },
    createFlatTariff(body: { name: string; currency: string; tz: string; valid_from: string; price_per_kwh: string }): Promise<Tariff> {
      return http.post<Tariff>("/tariffs", { ...body, kind: "flat" });
    },
  };
}

export type DevicesApi = ReturnType<typeof createDevicesApi>;
