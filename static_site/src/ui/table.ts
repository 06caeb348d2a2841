/** Tables that become labelled cards on narrow screens (see `.table-cards` in style.css). */

import { h } from "./dom.ts";

/** Copy each column header into its cells' `data-label`, which the card layout shows. */
export function labelCells(table: HTMLTableElement): HTMLTableElement {
  const labels = [...table.querySelectorAll("thead th")].map((th) => th.textContent?.trim() ?? "");
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.children].forEach((cell, i) => {
      const label = labels[i];
      if (label) cell.setAttribute("data-label", label);
    });
  }
  table.classList.add("table-cards");
  return table;
}

export interface Column {
  label: string;
  cls?: string;
  /** Visually hidden header (e.g. "Actions"). */
  hidden?: boolean;
}

/** A card-ready table from columns and rows. */
export function cardTable(testid: string, columns: Column[], rows: HTMLElement[]): HTMLElement {
  const head = h(
    "tr",
    {},
    columns.map((c) => h("th", { class: c.cls ?? "" }, c.hidden ? h("span", { class: "sr-only" }, c.label) : c.label)),
  );
  const table = h("table", { class: "table", testid }, h("thead", {}, head), h("tbody", {}, rows));
  return h("div", { class: "table-wrap" }, labelCells(table));
}

/**
 * Label every data table that appears under `root` (any page, including pages that build their
 * own tables), so all of them become cards on narrow screens. Compact tables (long numeric
 * lists such as the hourly day table) keep their columns and scroll inside their box.
 */
export function autoCardTables(root: HTMLElement): MutationObserver {
  const label = () => {
    for (const table of root.querySelectorAll<HTMLTableElement>("table.table:not(.table-compact)")) labelCells(table);
  };
  const observer = new MutationObserver(label);
  observer.observe(root, { childList: true, subtree: true });
  label();
  return observer;
}
