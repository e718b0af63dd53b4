import { sendSecurityNotice } from "~/notices/notices.server";
import crypto from "node:crypto";
import type { AppLoadContext } from "@remix-run/node";
import type { Db } from "~/db/db.server";
import type { User } from "~/accounts/accounts.server";
import { recordEvent } from "~/audit/events.server";
import { cancelFlowsForUser } from "~/stores/recovery-flows.store";
import { deleteAllSessions, deleteOtherSessions } from "~/sessions/sessions.server";
import { hmacHex, randomId } from "~/security/crypto.server";
import { decryptSecret, encryptSecret, newTotpSecret, totpUri, verifyTotp } from "./totp.server";

/**
 * A customer's stronger factors: authenticator app (TOTP), passkeys and saved recovery codes.
 * Every change is audited and announced on every verified channel (NTF-02); wrong codes count
 * toward the account's shared daily failure budget (OTP-05, MFA-04).
 */

export type PasskeyRow = {
  id: string;
  user_id: string;
  public_key: Buffer;
  counter: number;
  transports: string;
  device_type: string | null;
  backed_up: number;
  name: string;
  created_at: number;
  last_used_at: number | null;
};

export function listPasskeys(db: Db, userId: string): PasskeyRow[] {
  return db.prepare("SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at").all(userId) as PasskeyRow[];
}

function totpRow(db: Db, userId: string) {
  return db.prepare("SELECT * FROM user_totp WHERE user_id = ?").get(userId) as
    | { user_id: string; secret: string; confirmed_at: number | null; last_step: number }
    | undefined;
}

export function hasTotp(db: Db, userId: string): boolean {
  return Boolean(totpRow(db, userId)?.confirmed_at);
}

export function recoveryCodesLeft(db: Db, userId: string): number {
  return (db.prepare("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL").get(userId) as { n: number }).n;
}

/** Accounts with an authenticator app or a passkey always use a second factor. */
export function hasSecondFactor(db: Db, userId: string): boolean {
  // Recovery codes count too (MFA-01): they can only be made beside an app or passkey and go
  // with the last of them, but an account that still has some never resets by e-mail alone.
  return hasPrimaryFactor(db, userId) || recoveryCodesLeft(db, userId) > 0;
}

/** An authenticator app or a passkey: the factors that recovery codes back up (L9). */
function hasPrimaryFactor(db: Db, userId: string): boolean {
  return hasTotp(db, userId) || listPasskeys(db, userId).length > 0;
}

/**
 * Recovery codes back up an authenticator app or a passkey; when the last of those goes, the
 * codes go with it, so an account never holds codes alone (L9). Returns how many were removed.
 */
export function dropOrphanedRecoveryCodes(db: Db, userId: string): number {
  if (hasPrimaryFactor(db, userId)) return 0;
  return db.prepare("DELETE FROM recovery_codes WHERE user_id = ?").run(userId).changes;
}

const CODES_DROPPED = ", and your recovery codes with it (they only back up an authenticator app or a passkey)";

export function factorSummary(db: Db, userId: string) {
  return {
    totp: hasTotp(db, userId),
    passkeys: listPasskeys(db, userId).map((p) => ({ id: p.id, name: p.name, createdAt: p.created_at, lastUsedAt: p.last_used_at })),
    recoveryCodesLeft: recoveryCodesLeft(db, userId),
  };
}

/** Tell the customer on every verified channel, with a "This wasn't me" link. */
export function notifyFactorChange(context: AppLoadContext, user: User, change: string): void {
  sendSecurityNotice(context, user, { template: "factor-changed", event: "security_settings_changed", extra: { change } });
}

/**
 * After a factor change (SES-02, review L3): every other session of the account ends and its open
 * recovery flows are cancelled. `keepSessionId` is the session making the change; null ends all
 * (support removing every factor). Call inside the change's transaction. Returns sessions ended.
 */
export function endOtherAccess(context: AppLoadContext, userId: string, keepSessionId: string | null): number {
  const { db } = context.services;
  const subject = { type: "user" as const, id: userId };
  const ended = keepSessionId ? deleteOtherSessions(db, subject, keepSessionId) : deleteAllSessions(db, subject);
  cancelFlowsForUser(db, userId);
  return ended;
}

// ---- authenticator app ---------------------------------------------------------------------

/** Starts (or resumes) setting up an authenticator; nothing is enabled until a code confirms it. */
export function startTotpSetup(context: AppLoadContext, user: User): { secret: string; uri: string } {
  const { db, clock, config } = context.services;
  const existing = totpRow(db, user.id);
  let secret: string;
  if (existing && !existing.confirmed_at) {
    secret = decryptSecret(config.secretKey, existing.secret);
  } else {
    secret = newTotpSecret();
    db.prepare(
      "INSERT INTO user_totp (user_id, secret, confirmed_at, last_step, created_at) VALUES (?, ?, NULL, 0, ?) ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed_at = NULL, last_step = 0, created_at = excluded.created_at",
    ).run(user.id, encryptSecret(config.secretKey, secret), clock.now());
  }
  return { secret, uri: totpUri(config.appName, user.username, secret) };
}

export function pendingTotpSetup(db: Db, userId: string): boolean {
  const row = totpRow(db, userId);
  return Boolean(row && !row.confirmed_at);
}

/** Checks a TOTP code for an account (enabled, or being confirmed); counts failures. */
export async function checkTotp(context: AppLoadContext, userId: string, code: string, options: { confirming?: boolean } = {}): Promise<boolean> {
  const { db, clock, config, limits } = context.services;
  const row = totpRow(db, userId);
  if (!row || (!row.confirmed_at && !options.confirming)) return false;
  // The authenticator has a daily budget of its own: wrong e-mail or SMS codes, which anyone who
  // knows a username can send, never use it up (M2). Spent before the check, given back on
  // success, so parallel guesses are held to it (M6, L7).
  const budgetKey = `totp:${userId}`;
  const budget = await limits.consume("code_failures_per_account", budgetKey);
  const step = budget.ok ? await verifyTotp(decryptSecret(config.secretKey, row.secret), code.replace(/\s/g, ""), clock.now(), row.last_step) : null;
  // The replay cache: this step (and every earlier one) is spent (MFA-04). The conditional
  // UPDATE lets exactly one of two parallel submissions of one code through (L7).
  const won = step !== null && db.prepare("UPDATE user_totp SET last_step = ? WHERE user_id = ? AND last_step < ?").run(step, userId, step).changes === 1;
  if (!won) {
    // A spent budget is refused without checking the code, and is not another failure.
    if (budget.ok) recordEvent(context, { event: "totp_failed", outcome: "failure", userId });
    return false;
  }
  await limits.refund("code_failures_per_account", budgetKey);
  return true;
}

export async function confirmTotp(context: AppLoadContext, user: User, code: string, currentSessionId: string): Promise<boolean> {
  const { db, clock } = context.services;
  if (!pendingTotpSetup(db, user.id)) return false;
  if (!(await checkTotp(context, user.id, code, { confirming: true }))) return false;
  db.transaction(() => {
    db.prepare("UPDATE user_totp SET confirmed_at = ? WHERE user_id = ?").run(clock.now(), user.id);
    const sessions = endOtherAccess(context, user.id, currentSessionId);
    recordEvent(context, { event: "totp_enabled", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions } });
    notifyFactorChange(context, user, "An authenticator app was added");
  }).immediate();
  return true;
}

/** Turning the authenticator off needs a current code from it, or a recovery code. */
export async function disableTotp(context: AppLoadContext, user: User, code: string, currentSessionId: string): Promise<boolean> {
  const { db } = context.services;
  const ok = (await checkTotp(context, user.id, code)) || (await spendRecoveryCode(context, user, code)).ok;
  if (!ok) return false;
  db.transaction(() => {
    db.prepare("DELETE FROM user_totp WHERE user_id = ?").run(user.id);
    const dropped = dropOrphanedRecoveryCodes(db, user.id);
    const sessions = endOtherAccess(context, user.id, currentSessionId);
    recordEvent(context, { event: "totp_disabled", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions, recovery_codes_removed: dropped } });
    notifyFactorChange(context, user, `The authenticator app was removed${dropped ? CODES_DROPPED : ""}`);
  }).immediate();
  return true;
}

// ---- recovery codes -----------------------------------------------------------------------

const CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // 31 symbols, no look-alikes
function newRecoveryCode(): string {
  // 20 symbols from 31 ≈ 99 bits from the CSPRNG (MFA-03 asks for ≥ 64; this portal chose ≥ 80).
  const chars = Array.from({ length: 20 }, () => CODE_ALPHABET[crypto.randomInt(CODE_ALPHABET.length)]);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join("")).join("-");
}

function recoveryHash(context: AppLoadContext, code: string): string {
  const normalised = code.toLowerCase().replace(/[^a-z0-9]/g, "");
  return hmacHex(context.services.config.secretKey, `recovery-code:${normalised}`);
}

/** Ten new codes; the old ones stop working. The codes are returned once and never stored. */
export function regenerateRecoveryCodes(context: AppLoadContext, user: User, currentSessionId: string): string[] | null {
  const { db, clock } = context.services;
  // Codes alone would be a second factor nobody can use for sign-in day to day (L9).
  if (!hasPrimaryFactor(db, user.id)) return null;
  const codes = Array.from({ length: 10 }, newRecoveryCode);
  db.transaction(() => {
    db.prepare("DELETE FROM recovery_codes WHERE user_id = ?").run(user.id);
    const insert = db.prepare("INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES (?, ?, ?, ?)");
    for (const code of codes) insert.run(randomId(), user.id, recoveryHash(context, code), clock.now());
    const sessions = endOtherAccess(context, user.id, currentSessionId);
    recordEvent(context, { event: "recovery_codes_generated", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions } });
    notifyFactorChange(context, user, "New recovery codes were created (the old ones no longer work)");
  }).immediate();
  return codes;
}

/** Spends one recovery code (single use, MFA-03). Failures count toward the daily budget. */
export async function spendRecoveryCode(context: AppLoadContext, user: User, code: string): Promise<{ ok: boolean; remaining: number }> {
  const { db, clock, limits } = context.services;
  if (code.length > 64) return { ok: false, remaining: recoveryCodesLeft(db, user.id) };
  // Recovery codes have their own daily budget (M2), spent up front and given back on success.
  const budgetKey = `recovery-code:${user.id}`;
  const budget = await limits.consume("code_failures_per_account", budgetKey);
  const used =
    budget.ok &&
    db
      .prepare("UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL")
      .run(clock.now(), user.id, recoveryHash(context, code)).changes === 1;
  if (used) await limits.refund("code_failures_per_account", budgetKey);
  if (!used) {
    recordEvent(context, { event: "recovery_code_failed", outcome: "failure", userId: user.id });
    return { ok: false, remaining: recoveryCodesLeft(db, user.id) };
  }
  const remaining = recoveryCodesLeft(db, user.id);
  recordEvent(context, { event: "recovery_code_used", outcome: "success", userId: user.id, details: { remaining } });
  notifyFactorChange(context, user, `A recovery code was used (${remaining} left)`);
  return { ok: true, remaining };
}

export function removePasskey(context: AppLoadContext, user: User, id: string, currentSessionId: string): boolean {
  const { db } = context.services;
  return db.transaction(() => {
    const removed = db.prepare("DELETE FROM passkeys WHERE id = ? AND user_id = ?").run(id, user.id).changes === 1;
    if (removed) {
      const dropped = dropOrphanedRecoveryCodes(db, user.id);
      const sessions = endOtherAccess(context, user.id, currentSessionId);
      recordEvent(context, { event: "passkey_removed", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions, recovery_codes_removed: dropped } });
      notifyFactorChange(context, user, `A passkey was removed${dropped ? CODES_DROPPED : ""}`);
    }
    return removed;
  }).immediate();
}

/**
 * Support staff, after checking identity: remove every factor so the customer can start over.
 * Every session of the account ends and its recovery flows are cancelled (SES-02).
 */
export function removeAllFactors(context: AppLoadContext, user: User, staffId: string): number {
  const { db } = context.services;
  const n =
    db.prepare("DELETE FROM passkeys WHERE user_id = ?").run(user.id).changes +
    db.prepare("DELETE FROM user_totp WHERE user_id = ?").run(user.id).changes +
    db.prepare("DELETE FROM recovery_codes WHERE user_id = ?").run(user.id).changes;
  const sessions = endOtherAccess(context, user.id, null);
  recordEvent(context, { event: "factors_removed", outcome: "success", userId: user.id, actorType: "staff", actorId: staffId, details: { removed: n, sessions_revoked: sessions } });
  notifyFactorChange(context, user, "Our support team removed your passkeys, authenticator app and recovery codes at your request");
  return n;
}
