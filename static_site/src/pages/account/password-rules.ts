/** Client-side checks of the change-password form (the API checks the same and more). */

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export interface PasswordChangeInput {
  current: string;
  next: string;
  confirm: string;
}

/** A message per failing field (`current`, `next`, `confirm`); empty when the form may be sent. */
export function passwordChangeProblems(input: PasswordChangeInput): Record<string, string> {
  const problems: Record<string, string> = {};
  if (input.current === "") problems.current = "Enter your current password.";
  if (input.next.length < PASSWORD_MIN) problems.next = `Use at least ${PASSWORD_MIN} characters.`;
  else if (input.next.length > PASSWORD_MAX) problems.next = `Use at most ${PASSWORD_MAX} characters.`;
  else if (input.current !== "" && input.next === input.current) problems.next = "Choose a password different from the current one.";
  if (!problems.next && input.confirm !== input.next) problems.confirm = "The two new passwords differ.";
  return problems;
}
