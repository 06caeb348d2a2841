/** Unknown address inside the app. */

import { homeFor } from "../router.ts";
import { h } from "../ui/dom.ts";
import { emptyState } from "../ui/states.ts";
import type { Page } from "./page.ts";

export const notFoundPage: Page = ({ services }) => {
  const user = services.session.user;
  const home = h("a", { class: "btn btn-primary", href: user ? homeFor(user) : "#/login" }, "Go to the start page");
  return { element: h("div", { class: "page", testid: "not-found-page" }, emptyState({ title: "Page not found", message: "The address does not match any page. It may have been mistyped or moved.", icon: "info", action: home })) };
};
