/** Pure formatting of the operator console: fleet statuses, ages, audit changes. */

import type { FleetStatus } from "../api/console.ts";

export const STATUS_LABELS: Record<FleetStatus, string> = {
  reporting: "Reporting",
  late: "Late",
  silent: "Silent",
  never: "Never reported",
};

/** "just now", "12 min ago", "3 h ago", "2 days ago"; "never" without a time. */
export function ageText(iso: string | null, now: Date = new Date()): string {
  if (!iso) return "never";
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return iso;
  const minutes = Math.max(0, Math.floor((now.getTime() - at) / 60_000));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

function show(value: unknown): string {
  if (value === undefined) return "—";
  if (value === null) return "none";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The fields that differ between an audit entry's before and after, in a stable order. */
export function auditChanges(before: Record<string, unknown> | null, after: Record<string, unknown> | null): FieldChange[] {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  return keys
    .filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]))
    .map((k) => ({ field: k, before: show(before?.[k]), after: show(after?.[k]) }));
}

/** A byte count for people: "812 B", "4.0 KiB". */
export function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}
