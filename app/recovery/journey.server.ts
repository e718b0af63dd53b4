import type { User } from "~/accounts/accounts.server";
import { mayRecover } from "~/accounts/access.server";
import type { ProofKind } from "~/proofs/proof";
import { typedFactorKind, typedFactorProof, type TypedFactorInput } from "~/proofs/second-factor.server";
import type { FactorOutcome } from "~/factors/second-step.server";
import { recordEvent } from "~/audit/events.server";
import { inTransaction, type RequestContext } from "~/context.server";
import { markHoldSecondFactor } from "~/stores/recovery-flows.store";
import { currentRecovery, startVerifiedFlow, type Current, type Purpose } from "./flows.server";
import { requiresSecondFactor } from "./hooks.server";

/**
 * The recovery journey as one state machine (DESIGN.md §4, docs/decisions/0011).
 *
 * A *hold* is what one browser has on one flow (the recovery cookie). It moves only forward, and
 * only by a proof that this table allows from where it stands:
 *
 *   (no hold)  --e-mail link-------------------> verified
 *   (no hold)  --passkey (passkey-alone reset)--> second_factor_verified
 *   pending    --e-mail or SMS code-----------> verified
 *   verified   --passkey | TOTP | recovery code-> second_factor_verified
 *   verified or second_factor_verified --set password / unlock--> done (the flow is consumed)
 *
 * Staff approval is an entry of its own: it opens a flow with no hold and sends the ordinary link
 * to a verified contact, so the customer continues at "e-mail link". A passed sign-in that must
 * change its password, and an unlock that goes on to "choose a new password", enter at the state
 * they have already proven.
 *
 * Every recovery loader and action asks `requireHold(purpose, step)`; no page checks states itself.
 */

export type HoldState = Current["session"]["state"];
export type Hold = Current & { user: User };

export const TRANSITIONS: Record<HoldState | "none", Partial<Record<ProofKind, HoldState>>> = {
  none: { "email-link": "verified", passkey: "second_factor_verified" },
  pending: { "email-code": "verified", "sms-code": "verified" },
  verified: { passkey: "second_factor_verified", totp: "second_factor_verified", "recovery-code": "second_factor_verified" },
  second_factor_verified: {},
};

/** Ways into a journey other than asking for a link and code. */
export const ENTRIES = {
  /** A passkey alone proves more than an e-mail link: straight to "choose a new password". */
  passkey: { purpose: "reset", state: "second_factor_verified" },
  /** A sign-in that passed password and second factor but must replace the password (PWD-06). */
  "sign-in": { purpose: "reset", state: "second_factor_verified" },
  /** An unlock link or code, then "choose a new password": the contact is proven, nothing more. */
  unlock: { purpose: "reset", state: "verified" },
} as const satisfies Record<string, { purpose: Purpose; state: Exclude<HoldState, "pending"> }>;

export type Entry = keyof typeof ENTRIES;

/** Where a hold may be used, per purpose. */
export type Step = "code" | "second-factor" | "password" | "choose";

/** The state a proof leads to from `from`, or null when the table does not allow it. */
export function nextState(from: HoldState | "none", proof: ProofKind): HoldState | null {
  return TRANSITIONS[from][proof] ?? null;
}

/** The step a hold in `state` belongs at. */
export function stepFor(purpose: Purpose, state: HoldState, needsSecondFactor: boolean): Step {
  if (state === "pending") return "code";
  if (purpose === "unlock") return "choose";
  return state === "verified" && needsSecondFactor ? "second-factor" : "password";
}

export type HoldCheck = { ok: true; hold: Hold } | { ok: false; reason: "no-hold" } | { ok: false; reason: "elsewhere"; step: Step };

/**
 * The one guard of the journey: the hold this browser has for `purpose`, when it stands at `step`.
 * "no-hold" covers no cookie, a forged or expired one, a finished, replaced or expired flow, and
 * a reset of an account that support has locked (H1); "elsewhere" names the step the hold is at.
 * The code step looks only at the hold: its own action tells a replaced flow from a missing one.
 */
export async function requireHold(context: RequestContext, request: Request, purpose: Purpose, step: Step): Promise<HoldCheck> {
  const current = await currentRecovery(context, request, purpose);
  if (!current) return { ok: false, reason: "no-hold" };
  const { session, flow, user } = current;
  if (session.state === "pending") {
    return step === "code" ? { ok: true, hold: current as Hold } : { ok: false, reason: "elsewhere", step: "code" };
  }
  const now = context.services.clock.now();
  if (!user || flow.status !== "active" || now >= flow.expires_at) return { ok: false, reason: "no-hold" };
  // A staff or compromise lock puts the account in support's hands: no self-service reset (H1).
  // An unlock hold still opens its page, which explains that support must lift such a lock.
  if (purpose === "reset" && !(await mayRecover(context.services.db, user.id, now))) return { ok: false, reason: "no-hold" };
  const needsSecondFactor = purpose === "reset" && session.state === "verified" && (await requiresSecondFactor(context, user));
  const at = stepFor(purpose, session.state, needsSecondFactor);
  return at === step ? { ok: true, hold: { ...current, user } } : { ok: false, reason: "elsewhere", step: at };
}

/**
 * Moves a hold forward after `proof` was verified by its plug-in (a TOTP or recovery code checked
 * by factors/, a passkey assertion checked by factors/webauthn). Of two parallel submissions only
 * one moves the hold (conditional UPDATE); the other gets false.
 */
export async function advance(context: RequestContext, hold: Hold, proof: ProofKind): Promise<boolean> {
  const to = nextState(hold.session.state, proof);
  if (to !== "second_factor_verified") return false;
  return inTransaction(context, async (tx) => {
    if (!(await markHoldSecondFactor(tx.services.db, hold.session.id))) return false;
    await recordEvent(tx, { event: "password_reset_second_factor_verified", outcome: "success", userId: hold.user.id, details: { proof } });
    return true;
  });
}

/** A typed second factor on a reset hold waiting for one: verify by its plug-in, then advance. */
export async function proveTypedFactor(context: RequestContext, hold: Hold, input: TypedFactorInput): Promise<FactorOutcome> {
  const outcome = await typedFactorProof.verify(context, hold.user, input);
  if (outcome.ok) await advance(context, hold, typedFactorKind(input.intent));
  return outcome;
}

/** Starts a journey at an entry (see ENTRIES); returns the recovery cookie for the browser. */
export function enter(context: RequestContext, user: User, entry: Entry): Promise<string> {
  const { purpose, state } = ENTRIES[entry];
  return startVerifiedFlow(context, purpose, user, state);
}
