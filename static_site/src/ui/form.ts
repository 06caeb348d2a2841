/** Form fields with inline errors, and mapping of API validation errors onto them. */

import { ApiError, describeError } from "../api/errors.ts";
import { h } from "./dom.ts";

export interface SelectOption {
  value: string;
  label: string;
}

export interface FieldOptions {
  name: string;
  label: string;
  type?: "text" | "password" | "number" | "select";
  value?: string;
  required?: boolean;
  hint?: string;
  placeholder?: string;
  options?: SelectOption[];
  autocomplete?: string;
  min?: string;
  step?: string;
  testid?: string;
}

export interface Field {
  name: string;
  root: HTMLElement;
  control: HTMLInputElement | HTMLSelectElement;
  value: () => string;
  setError: (message?: string) => void;
}

let fieldSeq = 0;

export function field(opts: FieldOptions): Field {
  const id = `f-${opts.name}-${++fieldSeq}`;
  const errorId = `${id}-error`;
  const control =
    opts.type === "select"
      ? h(
          "select",
          { id, name: opts.name, class: "control", testid: opts.testid, value: opts.value },
          (opts.options ?? []).map((o) => h("option", { value: o.value }, o.label)),
        )
      : h("input", {
          id,
          name: opts.name,
          class: "control",
          type: opts.type ?? "text",
          required: opts.required,
          placeholder: opts.placeholder,
          autocomplete: opts.autocomplete,
          min: opts.min,
          step: opts.step,
          testid: opts.testid,
          value: opts.value,
        });
  const error = h("p", { class: "field-error", id: errorId, testid: `field-error-${opts.name}`, hidden: true });
  const root = h(
    "div",
    { class: "field" },
    h("label", { for: id }, opts.label, opts.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    control,
    opts.hint ? h("p", { class: "field-hint" }, opts.hint) : null,
    error,
  );
  const setError = (message?: string) => {
    error.textContent = message ?? "";
    error.hidden = !message;
    root.classList.toggle("has-error", Boolean(message));
    if (message) {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", errorId);
    } else {
      control.removeAttribute("aria-invalid");
      control.removeAttribute("aria-describedby");
    }
  };
  control.addEventListener("input", () => setError());
  return { name: opts.name, root, control, value: () => control.value, setError };
}

/** Holds a form's fields, its error banner and its submit button. */
export class FormState {
  readonly fields: Map<string, Field>;
  readonly banner: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private readonly submitLabel: string;

  constructor(fields: Field[], submit: HTMLButtonElement) {
    this.fields = new Map(fields.map((f) => [f.name, f]));
    this.banner = h("div", { class: "form-banner", role: "alert", testid: "form-error", hidden: true });
    this.submit = submit;
    this.submitLabel = submit.textContent ?? "";
  }

  value(name: string): string {
    return this.fields.get(name)?.value().trim() ?? "";
  }

  clearErrors(): void {
    for (const f of this.fields.values()) f.setError();
    this.banner.hidden = true;
    this.banner.textContent = "";
  }

  /** Client-side checks: `{field: message}` for each failure; true when all pass. */
  check(errors: Record<string, string | undefined>): boolean {
    let ok = true;
    for (const [name, message] of Object.entries(errors)) {
      if (message) {
        this.fields.get(name)?.setError(message);
        ok = false;
      }
    }
    if (!ok) this.focusFirstError();
    return ok;
  }

  /** Put an API error on the form: per-field messages inline, the detail in the banner. */
  showError(err: unknown): void {
    const unmatched: string[] = [];
    if (err instanceof ApiError) {
      for (const fe of err.fieldErrors) {
        const f = this.fields.get(fe.field);
        if (f) f.setError(err.messageFor(fe.field));
        else unmatched.push(fe.message);
      }
    }
    this.banner.textContent = [describeError(err), ...unmatched].join(" ");
    this.banner.hidden = false;
    this.focusFirstError();
  }

  setBusy(busy: boolean, busyLabel = "Saving…"): void {
    this.submit.disabled = busy;
    this.submit.textContent = busy ? busyLabel : this.submitLabel;
    this.submit.classList.toggle("is-busy", busy);
  }

  private focusFirstError(): void {
    for (const f of this.fields.values()) {
      if (f.root.classList.contains("has-error")) {
        f.control.focus();
        return;
      }
    }
  }
}

export function required(value: string, label: string): string | undefined {
  return value.trim() === "" ? `${label} is required.` : undefined;
}
