import { describe, expect, it } from "vitest";
import { passwordChangeProblems } from "../../src/pages/account/password-rules.ts";

describe("passwordChangeProblems", () => {
  it("accepts a new password of 8+ characters typed twice", () => {
    expect(passwordChangeProblems({ current: "old-secret", next: "new-secret", confirm: "new-secret" })).toEqual({});
  });

  it("asks for the current password", () => {
    expect(passwordChangeProblems({ current: "", next: "new-secret", confirm: "new-secret" })).toEqual({ current: "Enter your current password." });
  });

  it("refuses a short or overlong new password, and does not also complain about the confirmation", () => {
    expect(passwordChangeProblems({ current: "old-secret", next: "short", confirm: "other" })).toEqual({ next: "Use at least 8 characters." });
    const long = "x".repeat(129);
    expect(passwordChangeProblems({ current: "old-secret", next: long, confirm: long }).next).toBe("Use at most 128 characters.");
    expect(passwordChangeProblems({ current: "old-secret", next: "x".repeat(128), confirm: "x".repeat(128) })).toEqual({});
  });

  it("refuses the same password again", () => {
    expect(passwordChangeProblems({ current: "same-secret", next: "same-secret", confirm: "same-secret" }).next).toMatch(/different/);
  });

  it("refuses a confirmation that differs", () => {
    expect(passwordChangeProblems({ current: "old-secret", next: "new-secret", confirm: "new-secreT" })).toEqual({ confirm: "The two new passwords differ." });
  });
});
