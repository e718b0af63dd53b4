import { sendSecurityNotice } from "~/notices/notices.server";
import { setPreferredLocale, type User } from "~/accounts/accounts.server";
import { SELF_SERVICE_REASONS, activeLock, clearFailures, endLocks, failureKey } from "~/lockout/lockout.server";
import { clearRecoveryCookie, consumeFlow } from "./flows.server";
import { enter, requireHold } from "./journey.server";
import { recordEvent } from "~/audit/events.server";
import { inTransaction, type RequestContext } from "~/context.server";

/**
 * Self-service unlock (RL-04): proving the email channel exactly like a reset, then choosing to
 * keep the password or choose a new one. Only locks from failed attempts or suspicious activity
 * are lifted here; staff and compromise locks need support.
 */

export type LockSituation = "self-service" | "support-only" | "not-locked";

export async function lockSituation(context: RequestContext, user: User): Promise<LockSituation> {
  const lock = await activeLock(context.services.db, user.id, context.services.clock.now());
  if (!lock) return "not-locked";
  return SELF_SERVICE_REASONS.includes(lock.reason) ? "self-service" : "support-only";
}

export type UnlockOutcome =
  | { ok: true; then: "done" | "choose-password"; cookie: string }
  | { ok: false; reason: "no-hold" | "used" };

export async function completeUnlock(context: RequestContext, request: Request, choice: "keep" | "reset"): Promise<UnlockOutcome> {
  const { clock, config } = context.services;
  const check = await requireHold(context, request, "unlock", "choose");
  if (!check.ok) return { ok: false, reason: "no-hold" };
  const { user, flow } = check.hold;
  const now = clock.now();
  let resetCookie: string | null = null;
  const won = await inTransaction(context, async (tx) => {
    const db = tx.services.db;
    if (!(await consumeFlow(db, flow, now))) return false;
    await clearFailures(db, failureKey(config.secretKey, user.id, ""));
    const ended = await endLocks(db, user.id, now, "self_service_unlock", `user:${user.id}`, SELF_SERVICE_REASONS);
    await recordEvent(tx, { event: "account_unlocked", outcome: "success", userId: user.id, details: { how: "self_service_unlock", locks: ended, choice } });
    // Completing a recovery in a language makes it the account's language (issue 16); the notice
    // goes in the language the account had, or, without one, in the language just set.
    await setPreferredLocale(db, user.id, context.locale);
    if (ended > 0) await sendSecurityNotice(tx, { ...user, locale: user.locale ?? context.locale }, { template: "account-unlocked", event: "account_unlocked" });
    if (choice === "reset") resetCookie = await enter(tx, user, "unlock");
    return true;
  });
  if (!won) return { ok: false, reason: "used" };
  if (resetCookie) return { ok: true, then: "choose-password", cookie: resetCookie };
  return { ok: true, then: "done", cookie: clearRecoveryCookie(context) };
}
