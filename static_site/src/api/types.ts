/** Shapes of the REST API v1 as the server sends them (docs/contracts.md, /api/openapi.json). */

export type Role = "admin" | "client";

export interface User {
  id: string;
  username: string;
  name: string;
  role: Role;
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: "bearer";
  /** Lifetime of the access token in seconds. */
  expires_in: number;
  user: User;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface UserCreate {
  username: string;
  name: string;
  password: string;
  role: Role;
}

export type UserUpdate = Partial<UserCreate>;

export interface DeleteUserResult {
  id: string;
  unassigned_device_ids: string[];
}

export interface Device {
  id: string;
  description: string;
  address: string;
  max_hourly_kwh: number;
  owner_id: string | null;
  /** UTC ISO start of the first hour the current owner sees (after a hand-over); null: all. */
  visible_from?: string | null;
}

/** A device in the admin list: owner's name, last reading (UTC ISO) and fleet status. */
export interface FleetDevice extends Device {
  owner_name: string | null;
  last_reading_at: string | null;
  status: "reporting" | "late" | "silent" | "never";
}

/** A user in the admin list, with how many devices they own. */
export interface UserWithCount extends User {
  device_count: number;
}

/** The create response carries the meter's secret once; it is never readable again. */
export interface CreatedDevice extends Device {
  device_key: string;
}

export interface DeviceKey {
  device_id: string;
  device_key: string;
}

export interface DeviceCreate {
  description: string;
  address: string;
  max_hourly_kwh: number;
  owner_id?: string | null;
}

export type DeviceUpdate = Partial<DeviceCreate>;

export interface HourReading {
  /** ISO 8601 with the local UTC offset, e.g. `2026-10-25T03:00:00+03:00`. */
  start: string;
  kwh: number | null;
  /** Some of the energy was spread over a gap between readings (interpolated, not measured). */
  estimated?: boolean;
  /** The hour has not ended yet. */
  in_progress?: boolean;
}

export interface DayConsumption {
  device_id: string;
  date: string;
  tz: string;
  unit: "kWh";
  max_hourly_kwh: number;
  hours: HourReading[];
}

/** One bucket of the range view; `cost` is exact decimal text in `currency`. */
export interface RangeBucket {
  start: string;
  end: string;
  kwh: number | null;
  estimated_hours: number;
  cost: string | null;
}

/** `GET /api/me/devices/{id}/consumption?from&to&group_by&tz`. */
export interface RangeConsumption {
  device_id: string;
  tz: string;
  group_by: "hour" | "day" | "week" | "month";
  from_date: string;
  to_date: string;
  unit: "kWh";
  buckets: RangeBucket[];
  total_kwh: number | null;
  total_cost: string | null;
  currency: string | null;
}

/** A tariff as `GET /api/tariffs` lists it; prices are exact decimal text. */
export interface Tariff {
  id: string;
  name: string;
  kind: "flat" | "time_of_use";
  currency: string;
  tz: string;
  valid_from: string;
  valid_to: string | null;
  bands: { days: string[]; from_hour: number; to_hour: number; price_per_kwh: string }[];
}

/** One entry of a device's tariff history. */
export interface TariffAssignment {
  device_id: string;
  tariff_id: string;
  tariff_name: string;
  currency: string;
  effective_from: string;
}

/** A downloaded file: its bytes and the name the server suggested. */
export interface Download {
  blob: Blob;
  filename: string | null;
}

/** An alert as `GET /api/me/alerts` returns it: one device hour over its maximum. */
export interface Alert {
  id: string;
  device_id: string;
  device_description: string | null;
  /** ISO 8601, UTC. */
  hour_start: string;
  /** The hour's current total. */
  energy_kwh: number;
  /** The highest total the hour has had. */
  peak_kwh: number;
  max_hourly_kwh: number;
  /** `active`: over the maximum now; `cleared`: late data brought the hour to or under it. */
  state: AlertState;
  /** When the platform opened it (ISO 8601, UTC). */
  created_at: string;
  updated_at: string;
  cleared_at: string | null;
  acknowledged_at: string | null;
}

export type AlertState = "active" | "cleared";

export interface AlertPage extends Page<Alert> {
  limit: number;
  offset: number;
  /** Active, unacknowledged alerts of the caller, whatever the filters. */
  unacknowledged: number;
}

export interface AlertQuery {
  limit?: number;
  offset?: number;
  /** Only alerts created after this moment (ISO 8601). */
  since?: string;
  unacknowledged?: boolean;
  state?: AlertState;
}

export interface AckAllResult {
  acknowledged: number;
}

export interface NegotiateResult {
  /** WebSocket URL with a short-lived access token, bound to the caller. */
  url: string;
  expires_in: number;
}
