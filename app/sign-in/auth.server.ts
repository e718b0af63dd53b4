import { redirect } from "@remix-run/node";
import { inTransaction, type RequestContext } from "~/context.server";
import { findUserById, type User } from "~/accounts/accounts.server";
import { clearCookie, readCookie, serializeCookie } from "~/http/cookies.server";
import { mayStartSession } from "~/accounts/access.server";
import { deviceCookie, knownDevice } from "~/sessions/device.server";
import { afterSignIn } from "~/notices/new-device.server";
import { createSession, deleteSession, sessionIdFromToken, validateSession, type Session } from "~/sessions/sessions.server";

/** Request-level helpers for customer sign-in sessions. */

export const SESSION_COOKIE = "session";

export async function getUserSession(request: Request, context: RequestContext): Promise<{ session: Session; user: User } | null> {
  const { config, db, clock } = context.services;
  const token = readCookie(request, SESSION_COOKIE, config.secureCookies);
  if (!token) return null;
  const session = await validateSession(db, token, clock.now(), config.session);
  if (!session || session.subject_type !== "user") return null;
  const user = await findUserById(db, session.subject_id);
  if (!user || user.status !== "active") return null;
  return { session, user };
}

export async function requireUser(request: Request, context: RequestContext): Promise<{ session: Session; user: User }> {
  const found = await getUserSession(request, context);
  if (!found) {
    const { config } = context.services;
    // A stale or forged cookie is cleared so the browser stops sending it (SES-04).
    const headers = readCookie(request, SESSION_COOKIE, config.secureCookies)
      ? { "Set-Cookie": clearCookie(SESSION_COOKIE, { secure: config.secureCookies }) }
      : undefined;
    throw redirect("/login", { headers });
  }
  return found;
}

/**
 * Starts a fresh session (a new id at every sign-in, SES-03) and ends the one the browser had.
 * Returns the Set-Cookie header value.
 */
export async function startUserSession(request: Request, context: RequestContext, user: User): Promise<string> {
  const { config, clock } = context.services;
  const old = readCookie(request, SESSION_COOKIE, config.secureCookies);
  // One transaction, so a lock cannot land between the check and the new session.
  const { token } = await inTransaction(context, async (tx) => {
    const db = tx.services.db;
    // Callers check first and answer in their own words; this is the backstop that no path can
    // skip: a locked or disabled account never gets a session (H1).
    if (!(await mayStartSession(db, user.id, clock.now())).ok) throw new Response("common:error.noSession", { status: 403 });
    if (old) await deleteSession(db, sessionIdFromToken(old));
    return createSession(db, { type: "user", id: user.id }, clock.now(), config.session, {
      ip: context.clientIp,
      userAgent: context.userAgent,
    });
  });
  // No Max-Age: a browser-session cookie; the server enforces idle and absolute expiry.
  return serializeCookie(SESSION_COOKIE, token, { secure: config.secureCookies, sameSite: "Lax" });
}

/** The cookies of a completed sign-in: the new session, and this browser's device cookie (M9). */
export async function signInCookies(request: Request, context: RequestContext, user: User): Promise<string[]> {
  const newDevice = !knownDevice(request, context, user.id);
  const cookies = [await startUserSession(request, context, user), deviceCookie(request, context, user.id)];
  // A browser never seen on this account: its verified e-mail is told (issue 15, opt-out on /account/security).
  await afterSignIn(context, user, newDevice);
  return cookies;
}

export async function endUserSession(request: Request, context: RequestContext): Promise<string> {
  const { config, db } = context.services;
  const token = readCookie(request, SESSION_COOKIE, config.secureCookies);
  if (token) await deleteSession(db, sessionIdFromToken(token));
  return clearCookie(SESSION_COOKIE, { secure: config.secureCookies });
}

export const RECENT_AUTH_MS = 10 * 60_000;

/**
 * Changing a contact or a factor needs a recent sign-in (MFA-06): an older session is sent to
 * confirm its password first, then comes back to `next`.
 */
export async function requireRecentUser(request: Request, context: RequestContext): Promise<{ session: Session; user: User }> {
  const found = await requireUser(request, context);
  if (context.services.clock.now() - found.session.authenticated_at > RECENT_AUTH_MS) {
    const next = new URL(request.url).pathname;
    throw redirect(`/account/confirm?next=${encodeURIComponent(next)}`);
  }
  return found;
}

/** Only same-site paths under /account may be used as a post-confirmation destination. */
export function safeNext(value: string | null): string {
  return value && /^\/account(\/[a-z-]+)*$/.test(value) ? value : "/account";
}
