/** Sign-in page: credentials form, inline errors, lockout countdown, return to the requested page. */

import { ApiError } from "../api/errors.ts";
import { homeFor, safeNext } from "../router.ts";
import { h, icon } from "../ui/dom.ts";
import { field, FormState, required } from "../ui/form.ts";
import type { Page } from "./page.ts";

export const loginPage: Page = ({ services, query, signal }) => {
  const { api, session, config, flash } = services;
  const username = field({ name: "username", label: "Username", autocomplete: "username", required: true, testid: "login-username" });
  const password = field({ name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true, testid: "login-password" });
  const submit = h("button", { class: "btn btn-primary btn-block", type: "submit", testid: "login-submit" }, "Sign in");
  const form = new FormState([username, password], submit);
  form.banner.setAttribute("data-testid", "login-error");
  const notice = flash.take();

  let unlockTimer: number | undefined;
  const lockFor = (seconds: number) => {
    let left = seconds;
    submit.disabled = true;
    const tick = () => {
      submit.textContent = `Try again in ${left} s`;
      if (left-- <= 0 || signal.aborted) {
        window.clearInterval(unlockTimer);
        form.setBusy(false);
      }
    };
    tick();
    unlockTimer = window.setInterval(tick, 1000);
  };

  const onSubmit = async (ev: SubmitEvent) => {
    ev.preventDefault();
    form.clearErrors();
    const user = form.value("username");
    const pass = password.value();
    if (!form.check({ username: required(user, "Username"), password: required(pass, "Password") })) return;
    form.setBusy(true, "Signing in…");
    try {
      const res = await api.auth.login(user, pass);
      session.start(res);
      services.toasts.clear();
      services.toasts.success(`Welcome, ${res.user.name}.`);
      services.navigate(safeNext(query.get("next")) ?? homeFor(res.user), { replace: true });
    } catch (err) {
      form.showError(err);
      if (err instanceof ApiError && err.status === 429 && err.retryAfterSeconds) lockFor(err.retryAfterSeconds);
      else form.setBusy(false);
      password.control.value = "";
      if (!(err instanceof ApiError && err.fieldErrors.length)) password.control.focus();
    }
  };

  const element = h(
    "div",
    { class: "login-page" },
    h(
      "div",
      { class: "login-aside" },
      h("div", { class: "brand brand-large" }, h("span", { class: "brand-mark" }, icon("bolt")), h("span", { class: "brand-name" }, config.appName)),
      h("h2", {}, "Know your energy, hour by hour."),
      h("p", {}, "See what each of your meters used on any day, spot the hours over your limit, and manage devices and accounts in one place."),
    ),
    h(
      "div",
      { class: "login-panel" },
      h(
        "form",
        { class: "card login-card", testid: "login-form", novalidate: true, on: { submit: (ev) => void onSubmit(ev) } },
        h("h1", {}, "Sign in"),
        h("p", { class: "muted" }, "Use the account your utility gave you."),
        notice ? h("div", { class: "callout callout-info", testid: "login-notice", role: "status" }, icon("info"), h("div", {}, notice)) : null,
        form.banner,
        username.root,
        password.root,
        submit,
      ),
    ),
  );
  queueMicrotask(() => username.control.focus());
  return { element, dispose: () => window.clearInterval(unlockTimer) };
};
