import type { ActionOutcome } from "./actions.server";
import type { PasswordStep } from "./staff-auth.server";
import type { ColleagueUnlock, StaffChange } from "./staff-accounts.server";

/** What the staff sign-in page says after a refused password step (the route edge). */
export const STAFF_SIGN_IN_FAILED = "That email and password don't match.";

export function staffPasswordRefusal(step: Extract<PasswordStep, { ok: false }>): { status: 400 | 429; message: string; retryAfter?: number } {
  if (step.reason === "failed") return { status: 400, message: STAFF_SIGN_IN_FAILED };
  return { status: 429, message: waitMessage(step.retryAfterSeconds), retryAfter: step.retryAfterSeconds };
}

function waitMessage(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return `Too many attempts. Wait ${minutes === 1 ? "a minute" : `${minutes} minutes`} and try again.`;
}

const ACTION_REFUSALS: Record<Extract<ActionOutcome, { ok: false }>["reason"], { status: 400 | 404 | 409; message: string }> = {
  "no-ticket": { status: 404, message: "No such ticket." },
  "no-action": { status: 400, message: "Choose an action." },
  "bad-note": { status: 400, message: "Write a note of 3 to 2000 characters saying why." },
  finished: { status: 409, message: "This ticket is already finished." },
  "no-account": { status: 409, message: "This ticket matches no account. Ask the customer for the username first." },
  "no-verified-email": { status: 409, message: "The account has no verified email address." },
  "no-verified-phone": { status: 409, message: "The account has no verified phone number." },
  "already-pending": { status: 409, message: "This action is already waiting for a supervisor's approval." },
};

/** What the ticket page says after a staff action, and with which status. */
export function staffActionMessage(outcome: ActionOutcome): { status: 200 | 400 | 404 | 409; message: string } {
  return outcome.ok ? { status: 200, message: actionDone(outcome) } : ACTION_REFUSALS[outcome.reason];
}

function actionDone(outcome: Extract<ActionOutcome, { ok: true }>): string {
  const n = outcome.count ?? 0;
  switch (outcome.action) {
    case "request_info":
      return "We emailed the customer your questions.";
    case "approve":
      return `A one-time recovery link was sent to the account's verified ${outcome.channel === "sms" ? "phone" : "email address"}.`;
    case "unlock":
      if (outcome.compromiseLeft) {
        return `${n ? `Ended ${n} lock(s). ` : ""}The reported-compromise lock stays: it needs a second person. Request its lift below; a supervisor approves it.`;
      }
      return n ? `Ended ${n} lock(s).` : "The account was not locked.";
    case "remove_factors":
      if (outcome.requested) return "Your request to remove the second factors is waiting for a supervisor's approval (Approvals).";
      return n ? "The account's second factors were removed. The customer can now recover with email or SMS." : "The account had no second factors.";
    case "reject":
      return "The ticket was rejected and the customer told why.";
    case "close":
      return "The ticket was closed.";
  }
}

const UNLOCK_REFUSALS = {
  "no-staff": { status: 404, message: "No such staff member." },
  self: { status: 403, message: "You can't unlock your own account. Ask another staff member or an operator." },
  "no-note": { status: 400, message: "Write a note: how you checked it was really them, and why." },
} as const;

/** What the staff-accounts page says after an unlock. */
export function colleagueUnlockMessage(outcome: ColleagueUnlock): { status: 200 | 400 | 403 | 404 | 409; message: string } {
  if (outcome.ok) return { status: 200, message: `${outcome.email} is unlocked and can sign in again.` };
  if (outcome.reason === "not-locked") return { status: 409, message: `${outcome.email} is not locked.` };
  return UNLOCK_REFUSALS[outcome.reason];
}

const CHANGE_REFUSALS: Record<Extract<StaffChange, { ok: false }>["reason"], { status: 400 | 403 | 404; message: string }> = {
  "no-staff": { status: 404, message: "No such staff member." },
  "bad-role": { status: 400, message: "Choose a role: agent, supervisor or admin." },
  "self-demote": { status: 403, message: "You can't change your own role. Ask another admin or an operator." },
  "self-disable": { status: 403, message: "You can't disable or enable your own account. Ask another admin or an operator." },
  "self-reset": { status: 403, message: "You can't reset your own authenticator here. Ask another admin or an operator." },
  "last-admin": { status: 403, message: "That is the last active admin. Make someone else an admin first." },
};

/** What the staff-accounts page says after an admin's change to a colleague. */
export function staffChangeMessage(outcome: StaffChange): { status: 200 | 400 | 403 | 404; message: string } {
  if (!outcome.ok) return CHANGE_REFUSALS[outcome.reason];
  switch (outcome.action) {
    case "role":
      return { status: 200, message: outcome.changed ? `${outcome.email} is now ${outcome.role === "supervisor" ? "a" : "an"} ${outcome.role}.` : `${outcome.email} is already ${outcome.role === "supervisor" ? "a" : "an"} ${outcome.role}.` };
    case "disable":
      return { status: 200, message: `${outcome.email} is disabled and was signed out everywhere.` };
    case "enable":
      return { status: 200, message: `${outcome.email} is enabled and can sign in again.` };
    case "reinvite":
      return {
        status: 200,
        message: outcome.changed ? `A new set-up link was sent to ${outcome.email}; earlier links no longer work.` : `${outcome.email} has already chosen a password.`,
      };
    case "reset_totp":
      return {
        status: 200,
        message: outcome.changed
          ? `${outcome.email}'s authenticator was reset and they were signed out. They set up a new one at their next sign-in.`
          : `${outcome.email} has no authenticator set up.`,
      };
  }
}
