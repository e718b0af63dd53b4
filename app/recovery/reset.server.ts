import { sendSecurityNotice } from "~/notices/notices.server";
import { isInHistory, setPreferredLocale, storePasswordHash, type User } from "~/accounts/accounts.server";
import { hashPassword } from "~/accounts/password-hash.server";
import { checkPassword, loadPasswordLanguage, type PolicySettings } from "~/accounts/password-policy";
import { deleteAllSessions } from "~/sessions/sessions.server";
import { clearRecoveryCookie, consumeFlow } from "./flows.server";
import { enter, requireHold } from "./journey.server";
import { recordEvent } from "~/audit/events.server";
import { inTransaction, type RequestContext } from "~/context.server";
import { afterPasswordReset, requiresSecondFactor } from "./hooks.server";

/**
 * Completing a reset (DESIGN.md "After a reset"): one transaction stores the new Argon2id hash
 * and history row, consumes the flow, kills every other flow and every session of the account,
 * and queues the notifications. No session is created: the customer signs in (SES-01).
 */

export async function passwordSettings(context: RequestContext, user: User | null): Promise<PolicySettings> {
  const p = context.services.config.password;
  const mfa = user ? await requiresSecondFactor(context, user) : false;
  return { minLength: mfa ? p.minLengthWithMfa : p.minLength, maxLength: p.maxLength, minScore: p.minScore };
}

export type PasswordChangeReason = "reported" | "too_short";

/**
 * A sign-in that passed every check but must choose a new password first (PWD-06, L8): no
 * session; the browser gets a verified reset hold (it just proved the password and any second
 * factor) and the route sends it on to "Choose a new password", saying why. The customer then
 * signs in with the new one.
 */
export async function requirePasswordChange(
  context: RequestContext,
  user: User,
  reason: PasswordChangeReason,
): Promise<{ cookie: string; reason: PasswordChangeReason }> {
  const cookie = await inTransaction(context, async (tx) => {
    await recordEvent(tx, { event: "password_change_required", outcome: "info", userId: user.id, actorType: "user", actorId: user.id, details: { reason } });
    return enter(tx, user, "sign-in");
  });
  return { cookie, reason };
}

export type ResetOutcome =
  | { ok: true; clearCookie: string }
  | { ok: false; reason: "no-hold" | "used" | "mismatch" }
  | { ok: false; reason: "policy"; reasons: string[]; suggestions: string[] }
  | { ok: false; reason: "history"; remembered: number };

export async function completeReset(
  context: RequestContext,
  request: Request,
  input: { password: string; confirm: string },
): Promise<ResetOutcome> {
  const { db, clock, config, metrics } = context.services;
  const check = await requireHold(context, request, "reset", "password");
  if (!check.ok) {
    await recordEvent(context, { event: "password_reset_refused", outcome: "failure", details: { reason: "no_verified_flow" } });
    return { ok: false, reason: "no-hold" };
  }
  const { user, flow } = check.hold;
  const password = input.password.normalize("NFC");
  await loadPasswordLanguage(context.locale);
  const verdict = checkPassword(password, await passwordSettings(context, user), { username: user.username, email: user.email, appName: config.appName }, context.locale);
  if (!verdict.ok) return { ok: false, reason: "policy", reasons: verdict.reasons, suggestions: verdict.suggestions };
  if (input.confirm.normalize("NFC") !== password) {
    return { ok: false, reason: "mismatch" };
  }
  if (config.password.history > 0 && (await isInHistory(db, user.id, password, config.password.history))) {
    return { ok: false, reason: "history", remembered: config.password.history };
  }
  const hash = await hashPassword(password);
  const now = clock.now();
  const won = await inTransaction(context, async (tx) => {
    const db = tx.services.db;
    if (!(await consumeFlow(db, flow, now))) return false;
    await storePasswordHash(db, user.id, hash, now);
    const revoked = await deleteAllSessions(db, { type: "user", id: user.id });
    await afterPasswordReset(tx, user, now);
    await recordEvent(tx, { event: "password_reset_completed", outcome: "success", userId: user.id, details: { sessions_revoked: revoked } });
    // Completing a recovery in a language makes it the account's language (issue 16). The notice
    // of this change goes in the language the account had (its owner reads it, whoever reset),
    // or, for an account without one, in the language just set.
    await setPreferredLocale(db, user.id, context.locale);
    await sendSecurityNotice(tx, { ...user, locale: user.locale ?? context.locale }, { template: "password-changed", event: "password_changed" });
    return true;
  });
  if (!won) {
    return { ok: false, reason: "used" };
  }
  metrics.recoveryRequests.inc({ purpose: "reset", outcome: "completed" });
  return { ok: true, clearCookie: clearRecoveryCookie(context) };
}
