import type { TFunction } from "i18next";
import type { CodePageMessage } from "~/ui/recovery";
import { fixedT } from "~/i18n/instance";
import type { CodeOutcome, ResendOutcome } from "./flows.server";
import type { ResetOutcome } from "./reset.server";
import type { UnlockOutcome } from "./unlock.server";

/**
 * Every sentence here is in the page's language: a thrown reason is a catalogue key (root's
 * ErrorBoundary translates it), and an answer a page shows is translated with the request's `t`
 * (English when none is given).
 */
const EN = fixedT("en");

/** A recovery page opened without the hold it needs (403). */
export const HOLD_REFUSAL = {
  reset: "recovery:refusal.holdReset",
  unlock: "recovery:refusal.holdUnlock",
} as const;

/** What the code page says after each outcome. */
export function codeMessage(outcome: Exclude<CodeOutcome, { ok: true }>, t: TFunction = EN): CodePageMessage {
  switch (outcome.reason) {
    case "wrong":
      return { kind: "error", text: t("recovery:message.wrong", { count: outcome.attemptsLeft }) };
    case "dead":
      return { kind: "error", text: t("recovery:message.dead"), offerNew: true };
    case "expired":
      return { kind: "error", text: t("recovery:message.expired"), offerNew: true };
    case "replaced":
      return { kind: "error", text: t("recovery:message.replaced"), offerNew: true };
    default:
      return { kind: "error", text: t("recovery:message.failed"), offerNew: true };
  }
}

export function resendMessage(outcome: ResendOutcome, viaSms = false, t: TFunction = EN): CodePageMessage {
  if (outcome.ok && viaSms) return { kind: "success", text: t("recovery:message.resentSms") };
  if (outcome.ok) return { kind: "success", text: t("recovery:message.resent") };
  if (outcome.reason === "cooldown") return { kind: "warning", text: t("recovery:message.cooldown", { seconds: outcome.waitSeconds }) };
  return { kind: "error", text: t("recovery:message.startAgain"), offerNew: true };
}

/** The answer to a refused "Choose a new password": a whole-page refusal, or field errors. */
export function resetRefusal(
  outcome: Exclude<ResetOutcome, { ok: true }>,
  t: TFunction = EN,
): { status: 403 | 409; message: string } | { status: 400; fieldErrors: { password?: string[]; confirm?: string[] }; suggestions: string[] } {
  switch (outcome.reason) {
    case "no-hold":
      return { status: 403, message: "recovery:refusal.noHold" };
    case "used":
      return { status: 409, message: "recovery:refusal.used" };
    case "mismatch":
      return { status: 400, fieldErrors: { confirm: [t("recovery:refusal.mismatch")] }, suggestions: [] };
    case "history":
      return { status: 400, fieldErrors: { password: [t("recovery:refusal.history", { n: outcome.remembered })] }, suggestions: [] };
    case "policy":
      return { status: 400, fieldErrors: { password: outcome.reasons }, suggestions: outcome.suggestions };
  }
}

/** The answer to a refused unlock, and where a finished one goes next. */
export function unlockRefusal(outcome: Exclude<UnlockOutcome, { ok: true }>): { status: 403 | 409; message: string } {
  return outcome.reason === "no-hold"
    ? { status: 403, message: HOLD_REFUSAL.unlock }
    : { status: 409, message: "recovery:refusal.unlockUsed" };
}

export const UNLOCK_NEXT = { done: "/unlock/done", "choose-password": "/reset/password" } as const;
