import type { StartOutcome } from "./contacts.server";

/**
 * The status of each contact-change refusal (the route edge); what each says is in the `account`
 * catalogue (account:contact.refusal.<reason>).
 */
const START_STATUS: Record<Extract<StartOutcome, { ok: false }>["reason"], 400 | 429> = {
  "invalid-email": 400,
  "same-email": 400,
  "invalid-phone": 400,
  "same-phone": 400,
  flooded: 429,
  "sms-refused": 400,
};

export function startRefusal(outcome: Extract<StartOutcome, { ok: false }>): { status: 400 | 429 } {
  return { status: START_STATUS[outcome.reason] };
}
