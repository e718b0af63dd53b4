import type { CodePageMessage } from "~/ui/recovery";
import type { CodeOutcome, ResendOutcome } from "./flows.server";
import type { ResetOutcome } from "./reset.server";
import type { UnlockOutcome } from "./unlock.server";

/** A recovery page opened without the hold it needs (403). */
export const HOLD_REFUSAL = {
  reset: "This page needs a verified link or code. Start again from “Forgot your password?”.",
  unlock: "This page needs a verified unlock link or code. Start again from “Account locked?”.",
} as const;

/** What the code page says after each outcome. */
export function codeMessage(outcome: Exclude<CodeOutcome, { ok: true }>): CodePageMessage {
  switch (outcome.reason) {
    case "wrong":
      return {
        kind: "error",
        text: `That code isn't right. You have ${outcome.attemptsLeft} ${outcome.attemptsLeft === 1 ? "try" : "tries"} left for this code.`,
      };
    case "dead":
      return { kind: "error", text: "Too many wrong codes: this code no longer works. Press Resend to get a new one.", offerNew: true };
    case "expired":
      return { kind: "error", text: "This code has expired. Press Resend to get a new one.", offerNew: true };
    case "replaced":
      return { kind: "error", text: "This code was replaced by a newer request. Use the newest email, or start again.", offerNew: true };
    default:
      return { kind: "error", text: "That didn't work. Start again to get a new code.", offerNew: true };
  }
}

export function resendMessage(outcome: ResendOutcome, viaSms = false): CodePageMessage {
  if (outcome.ok && viaSms) {
    return { kind: "success", text: "If the account has a verified phone number, we've texted a new code to it. The emailed code no longer works; the emailed link still does." };
  }
  if (outcome.ok) return { kind: "success", text: "If an account matches, we've sent a new code. Earlier codes no longer work." };
  if (outcome.reason === "cooldown") return { kind: "warning", text: `Please wait ${outcome.waitSeconds} seconds before asking again.` };
  return { kind: "error", text: "Start again to get a new code.", offerNew: true };
}

/** The answer to a refused "Choose a new password": a whole-page refusal, or field errors. */
export function resetRefusal(
  outcome: Exclude<ResetOutcome, { ok: true }>,
): { status: 403 | 409; message: string } | { status: 400; fieldErrors: { password?: string[]; confirm?: string[] }; suggestions: string[] } {
  switch (outcome.reason) {
    case "no-hold":
      return { status: 403, message: "This page needs a verified link or code. Start again to get a new one." };
    case "used":
      return { status: 409, message: "This link or code was already used. If that wasn't you, contact support." };
    case "mismatch":
      return { status: 400, fieldErrors: { confirm: ["The two passwords don't match. Type the same password in both boxes."] }, suggestions: [] };
    case "history":
      return { status: 400, fieldErrors: { password: [`Choose a password you haven't used before (we remember your last ${outcome.remembered}).`] }, suggestions: [] };
    case "policy":
      return { status: 400, fieldErrors: { password: outcome.reasons }, suggestions: outcome.suggestions };
  }
}

/** The answer to a refused unlock, and where a finished one goes next. */
export function unlockRefusal(outcome: Exclude<UnlockOutcome, { ok: true }>): { status: 403 | 409; message: string } {
  return outcome.reason === "no-hold"
    ? { status: 403, message: HOLD_REFUSAL.unlock }
    : { status: 409, message: "This unlock link or code was already used." };
}

export const UNLOCK_NEXT = { done: "/unlock/done", "choose-password": "/reset/password" } as const;
