import type { FactorOutcome } from "./second-step.server";

/** What the second-step pages say after a refused code (the route edge). */
const FACTOR_REFUSALS: Record<Extract<FactorOutcome, { ok: false }>["reason"], string> = {
  "wrong-totp": "That code isn't right or was already used. Wait for the next code and try again.",
  "wrong-recovery-code": "That recovery code isn't right or was already used.",
  "no-method": "Choose a way to confirm it's you.",
};

export function factorRefusal(outcome: Extract<FactorOutcome, { ok: false }>): string {
  return FACTOR_REFUSALS[outcome.reason];
}
