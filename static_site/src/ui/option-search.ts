/** A search box that narrows a <select>'s options as you type (a searchable picker). */

import { h } from "./dom.ts";

/** Show only the options whose label contains `text` (case-insensitive); the chosen and the empty option stay. */
export function filterOptions(select: HTMLSelectElement, text: string): number {
  const needle = text.trim().toLowerCase();
  let shown = 0;
  for (const option of select.options) {
    const keep = !needle || option.value === "" || option.value === select.value || option.text.toLowerCase().includes(needle);
    option.hidden = !keep;
    if (keep && option.value !== "") shown++;
  }
  return shown;
}

export function optionSearch(select: HTMLSelectElement, label: string, testid: string): HTMLInputElement {
  const box = h("input", { class: "control control-sm", type: "search", placeholder: "Type to find an owner", "aria-label": label, testid });
  box.addEventListener("input", () => {
    const shown = filterOptions(select, box.value);
    box.setAttribute("aria-description", `${shown} match${shown === 1 ? "" : "es"}`);
  });
  return box;
}
