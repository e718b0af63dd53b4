import type { Config } from "~/config.server";
import type { Db } from "~/db/db.server";
import { SELF_SERVICE_REASONS, activeLock, openLocks, type LockReason } from "~/lockout/lockout.server";
import { findUserById, type User } from "./accounts.server";

/**
 * The one place that decides whether an account may be let in. Every way in (password, e-mail
 * shared by several accounts, passkey sign-in, the second step, a pending "password passed"
 * cookie, re-authentication) asks `mayStartSession` at the moment it would create the session,
 * so a lock set a second earlier — by failed attempts, by staff or by a "This wasn't me" report —
 * holds on every path (H1, M1, L11).
 */
export type AccessVerdict = { ok: true; user: User } | { ok: false; reason: "unknown" | "disabled" | "locked"; lock?: LockReason };

export async function mayStartSession(db: Db, userId: string, now: number): Promise<AccessVerdict> {
  const user = await findUserById(db, userId);
  if (!user) return { ok: false, reason: "unknown" };
  if (user.status !== "active") return { ok: false, reason: "disabled" };
  const lock = await activeLock(db, userId, now);
  if (lock) return { ok: false, reason: "locked", lock: lock.reason };
  return { ok: true, user };
}

/**
 * May a self-service recovery (reset or unlock, started by link, code or passkey) finish for this
 * account? Locks from failed attempts are what recovery is for; a staff or compromise lock means
 * the account is with support, and nothing but support may change its password.
 */
export async function mayRecover(db: Db, userId: string, now: number): Promise<boolean> {
  const user = await findUserById(db, userId);
  if (!user || user.status !== "active") return false;
  return (await openLocks(db, userId, now)).every((lock) => SELF_SERVICE_REASONS.includes(lock.reason));
}

/**
 * Must this sign-in choose a new password before it gets a session? After a "This wasn't me"
 * report the old password may be someone else's too (PWD-06); and a password shorter than the
 * plain minimum was only allowed while the account had a second factor (PWD-01, L8), so once
 * that factor is gone it must be replaced. `typed` is the password just checked, when there is one.
 */
export function passwordChangeDue(
  config: Config,
  user: User,
  typed: string | null,
  hasSecondFactor: boolean,
): "reported" | "too_short" | null {
  if (user.password_change_required) return "reported";
  if (typed !== null && !hasSecondFactor && [...typed.normalize("NFC")].length < config.password.minLength) return "too_short";
  return null;
}
