import { sendSecurityNotice } from "~/notices/notices.server";
import type { AppLoadContext } from "@remix-run/node";
import { isInHistory, storePasswordHash, type User } from "~/accounts/accounts.server";
import { hashPassword } from "~/accounts/password-hash.server";
import { checkPassword, type PolicySettings } from "~/accounts/password-policy";
import { deleteAllSessions } from "~/sessions/sessions.server";
import { mayRecover } from "~/accounts/access.server";
import { redirect } from "@remix-run/node";
import { clearRecoveryCookie, consumeFlow, currentRecovery, startVerifiedFlow, type Current } from "./flows.server";
import { recordEvent } from "~/audit/events.server";
import { afterPasswordReset, requiresSecondFactor } from "./hooks.server";

/**
 * Completing a reset (DESIGN.md "After a reset"): one transaction stores the new Argon2id hash
 * and history row, consumes the flow, kills every other flow and every session of the account,
 * and queues the notifications. No session is created: the customer signs in (SES-01).
 */

export function passwordSettings(context: AppLoadContext, user: User | null): PolicySettings {
  const p = context.services.config.password;
  const mfa = user ? requiresSecondFactor(context, user) : false;
  return { minLength: mfa ? p.minLengthWithMfa : p.minLength, maxLength: p.maxLength, minScore: p.minScore };
}

/** The verified reset this browser holds, or null when it may not set a password (TOK-12). */
export function verifiedReset(context: AppLoadContext, request: Request): (Current & { user: User }) | null {
  const current = currentRecovery(context, request, "reset");
  if (!current || !current.user || current.flow.status !== "active") return null;
  if (context.services.clock.now() >= current.flow.expires_at) return null;
  // A staff or compromise lock puts the account in support's hands: no self-service reset (H1).
  if (!mayRecover(context.services.db, current.user.id, context.services.clock.now())) return null;
  const { state } = current.session;
  if (state === "second_factor_verified") return current as Current & { user: User };
  if (state === "verified" && !requiresSecondFactor(context, current.user)) return current as Current & { user: User };
  return null;
}

/**
 * A sign-in that passed every check but must choose a new password first (PWD-06, L8): no
 * session; the browser gets a verified reset hold (it just proved the password and any second
 * factor) and goes to "Choose a new password". The customer then signs in with the new one.
 */
export function requirePasswordChange(context: AppLoadContext, user: User, reason: "reported" | "too_short"): Response {
  const cookie = context.services.db.transaction(() => {
    recordEvent(context, { event: "password_change_required", outcome: "info", userId: user.id, actorType: "user", actorId: user.id, details: { reason } });
    return startVerifiedFlow(context, "reset", user, "second_factor_verified");
  }).immediate();
  return redirect(`/reset/password?required=${reason}`, { status: 303, headers: { "Set-Cookie": cookie } });
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

export type ResetOutcome =
  | { ok: true; clearCookie: string }
  | { ok: false; reason: "no-hold" | "used" | "mismatch" }
  | { ok: false; reason: "policy"; reasons: string[]; suggestions: string[] }
  | { ok: false; reason: "history"; remembered: number };

export async function completeReset(
  context: AppLoadContext,
  request: Request,
  input: { password: string; confirm: string },
): Promise<ResetOutcome> {
  const { db, clock, config, metrics } = context.services;
  const current = verifiedReset(context, request);
  if (!current) {
    recordEvent(context, { event: "password_reset_refused", outcome: "failure", details: { reason: "no_verified_flow" } });
    return { ok: false, reason: "no-hold" };
  }
  const { user, flow } = current;
  const password = input.password.normalize("NFC");
  const verdict = checkPassword(password, passwordSettings(context, user), { username: user.username, email: user.email, appName: config.appName });
  if (!verdict.ok) return { ok: false, reason: "policy", reasons: verdict.reasons, suggestions: verdict.suggestions };
  if (input.confirm.normalize("NFC") !== password) {
    return { ok: false, reason: "mismatch" };
  }
  if (config.password.history > 0 && (await isInHistory(db, user.id, password, config.password.history))) {
    return { ok: false, reason: "history", remembered: config.password.history };
  }
  const hash = await hashPassword(password);
  const now = clock.now();
  const won = db.transaction(() => {
    if (!consumeFlow(db, flow, now)) return false;
    storePasswordHash(db, user.id, hash, now);
    const revoked = deleteAllSessions(db, { type: "user", id: user.id });
    afterPasswordReset(context, user, now);
    recordEvent(context, { event: "password_reset_completed", outcome: "success", userId: user.id, details: { sessions_revoked: revoked } });
    sendSecurityNotice(context, user, { template: "password-changed", event: "password_changed" });
    return true;
  }).immediate();
  if (!won) {
    return { ok: false, reason: "used" };
  }
  metrics.recoveryRequests.inc({ purpose: "reset", outcome: "completed" });
  return { ok: true, clearCookie: clearRecoveryCookie(context) };
}
