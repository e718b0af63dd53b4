import { sendSecurityNotice } from "~/notices/notices.server";
import type { AppLoadContext } from "@remix-run/node";
import type { User } from "~/accounts/accounts.server";
import { SELF_SERVICE_REASONS, activeLock, clearFailures, endLocks, failureKey } from "~/lockout/lockout.server";
import { clearRecoveryCookie, consumeFlow, currentRecovery, startVerifiedFlow, type Current } from "./flows.server";
import { recordEvent } from "~/audit/events.server";

/**
 * Self-service unlock (RL-04): proving the email channel exactly like a reset, then choosing to
 * keep the password or choose a new one. Only locks from failed attempts or suspicious activity
 * are lifted here; staff and compromise locks need support.
 */

export type LockSituation = "self-service" | "support-only" | "not-locked";

export function verifiedUnlock(context: AppLoadContext, request: Request): (Current & { user: User }) | null {
  const current = currentRecovery(context, request, "unlock");
  if (!current || !current.user || current.flow.status !== "active") return null;
  if (context.services.clock.now() >= current.flow.expires_at) return null;
  if (current.session.state !== "verified" && current.session.state !== "second_factor_verified") return null;
  return current as Current & { user: User };
}

export function lockSituation(context: AppLoadContext, user: User): LockSituation {
  const lock = activeLock(context.services.db, user.id, context.services.clock.now());
  if (!lock) return "not-locked";
  return SELF_SERVICE_REASONS.includes(lock.reason) ? "self-service" : "support-only";
}

export type UnlockOutcome =
  | { ok: true; then: "done" | "choose-password"; cookie: string }
  | { ok: false; reason: "no-hold" | "used" };

export function completeUnlock(context: AppLoadContext, request: Request, choice: "keep" | "reset"): UnlockOutcome {
  const { db, clock, config } = context.services;
  const current = verifiedUnlock(context, request);
  if (!current) return { ok: false, reason: "no-hold" };
  const { user, flow } = current;
  const now = clock.now();
  let resetCookie: string | null = null;
  const won = db.transaction(() => {
    if (!consumeFlow(db, flow, now)) return false;
    clearFailures(db, failureKey(config.secretKey, user.id, ""));
    const ended = endLocks(db, user.id, now, "self_service_unlock", `user:${user.id}`, SELF_SERVICE_REASONS);
    recordEvent(context, { event: "account_unlocked", outcome: "success", userId: user.id, details: { how: "self_service_unlock", locks: ended, choice } });
    if (ended > 0) sendSecurityNotice(context, user, { template: "account-unlocked", event: "account_unlocked" });
    if (choice === "reset") resetCookie = startVerifiedFlow(context, "reset", user);
    return true;
  }).immediate();
  if (!won) return { ok: false, reason: "used" };
  if (resetCookie) return { ok: true, then: "choose-password", cookie: resetCookie };
  return { ok: true, then: "done", cookie: clearRecoveryCookie(context) };
}
