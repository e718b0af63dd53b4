import type { AppLoadContext } from "@remix-run/node";
import type { User } from "~/accounts/accounts.server";

/**
 * Where recovery meets capabilities that come later (second factors, lockout). Kept in one file
 * so the reset flow reads straight through.
 */

/** Accounts with an authenticator app or passkey must pass it after the email step (MFA-01). */
export function requiresSecondFactor(_context: AppLoadContext, _user: User): boolean {
  return false;
}

/** Runs inside the reset transaction: lifts temporary locks and the like. */
export function afterPasswordReset(_context: AppLoadContext, _user: User, _now: number): void {}
