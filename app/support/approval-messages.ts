import type { ContactCheck, DecisionOutcome, RiskyOutcome } from "./approvals.server";

/** What the console says after a four-eyes request, decision or contact change (issue 14), and with which status. */

type Answer = { status: 200 | 400 | 403 | 404 | 409 | 429; message: string };

const REQUEST_REFUSALS: Record<Extract<RiskyOutcome, { ok: false }>["reason"], Answer> = {
  "no-ticket": { status: 404, message: "No such ticket." },
  finished: { status: 409, message: "This ticket is already finished." },
  "no-account": { status: 409, message: "This ticket matches no account. Ask the customer for the username first." },
  "bad-note": { status: 400, message: "Write a note of 3 to 2000 characters saying why." },
  "already-pending": { status: 409, message: "This action is already waiting for a supervisor's approval." },
  flooded: { status: 429, message: "Too many messages went to that contact lately. Try again later." },
};

export function riskyMessage(outcome: RiskyOutcome, what: string): Answer {
  if (!outcome.ok) return REQUEST_REFUSALS[outcome.reason];
  if (outcome.requested) return { status: 200, message: `Your request (${what}) is waiting for a supervisor's approval. It shows on Approvals.` };
  return { status: 200, message: `Done: ${what}.` };
}

const CONTACT_REFUSALS: Record<Extract<ContactCheck, { ok: false }>["reason"], Answer> = {
  "bad-kind": { status: 400, message: "Choose email address or phone number." },
  "invalid-email": { status: 400, message: "Enter a valid email address, like name@example.com." },
  "invalid-phone": { status: 400, message: "Enter a valid phone number with its country code, like +44 7700 900123." },
  "same-contact": { status: 400, message: "That is already the account's verified contact." },
  "sms-refused": { status: 400, message: "We can't send text messages to that number's country." },
};

export function contactCheckMessage(check: Extract<ContactCheck, { ok: false }>): Answer {
  return CONTACT_REFUSALS[check.reason];
}

const DECISION_REFUSALS: Record<Extract<DecisionOutcome, { ok: false }>["reason"], Answer> = {
  "no-approval": { status: 404, message: "No such request on this ticket." },
  decided: { status: 409, message: "This request was already decided." },
  "own-request": { status: 403, message: "You can't approve or decline your own request. Another supervisor or admin must decide it." },
  "not-supervisor": { status: 403, message: "Only a supervisor or an admin can approve or decline a request." },
  "not-requester": { status: 403, message: "Only the staff member who asked can cancel a request." },
  "bad-note": { status: 400, message: "Write a note of 3 to 2000 characters saying what you checked." },
  "no-account": { status: 409, message: "This ticket matches no account any more." },
  finished: { status: 409, message: "This ticket is already finished: decline the request instead." },
  flooded: { status: 429, message: "Too many messages went to that contact lately. Try again later." },
};

export function decisionMessage(outcome: DecisionOutcome): Answer {
  if (!outcome.ok) return DECISION_REFUSALS[outcome.reason];
  if (outcome.decision === "cancel") return { status: 200, message: "Your request was cancelled." };
  if (outcome.decision === "decline") return { status: 200, message: "The request was declined." };
  switch (outcome.action) {
    case "remove_factors":
      return { status: 200, message: outcome.count ? "Approved: the account's second factors were removed." : "Approved: the account had no second factors." };
    case "lift_compromise_lock":
      return { status: 200, message: outcome.count ? "Approved: the reported-compromise lock was lifted." : "Approved, but the account had no reported-compromise lock in force." };
    case "change_contact":
      return { status: 200, message: "Approved: a code was sent to the new contact. It is saved when the customer types it at /assisted-recovery/new-contact." };
  }
}

const LIFT_REFUSALS = {
  "no-account": { status: 404, message: "No such account." },
  "bad-note": { status: 400, message: "Write a note of 3 to 2000 characters saying why." },
  "no-lock": { status: 409, message: "That lock is no longer in force." },
  "needs-ticket": { status: 409, message: "Lifting a reported-compromise lock needs a supervisor's approval: open this account from the customer's ticket and request it there." },
  "already-pending": { status: 409, message: "This lift is already waiting for a supervisor's approval." },
  finished: { status: 409, message: "The customer's ticket is already finished." },
} as const;

/** What the account view says after a lock or a lift. */
export function accountActionMessage(
  outcome: { ok: true; created?: boolean; ended?: number; requested?: boolean } | { ok: false; reason: keyof typeof LIFT_REFUSALS },
  kind: "lock" | "lift",
): Answer {
  if (!outcome.ok) return LIFT_REFUSALS[outcome.reason];
  if (kind === "lock") return { status: 200, message: outcome.created ? "The account is locked. The customer was told how to reach support." : "The account already has a staff lock." };
  if (outcome.requested) return { status: 200, message: "Your request to lift the reported-compromise lock is waiting for a supervisor's approval (Approvals)." };
  return { status: 200, message: "The lock was lifted." };
}
