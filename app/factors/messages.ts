import type { FactorOutcome } from "./second-step.server";

/** What the second-step pages say after a refused code: a catalogue key (ui:factor.refusal.*), translated by the page. */
export function factorRefusal(outcome: Extract<FactorOutcome, { ok: false }>): string {
  return `ui:factor.refusal.${outcome.reason}`;
}

/** The buttons of /account/security, each with what it says when it worked or was refused. */
const SECURITY_ANSWERS = {
  "remove-passkey": { done: "The passkey was removed. It can't be used any more.", refused: "That passkey was already removed.", status: 404 },
  "disable-totp": { done: "The authenticator app was removed.", refused: "That code isn't right. Use a current code from the app or a recovery code.", status: 400 },
  regenerate: {
    done: "Here are your new recovery codes. The old ones no longer work.",
    refused: "Set up an authenticator app or a passkey first: recovery codes are a backup for them.",
    status: 400,
  },
} as const;

export type SecurityIntent = keyof typeof SECURITY_ANSWERS;

export const UNKNOWN_SECURITY_INTENT = "Choose one of the buttons on the page.";

export const isSecurityIntent = (intent: unknown): intent is SecurityIntent => typeof intent === "string" && Object.hasOwn(SECURITY_ANSWERS, intent);

export function securityAnswer(intent: SecurityIntent, ok: boolean): { message: string; status: number } {
  const answer = SECURITY_ANSWERS[intent];
  return ok ? { message: answer.done, status: 200 } : { message: answer.refused, status: answer.status };
}
