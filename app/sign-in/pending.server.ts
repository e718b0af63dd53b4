import type { RequestContext } from "~/context.server";
import { findUserById, type User } from "~/accounts/accounts.server";
import { mayStartSession } from "~/accounts/access.server";
import { clearCookie, readCookie, serializeCookie } from "~/http/cookies.server";
import { hmacHex, safeEqual } from "~/security/crypto.server";

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
function pendingMac(context: RequestContext, user: User, expires: string): string {
  return hmacHex(context.services.config.secretKey, `mfa-pending:${user.id}:${expires}:${user.password_hash ?? ""}`);
}

export function pendingSignInCookie(context: RequestContext, user: User): string {
  const { config, clock } = context.services;
  const expires = String(clock.now() + PENDING_MS);
  return serializeCookie(PENDING_COOKIE, `${user.id}.${expires}.${pendingMac(context, user, expires)}`, {
    secure: config.secureCookies,
    sameSite: "Strict",
    maxAgeSeconds: PENDING_MS / 1000,
  });
}

export function clearPendingSignIn(context: RequestContext): string {
  return clearCookie(PENDING_COOKIE, { secure: context.services.config.secureCookies, sameSite: "Strict" });
}

export async function pendingSignInUser(request: Request, context: RequestContext): Promise<User | null> {
  const { config, clock, db } = context.services;
  const value = readCookie(request, PENDING_COOKIE, config.secureCookies);
  if (!value) return null;
  const [id, expires, mac] = value.split(".");
  if (!id || !expires || !mac || Number(expires) < clock.now()) return null;
  const user = await findUserById(db, id);
  if (!user || !safeEqual(mac, pendingMac(context, user, expires))) return null;
  const access = await mayStartSession(db, user.id, clock.now());
  return access.ok ? access.user : null;
}
