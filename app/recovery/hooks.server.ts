import type { RequestContext } from "~/context.server";
import type { User } from "~/accounts/accounts.server";
import { hasSecondFactor } from "~/factors/factors.server";
import { SELF_SERVICE_REASONS, clearFailures, endLocks, failureKey } from "~/lockout/lockout.server";
import { recordEvent } from "~/audit/events.server";

/**
 * Where recovery meets the capabilities around it (second factors, lockout). Kept in one file
 * so the reset flow reads straight through.
 */

/** Accounts with an authenticator app or passkey must pass it after the email step (MFA-01). */
export async function requiresSecondFactor(context: RequestContext, user: User): Promise<boolean> {
  return await hasSecondFactor(context.services.db, user.id);
}

/**
 * Runs inside the reset transaction: a completed reset is the way back in (RL-03), so it ends
 * temporary and failed-attempt locks and forgets the failures. Locks set by staff or after a
 * compromise report stay: only support lifts those.
 */
export async function afterPasswordReset(context: RequestContext, user: User, now: number): Promise<void> {
  const { db, config } = context.services;
  await clearFailures(db, failureKey(config.secretKey, user.id, ""));
  const ended = await endLocks(db, user.id, now, "password_reset", `user:${user.id}`, SELF_SERVICE_REASONS);
  if (ended > 0) await recordEvent(context, { event: "account_unlocked", outcome: "success", userId: user.id, details: { how: "password_reset", locks: ended } });
}
