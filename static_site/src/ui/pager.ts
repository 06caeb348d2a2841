/** "1–20 of 57" with previous/next, for offset-paged lists. */

import { h, icon } from "./dom.ts";

export interface PagerOptions {
  offset: number;
  limit: number;
  total: number;
  onChange: (offset: number) => void;
}

export function pager(opts: PagerOptions): HTMLElement {
  const { offset, limit, total } = opts;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  const prev = h("button", { class: "btn btn-secondary btn-sm", type: "button", disabled: offset <= 0, testid: "pager-prev", "aria-label": "Previous page" }, icon("left"));
  const next = h("button", { class: "btn btn-secondary btn-sm", type: "button", disabled: last >= total, testid: "pager-next", "aria-label": "Next page" }, icon("right"));
  prev.addEventListener("click", () => opts.onChange(Math.max(0, offset - limit)));
  next.addEventListener("click", () => opts.onChange(offset + limit));
  return h("div", { class: "pager", testid: "pager" }, h("span", { class: "muted" }, `${first}–${last} of ${total}`), prev, next);
}
