import type { CodePageMessage } from "~/ui/recovery";
import type { CodeOutcome, ResendOutcome } from "./flows.server";

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
