/**
 * Frames of the Web PubSub `json.webpubsub.azure.v1` subprotocol and the platform's own messages
 * inside them (pure parsing: never throws, unknown or malformed input becomes `null`).
 */

/** The alert as the server pushes it (no description, no created_at: the API has those). */
export interface PushedAlert {
  id: string;
  device_id: string;
  /** ISO 8601, UTC. */
  hour_start: string;
  energy_kwh: number;
  max_hourly_kwh: number;
  /** Absent from older servers: treated as active. */
  state: "active" | "cleared";
  peak_kwh: number;
}

/** Many alert changes for one owner at once (a meter catching up, or a burst). */
export interface AlertSummaryMessage {
  type: "alerts.summary";
  /** True when the hours are older than a day (a backfill). */
  backfill: boolean;
  active: number;
  cleared: number;
  firstHour: string | null;
  lastHour: string | null;
  deviceIds: string[];
  examples: PushedAlert[];
}

/** A silent-meter episode as pushed to the owner and to administrators. */
export interface PushedSilence {
  id: string;
  device_id: string;
  device_description: string;
  /** ISO 8601, UTC; null when the meter never reported. */
  last_reading_at: string | null;
  at: string;
}

export type PlatformMessage =
  | { type: "meter.silent"; episode: PushedSilence }
  | { type: "meter.resumed"; episode: PushedSilence }
  | { type: "alert.opened"; alert: PushedAlert; sentAt: string | null }
  | { type: "alert.updated"; alert: PushedAlert; sentAt: string | null }
  | { type: "alert.cleared"; alert: PushedAlert; sentAt: string | null }
  | AlertSummaryMessage
  | { type: "consumption.updated"; deviceIds: string[] };

/** What one WebSocket text frame means to the client. */
export type Frame =
  | { kind: "connected"; connectionId: string; userId: string | null }
  | { kind: "disconnected"; reason: string }
  | { kind: "pong" }
  | { kind: "message"; message: PlatformMessage }
  /** Well-formed but not for us (acks, group messages, unknown message types). */
  | { kind: "ignored" };

export const SUBPROTOCOL = "json.webpubsub.azure.v1";
export const PING_FRAME = JSON.stringify({ type: "ping" });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function parseAlert(raw: unknown): PushedAlert | null {
  if (!isRecord(raw)) return null;
  const { id, device_id, hour_start, energy_kwh, max_hourly_kwh } = raw;
  if (!nonEmptyString(id) || !nonEmptyString(device_id) || !nonEmptyString(hour_start)) return null;
  if (Number.isNaN(Date.parse(hour_start))) return null;
  if (!isFiniteNumber(energy_kwh) || !isFiniteNumber(max_hourly_kwh)) return null;
  const state = raw.state === "cleared" ? "cleared" : "active";
  const peak_kwh = isFiniteNumber(raw.peak_kwh) ? raw.peak_kwh : energy_kwh;
  return { id, device_id, hour_start, energy_kwh, max_hourly_kwh, state, peak_kwh };
}

function count(value: unknown): number {
  return isFiniteNumber(value) && value >= 0 ? Math.floor(value) : 0;
}

function parseSummary(data: Record<string, unknown>): AlertSummaryMessage {
  const examples = Array.isArray(data.examples) ? data.examples.map(parseAlert).filter((a): a is PushedAlert => a !== null) : [];
  return {
    type: "alerts.summary",
    backfill: data.backfill === true,
    active: count(data.active),
    cleared: count(data.cleared),
    firstHour: nonEmptyString(data.first_hour) ? data.first_hour : null,
    lastHour: nonEmptyString(data.last_hour) ? data.last_hour : null,
    deviceIds: Array.isArray(data.device_ids) ? data.device_ids.filter(nonEmptyString) : [],
    examples,
  };
}

function parseSilence(raw: unknown): PushedSilence | null {
  if (!isRecord(raw)) return null;
  const { id, device_id, device_description, last_reading_at, at } = raw;
  if (!nonEmptyString(id) || !nonEmptyString(device_id) || !nonEmptyString(at)) return null;
  if (last_reading_at !== null && !nonEmptyString(last_reading_at)) return null;
  const description = typeof device_description === "string" ? device_description : "";
  return { id, device_id, device_description: description, last_reading_at, at };
}

/** The platform's payload (`{type, ...}`); null for unknown types or bad shapes. */
export function parsePlatformMessage(data: unknown): PlatformMessage | null {
  if (typeof data === "string") {
    // A server sending JSON as text/plain: accept the same payload.
    try {
      return parsePlatformMessage(JSON.parse(data) as unknown);
    } catch {
      return null;
    }
  }
  if (!isRecord(data)) return null;
  switch (data.type) {
    case "alerts.summary":
      return parseSummary(data);
    case "alert.opened":
    case "alert.updated":
    case "alert.cleared": {
      const alert = parseAlert(data.alert);
      if (!alert) return null;
      const sentAt = typeof data.sent_at === "string" ? data.sent_at : null;
      return { type: data.type, alert, sentAt };
    }
    case "meter.silent":
    case "meter.resumed": {
      const episode = parseSilence(data.episode);
      if (!episode) return null;
      return data.type === "meter.silent" ? { type: "meter.silent", episode } : { type: "meter.resumed", episode };
    }
    case "consumption.updated": {
      if (!Array.isArray(data.device_ids)) return null;
      const deviceIds = data.device_ids.filter(nonEmptyString);
      return { type: "consumption.updated", deviceIds };
    }
    default:
      return null;
  }
}

/** Parse one text frame of the JSON subprotocol; null when it is not JSON or not a frame at all. */
export function parseFrame(text: string): Frame | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(raw) || typeof raw.type !== "string") return null;
  switch (raw.type) {
    case "system":
      if (raw.event === "connected" && nonEmptyString(raw.connectionId)) {
        return { kind: "connected", connectionId: raw.connectionId, userId: typeof raw.userId === "string" ? raw.userId : null };
      }
      if (raw.event === "disconnected") {
        return { kind: "disconnected", reason: typeof raw.message === "string" ? raw.message : "" };
      }
      return { kind: "ignored" };
    case "pong":
      return { kind: "pong" };
    case "message": {
      if (raw.from !== "server") return { kind: "ignored" };
      const message = parsePlatformMessage(raw.data);
      return message ? { kind: "message", message } : { kind: "ignored" };
    }
    default:
      return { kind: "ignored" };
  }
}
