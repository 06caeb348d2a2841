/** The signed-in client's own resources: `/api/me/...`. */

import type { HttpClient } from "./http.ts";
import type { AckAllResult, Alert, AlertPage, AlertQuery, DayConsumption, Device, Download, NegotiateResult, Page, RangeConsumption } from "./types.ts";

export interface RangeQuery {
  from: string;
  to: string;
  tz: string;
  group_by?: "hour" | "day" | "week" | "month";
}

export function createMeApi(http: HttpClient) {
  return {
    devices(query: { limit?: number; offset?: number } = {}): Promise<Page<Device>> {
      return http.get<Page<Device>>("/me/devices", { ...query });
    },
    consumption(id: string, date: string, tz: string, signal?: AbortSignal): Promise<DayConsumption> {
      return http.get<DayConsumption>(`/me/devices/${encodeURIComponent(id)}/consumption`, { date, tz }, signal);
    },
    consumptionRange(id: string, query: RangeQuery, signal?: AbortSignal): Promise<RangeConsumption> {
      return http.get<RangeConsumption>(`/me/devices/${encodeURIComponent(id)}/consumption`, { ...query }, signal);
    },
    /** The hourly export of a period: `csv`, or `xml` for Green Button (ESPI Atom). */
    exportFile(id: string, format: "csv" | "xml", query: RangeQuery): Promise<Download> {
      const { from, to, tz } = query;
      return http.download(`/me/devices/${encodeURIComponent(id)}/consumption.${format}`, { from, to, tz });
    },
    alerts(query: AlertQuery = {}, signal?: AbortSignal): Promise<AlertPage> {
      const { unacknowledged, ...rest } = query;
      return http.get<AlertPage>("/me/alerts", { ...rest, unacknowledged: unacknowledged === undefined ? undefined : String(unacknowledged) }, signal);
    },
    acknowledgeAlert(id: string): Promise<Alert> {
      return http.post<Alert>(`/me/alerts/${encodeURIComponent(id)}/ack`, undefined);
    },
    acknowledgeAllAlerts(): Promise<AckAllResult> {
      return http.post<AckAllResult>("/me/alerts/ack-all", undefined);
    },
    /** A WebSocket URL for live updates, bound to the signed-in user (re-ask on every connect). */
    negotiateRealtime(): Promise<NegotiateResult> {
      return http.post<NegotiateResult>("/realtime/negotiate", undefined);
    },
  };
}

export type MeApi = ReturnType<typeof createMeApi>;
