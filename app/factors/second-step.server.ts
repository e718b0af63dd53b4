import type { AppLoadContext } from "@remix-run/node";
import { findUserById, type User } from "~/accounts/accounts.server";
import { mayRecover, mayStartSession } from "~/accounts/access.server";
import { clearCookie, readCookie, serializeCookie } from "~/http/cookies.server";
import { hmacHex, safeEqual } from "~/security/crypto.server";
import { currentRecovery } from "~/recovery/flows.server";
import { checkTotp, spendRecoveryCode } from "./factors.server";

/**
 * The second step, at sign-in and during a reset (MFA-01). Between the password and the factor
 * the browser holds a short signed "password passed" cookie, never a session.
 */
const PENDING_COOKIE = "mfa_pending";
const PENDING_MS = 5 * 60_000;

/**
 * The cookie is bound to the account's password as it was when it passed (a reset voids it) and
 * is re-checked against every lock when used (L11): a "This wasn't me" report or a lock that
 * lands inside the five minutes stops the second step from creating a session.
 */
function pendingMac(context: AppLoadContext, user: User, expires: string): string {
  return hmacHex(context.services.config.secretKey, `mfa-pending:${user.id}:${expires}:${user.password_hash ?? ""}`);
}

export function pendingSignInCookie(context: AppLoadContext, user: User): string {
  const { config, clock } = context.services;
  const expires = String(clock.now() + PENDING_MS);
  return serializeCookie(PENDING_COOKIE, `${user.id}.${expires}.${pendingMac(context, user, expires)}`, {
    secure: config.secureCookies,
    sameSite: "Strict",
    maxAgeSeconds: PENDING_MS / 1000,
  });
}

export function clearPendingSignIn(context: AppLoadContext): string {
  return clearCookie(PENDING_COOKIE, { secure: context.services.config.secureCookies, sameSite: "Strict" });
}

export function pendingSignInUser(request: Request, context: AppLoadContext): User | null {
  const { config, clock, db } = context.services;
  const value = readCookie(request, PENDING_COOKIE, config.secureCookies);
  if (!value) return null;
  const [id, expires, mac] = value.split(".");
  if (!id || !expires || !mac || Number(expires) < clock.now()) return null;
  const user = findUserById(db, id);
  if (!user || !safeEqual(mac, pendingMac(context, user, expires))) return null;
  const access = mayStartSession(db, user.id, clock.now());
  return access.ok ? access.user : null;
}

/** The user of a reset that passed the email/SMS step and now needs its second factor. */
export function resetAwaitingFactor(request: Request, context: AppLoadContext): { user: User; sessionId: string } | null {
  const current = currentRecovery(context, request, "reset");
  if (!current?.user || current.flow.status !== "active" || current.session.state !== "verified") return null;
  if (context.services.clock.now() >= current.flow.expires_at) return null;
  if (!mayRecover(context.services.db, current.user.id, context.services.clock.now())) return null;
  return { user: current.user, sessionId: current.session.id };
}

export function markResetFactorPassed(context: AppLoadContext, sessionId: string): void {
  context.services.db.prepare("UPDATE recovery_sessions SET state = 'second_factor_verified' WHERE id = ? AND state = 'verified'").run(sessionId);
}

export type FactorOutcome = { ok: true; recoveryCodesLeft: number | null } | { ok: false; message: string };

/** A typed second factor: an authenticator code or a recovery code. */
export async function checkTypedFactor(context: AppLoadContext, user: User, intent: string, value: string): Promise<FactorOutcome> {
  if (intent === "totp") {
    return (await checkTotp(context, user.id, value.slice(0, 16)))
      ? { ok: true, recoveryCodesLeft: null }
      : { ok: false, message: "That code isn't right or was already used. Wait for the next code and try again." };
  }
  if (intent === "recovery") {
    const used = await spendRecoveryCode(context, user, value.slice(0, 64));
    return used.ok ? { ok: true, recoveryCodesLeft: used.remaining } : { ok: false, message: "That recovery code isn't right or was already used." };
  }
  return { ok: false, message: "Choose a way to confirm it's you." };
}
