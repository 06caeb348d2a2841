/**
 * Which alerts this tab already knows, and from when to catch up after a (re)connect (pure).
 *
 * The watermark is the newest `created_at` the API has shown us. A catch-up asks for alerts
 * created after the watermark minus a small overlap (a concurrent writer may commit an older
 * `created_at` after a newer one) and de-duplicates by id, so nothing is missed and nothing is
 * notified twice — also not an alert that was already pushed live.
 */

import type { Alert } from "../api/types.ts";

export const CATCH_UP_OVERLAP_MS = 60_000;

export class AlertLedger {
  private readonly seen = new Set<string>();
  private watermarkMs: number | null = null;
  private ready = false;

  /** True once a baseline (the newest alerts at start) has been recorded. */
  get initialized(): boolean {
    return this.ready;
  }

  get watermark(): number | null {
    return this.watermarkMs;
  }

  /** Record what already existed when the tab started: known, never notified. */
  baseline(items: readonly Alert[]): void {
    for (const item of items) this.remember(item);
    this.ready = true;
  }

  /** The `since` parameter of the next catch-up (ISO, UTC), or null to read the newest page. */
  sinceParam(overlapMs: number = CATCH_UP_OVERLAP_MS): string | null {
    return this.watermarkMs === null ? null : new Date(this.watermarkMs - overlapMs).toISOString();
  }

  /** Take a catch-up page; return the alerts this tab had not seen (in the order given). */
  merge(items: readonly Alert[]): Alert[] {
    const fresh = items.filter((item) => !this.seen.has(item.id));
    for (const item of items) this.remember(item);
    this.ready = true;
    return fresh;
  }

  /** A pushed alert: true when this tab sees its id for the first time. */
  notePushed(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    return true;
  }

  has(id: string): boolean {
    return this.seen.has(id);
  }

  /** Forget everything (sign-out, another user). */
  reset(): void {
    this.seen.clear();
    this.watermarkMs = null;
    this.ready = false;
  }

  private remember(item: Alert): void {
    this.seen.add(item.id);
    const created = Date.parse(item.created_at);
    if (!Number.isNaN(created) && (this.watermarkMs === null || created > this.watermarkMs)) this.watermarkMs = created;
  }
}
