/** The signed-in client's own resources: `/api/me/...`. */

import type { HttpClient } from "./http.ts";
import type { AckAllResult, Alert, AlertPage, AlertQuery, DayConsumption, Device, NegotiateResult, Page } from "./types.ts";

export function createMeApi(http: HttpClient) {
  return {
    devices(query: { limit?: number; offset?: number } = {}): Promise<Page<Device>> {
      return http.get<Page<Device>>("/me/devices", { ...query });
    },
    consumption(id: string, date: string, tz: string, signal?: AbortSignal): Promise<DayConsumption> {
      return http.get<DayConsumption>(`/me/devices/${encodeURIComponent(id)}/consumption`, { date, tz }, signal);
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
