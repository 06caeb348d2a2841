/** Admin: the ingestion queue's dead letters — why, when, the message — and replay. */

import { describeError } from "../../api/errors.ts";
import type { DeadLetter, DeadLetterPage } from "../../api/console.ts";
import { formatBytes } from "../../console/format.ts";
import { whenCell } from "../../console/widgets.ts";
import { confirmDialog } from "../../ui/dialog.ts";
import { h, replace } from "../../ui/dom.ts";
import { pageHeader } from "../../ui/layout.ts";
import { pager } from "../../ui/pager.ts";
import { emptyState, errorState, loadingState } from "../../ui/states.ts";
import { cardTable } from "../../ui/table.ts";
import type { Page } from "../page.ts";

export const adminDeadLettersPage: Page = ({ services, signal }) => {
  const { api, config, toasts, timeZone } = services;
  let offset = 0;
  const selected = new Set<string>();
  const replaySelected = h("button", { class: "btn btn-secondary", type: "button", testid: "replay-selected", disabled: true }, "Replay selected");
  const replayAll = h("button", { class: "btn btn-primary", type: "button", testid: "replay-all", disabled: true }, "Replay all");
  const summary = h("p", { class: "muted", testid: "deadletters-summary" });
  const body = h("div", { class: "card card-flush" });
  const element = h(
    "div",
    { class: "page", testid: "admin-deadletters-page" },
    pageHeader("Dead letters", "Readings the ingestion could not store, with the reason. Replay sends them back to the queue.", replaySelected, replayAll),
    summary,
    body,
  );

  const refreshButtons = (total: number) => {
    replaySelected.disabled = selected.size === 0;
    replaySelected.textContent = selected.size ? `Replay selected (${selected.size})` : "Replay selected";
    replayAll.disabled = total === 0;
  };

  const row = (letter: DeadLetter): HTMLElement => {
    const box = h("input", { type: "checkbox", class: "check", testid: "deadletter-select", "aria-label": `Select the letter received ${letter.received_at ?? "at an unknown time"}` });
    box.checked = selected.has(letter.id);
    box.addEventListener("change", () => {
      if (box.checked) selected.add(letter.id);
      else selected.delete(letter.id);
      refreshButtons(1);
    });
    const source = letter.rejected_by_broker ? "rejected by the broker" : "refused by ingestion";
    return h(
      "tr",
      { testid: "deadletter-row", "data-letter-id": letter.id },
      h("td", {}, box),
      h("td", {}, whenCell(letter.received_at, timeZone)),
      h("td", {}, h("span", { class: "cell-title", testid: "deadletter-reason" }, letter.reason), h("div", { class: "cell-sub" }, source)),
      h(
        "td",
        {},
        h("pre", { class: "message-box", testid: "deadletter-message" }, letter.message),
        h("div", { class: "cell-sub" }, `${formatBytes(letter.size_bytes)}${letter.truncated ? " — only the start is shown" : ""}`),
      ),
    );
  };

  const render = (page: DeadLetterPage) => {
    summary.textContent =
      page.transport === "none"
        ? "No message broker is configured: readings arrive over HTTP, which answers each reading and never dead-letters."
        : `${page.total} dead letter${page.total === 1 ? "" : "s"} on ${page.transport}.`;
    refreshButtons(page.total);
    if (page.total === 0) {
      replace(body, emptyState({ title: "No dead letters", message: "Every message so far was stored or counted as a duplicate.", icon: "check", testid: "deadletters-empty" }));
      return;
    }
    const columns = [{ label: "Select", hidden: true }, { label: "Received" }, { label: "Reason" }, { label: "Message" }];
    replace(
      body,
      cardTable("deadletters-table", columns, page.items.map(row)),
      h("div", { class: "card-footer" }, pager({ offset, limit: config.pageSize, total: page.total, onChange: (o) => { offset = o; void load(); } })),
    );
  };

  const load = async () => {
    replace(body, loadingState("Reading the dead-letter queue…"));
    try {
      const page = await api.console.deadLetters({ limit: config.pageSize, offset }, signal);
      if (!signal.aborted) render(page);
    } catch (err) {
      if (signal.aborted) return;
      summary.textContent = "";
      refreshButtons(0);
      replace(body, errorState(err, () => void load()));
    }
  };

  const replay = async (ids?: string[]) => {
    const what = ids ? `${ids.length} selected letter${ids.length === 1 ? "" : "s"}` : "every dead letter";
    const ok = await confirmDialog({ title: "Replay dead letters?", message: `Send ${what} back to the ingestion queue. Letters that fail again return here.`, confirmLabel: "Replay" });
    if (!ok) return;
    try {
      const result = await api.console.replay(ids);
      selected.clear();
      const missing = result.missing_ids.length ? ` ${result.missing_ids.length} were no longer there.` : "";
      const skipped = result.skipped_ids.length ? ` ${result.skipped_ids.length} kept: only the start of the message was stored.` : "";
      toasts.success(`Replayed ${result.replayed} letter${result.replayed === 1 ? "" : "s"}.${missing}${skipped}`);
      void load();
    } catch (err) {
      toasts.error(`Could not replay: ${describeError(err)}`);
    }
  };
  replaySelected.addEventListener("click", () => void replay([...selected]));
  replayAll.addEventListener("click", () => void replay());
  void load();
  return { element };
};
