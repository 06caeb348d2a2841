/** A toast for a meter that went silent or resumed reporting. */

import type { PushedSilence } from "../realtime/messages.ts";
import { formatMoment } from "../realtime/format.ts";
import { h } from "../ui/dom.ts";
import type { Toasts } from "../ui/toast.ts";

export function showSilenceToast(toasts: Toasts, change: "silent" | "resumed", episode: PushedSilence, timeZone: string, href: string): void {
  const name = episode.device_description || "A meter";
  const title = change === "silent" ? `${name} has gone silent` : `${name} is reporting again`;
  const line = episode.last_reading_at ? `Last reading ${formatMoment(episode.last_reading_at, timeZone)}` : "No reading yet";
  const content = h(
    "div",
    { class: "toast-alert" },
    h("div", { class: "toast-title", testid: "silence-toast-title" }, title),
    change === "silent" ? h("div", { class: "toast-line" }, line) : null,
    h("a", { class: "toast-link", href }, "View"),
  );
  toasts.show(change === "silent" ? "warning" : "info", content, { testid: "silence-toast", timeoutMs: 15_000, data: { deviceId: episode.device_id, change } });
}
