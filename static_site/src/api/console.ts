/** The operator console's API: fleet overview, every client's alerts, audit trail, dead letters. */

import type { HttpClient } from "./http.ts";
import type { FleetDevice } from "./types.ts";

export interface PageOf<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export type FleetStatus = "reporting" | "late" | "silent" | "never";

export interface FleetOverview {
  generated_at: string;
  late_after_minutes: number;
  silent_after_minutes: number;
  counts: Record<FleetStatus, number>;
  total_devices: number;
  today_kwh: number;
  open_alerts: number;
  attention: FleetDevice[];
}

export interface AdminAlert {
  id: string;
  kind: "over_max" | "silent";
  state: "open" | "closed";
  device_id: string;
  device_description: string | null;
  owner_id: string | null;
  owner_name: string | null;
  raised_at: string;
  closed_at: string | null;
  hour_start: string | null;
  energy_kwh: number | null;
  max_hourly_kwh: number | null;
  last_reading_at: string | null;
}

export interface AdminAlertQuery {
  limit?: number;
  offset?: number;
  device_id?: string;
  owner_id?: string;
  state?: "open" | "closed";
  kind?: "over_max" | "silent";
  since?: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor_id: string | null;
  actor_username: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface AuditQuery {
  limit?: number;
  offset?: number;
  actor_id?: string;
  entity_type?: string;
  entity_id?: string;
  since?: string;
  until?: string;
}

export interface DeadLetter {
  id: string;
  reason: string;
  received_at: string | null;
  message: string;
  truncated: boolean;
  size_bytes: number;
  rejected_by_broker: boolean;
}

export interface DeadLetterPage extends PageOf<DeadLetter> {
  transport: string;
}

export interface ReplayResult {
  replayed: number;
  replayed_ids: string[];
  missing_ids: string[];
  /** Chosen letters kept: only the start of their message was stored, so they cannot succeed. */
  skipped_ids: string[];
}

export function createConsoleApi(http: HttpClient) {
  return {
    overview(signal?: AbortSignal): Promise<FleetOverview> {
      return http.get<FleetOverview>("/fleet/overview", undefined, signal);
    },
    alerts(query: AdminAlertQuery = {}, signal?: AbortSignal): Promise<PageOf<AdminAlert>> {
      return http.get<PageOf<AdminAlert>>("/alerts", { ...query }, signal);
    },
    audit(query: AuditQuery = {}, signal?: AbortSignal): Promise<PageOf<AuditEntry>> {
      return http.get<PageOf<AuditEntry>>("/audit", { ...query }, signal);
    },
    deadLetters(query: { limit?: number; offset?: number } = {}, signal?: AbortSignal): Promise<DeadLetterPage> {
      return http.get<DeadLetterPage>("/deadletters", { ...query }, signal);
    },
    /** Replay the chosen letters, or every letter when `ids` is omitted. */
    replay(ids?: string[]): Promise<ReplayResult> {
      return http.post<ReplayResult>("/deadletters/replay", ids ? { ids } : { all: true });
    },
  };
}

export type ConsoleApi = ReturnType<typeof createConsoleApi>;
