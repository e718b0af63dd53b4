import type { FactorOutcome } from "./second-step.server";

/** What the second-step pages say after a refused code: a catalogue key (ui:factor.refusal.*), translated by the page. */
export function factorRefusal(outcome: Extract<FactorOutcome, { ok: false }>): string {
  return `ui:factor.refusal.${outcome.reason}`;
}

/**
 * The buttons of /account/security and the status of a refusal; what each says is in the
 * `account` catalogue (account:answers.<intent>.done|refused).
 */
const SECURITY_REFUSAL_STATUS = { "remove-passkey": 404, "disable-totp": 400, regenerate: 400 } as const;

type SecurityIntent = keyof typeof SECURITY_REFUSAL_STATUS;

export const isSecurityIntent = (intent: unknown): intent is SecurityIntent => typeof intent === "string" && Object.hasOwn(SECURITY_REFUSAL_STATUS, intent);

export function securityAnswer(intent: SecurityIntent, ok: boolean): { status: number } {
  return { status: ok ? 200 : SECURITY_REFUSAL_STATUS[intent] };
}
