/** My account: who I am, and changing my password (which signs my other sessions out). */

import { ApiError } from "../../api/errors.ts";
import { h } from "../../ui/dom.ts";
import { field, FormState } from "../../ui/form.ts";
import { pageHeader } from "../../ui/layout.ts";
import type { Page } from "../page.ts";
import { passwordChangeProblems } from "./password-rules.ts";

export const accountPage: Page = ({ services, signal }) => {
  const { api, session, toasts } = services;
  const user = session.user;
  const current = field({ name: "current", label: "Current password", type: "password", autocomplete: "current-password", required: true, testid: "account-current" });
  const next = field({ name: "next", label: "New password", type: "password", autocomplete: "new-password", required: true, hint: "At least 8 characters.", testid: "account-new" });
  const confirm = field({ name: "confirm", label: "New password again", type: "password", autocomplete: "new-password", required: true, testid: "account-confirm" });
  const submit = h("button", { class: "btn btn-primary", type: "submit", testid: "account-submit" }, "Change password");
  const form = new FormState([current, next, confirm], submit);

  const clearPasswords = () => {
    for (const f of [current, next, confirm]) f.control.value = "";
  };

  const onSubmit = async (ev: SubmitEvent) => {
    ev.preventDefault();
    form.clearErrors();
    const input = { current: current.value(), next: next.value(), confirm: confirm.value() };
    if (!form.check(passwordChangeProblems(input))) return;
    form.setBusy(true, "Changing…");
    try {
      const res = await api.auth.changePassword(input.current, input.next);
      if (signal.aborted) return;
      session.start(res); // the new token pair: this tab stays signed in, the others are not
      clearPasswords();
      toasts.success("Password changed. Your other sessions were signed out.");
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.fieldErrors.some((e) => e.field === "old_password")) {
        current.setError("This is not your current password.");
        current.control.value = "";
        current.control.focus();
      } else if (err instanceof ApiError && err.fieldErrors.some((e) => e.field === "new_password")) {
        next.setError(err.messageFor("new_password"));
      } else {
        form.showError(err);
      }
    } finally {
      if (!signal.aborted) form.setBusy(false);
    }
  };

  const details = user
    ? h(
        "dl",
        { class: "account-details", testid: "account-details" },
        h("dt", {}, "Name"),
        h("dd", {}, user.name),
        h("dt", {}, "Username"),
        h("dd", { testid: "account-username" }, user.username),
        h("dt", {}, "Role"),
        h("dd", {}, user.role === "admin" ? "Administrator" : "Client"),
      )
    : null;
  const element = h(
    "div",
    { class: "page", testid: "account-page" },
    pageHeader("My account"),
    h("section", { class: "card" }, details),
    h(
      "form",
      { class: "card account-form", testid: "password-form", novalidate: true, on: { submit: (ev) => void onSubmit(ev) } },
      h("h2", {}, "Change password"),
      h("p", { class: "muted" }, "Changing it signs you out everywhere else: other browsers and devices must sign in again."),
      form.banner,
      current.root,
      next.root,
      confirm.root,
      submit,
    ),
  );
  return { element };
};
