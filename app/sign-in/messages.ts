import type { SignInOutcome } from "./sign-in.server";

/** What the sign-in pages say after each refusal, and with which status (the route edge). */
export const SIGN_IN_FAILED = "That username or email and password don't match. Check them and try again.";

export function signInRefusal(outcome: Exclude<SignInOutcome, { ok: true }>): { status: 400 | 429; message: string; retryAfter?: number } {
  if (outcome.reason === "failed") return { status: 400, message: SIGN_IN_FAILED };
  return { status: 429, message: waitMessage(outcome.retryAfterSeconds), retryAfter: outcome.retryAfterSeconds };
}

export function waitMessage(seconds: number): string {
  return seconds < 90
    ? `Too many attempts. Wait ${seconds} seconds and try again.`
    : `Too many attempts. Wait about ${Math.ceil(seconds / 60)} minutes and try again.`;
}
