import type { TFunction } from "i18next";
import { fixedT } from "~/i18n/instance";
import type { SignInOutcome } from "./sign-in.server";

/** What the sign-in pages say after each refusal, and with which status (the route edge), in the page's language (English when no `t` is given). */
const EN = fixedT("en");

export const SIGN_IN_FAILED = EN("ui:login.failed");

export function signInRefusal(outcome: Exclude<SignInOutcome, { ok: true }>, t: TFunction = EN): { status: 400 | 429; message: string; retryAfter?: number } {
  if (outcome.reason === "failed") return { status: 400, message: t("ui:login.failed") };
  return { status: 429, message: waitMessage(outcome.retryAfterSeconds, t), retryAfter: outcome.retryAfterSeconds };
}

export function waitMessage(seconds: number, t: TFunction = EN): string {
  return seconds < 90 ? t("ui:login.waitSeconds", { seconds }) : t("ui:login.waitMinutes", { minutes: Math.ceil(seconds / 60) });
}
