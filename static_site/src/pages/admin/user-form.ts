/** Create/edit account dialog with inline validation. */

import type { Api } from "../../api/index.ts";
import type { Role, User, UserUpdate } from "../../api/types.ts";
import { openDialog } from "../../ui/dialog.ts";
import { h } from "../../ui/dom.ts";
import { field, FormState, required } from "../../ui/form.ts";

export const MIN_PASSWORD_LENGTH = 8;

const ROLE_OPTIONS = [
  { value: "client", label: "Client — sees their own devices" },
  { value: "admin", label: "Administrator — manages accounts and devices" },
];

function checkPassword(value: string, mandatory: boolean): string | undefined {
  if (value === "") return mandatory ? "Password is required." : undefined;
  return value.length < MIN_PASSWORD_LENGTH ? `Use at least ${MIN_PASSWORD_LENGTH} characters.` : undefined;
}

/** Open the form; resolves with the saved user, or null when cancelled. */
export function openUserForm(api: Api, user?: User, defaultRole: Role = "client"): Promise<User | null> {
  const editing = user !== undefined;
  const name = field({ name: "name", label: "Full name", required: true, value: user?.name, autocomplete: "off", testid: "user-name-input" });
  const username = field({ name: "username", label: "Username", required: true, value: user?.username, autocomplete: "off", hint: "Used to sign in.", testid: "user-username" });
  const password = field({
    name: "password",
    label: editing ? "New password" : "Password",
    type: "password",
    required: !editing,
    autocomplete: "new-password",
    hint: editing ? "Leave empty to keep the current password." : `At least ${MIN_PASSWORD_LENGTH} characters.`,
    testid: "user-password",
  });
  const role = field({ name: "role", label: "Role", type: "select", options: ROLE_OPTIONS, value: user?.role ?? defaultRole, testid: "user-role-select" });
  const submit = h("button", { class: "btn btn-primary", type: "submit", testid: "user-form-submit" }, editing ? "Save changes" : "Create account");
  const cancel = h("button", { class: "btn btn-secondary", type: "button" }, "Cancel");
  const form = new FormState([name, username, password, role], submit);
  const formEl = h("form", { class: "form", testid: "user-form", novalidate: true }, form.banner, name.root, username.root, password.root, role.root, h("div", { class: "form-actions" }, cancel, submit));
  const dlg = openDialog({ title: editing ? `Edit ${user.name}` : "New account", body: formEl, testid: "user-dialog" });
  cancel.addEventListener("click", dlg.close);
  let saved: User | null = null;

  formEl.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    form.clearErrors();
    const values = { name: form.value("name"), username: form.value("username"), password: password.value(), role: form.value("role") as Role };
    const ok = form.check({
      name: required(values.name, "Full name"),
      username: required(values.username, "Username"),
      password: checkPassword(values.password, !editing),
    });
    if (!ok) return;
    form.setBusy(true);
    try {
      if (editing) {
        const patch: UserUpdate = {};
        if (values.name !== user.name) patch.name = values.name;
        if (values.username !== user.username) patch.username = values.username;
        if (values.role !== user.role) patch.role = values.role;
        if (values.password) patch.password = values.password;
        saved = Object.keys(patch).length ? await api.users.update(user.id, patch) : user;
      } else {
        saved = await api.users.create(values);
      }
      dlg.close();
    } catch (err) {
      form.showError(err);
      form.setBusy(false);
    }
  });
  queueMicrotask(() => name.control.focus());
  return dlg.closed.then(() => saved);
}
