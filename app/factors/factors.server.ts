import { sendSecurityNotice } from "~/notices/notices.server";
import crypto from "node:crypto";
import type { Db } from "~/db/db.server";
import { inTransaction, type RequestContext } from "~/context.server";
import type { User } from "~/accounts/accounts.server";
import { recordEvent } from "~/audit/events.server";
import { cancelFlows } from "~/stores/recovery-flows.store";
import {
  countRecoveryCodesLeft,
  deletePasskey,
  deletePasskeys,
  deleteRecoveryCodes,
  deleteTotp,
  findTotp,
  listPasskeys,
  markTotpConfirmed,
  replaceRecoveryCodes,
  saveTotpSetup,
  spendRecoveryCode as spendRecoveryCodeRow,
  spendTotpStep,
} from "~/stores/factors.store";
import { deleteAllSessions, deleteOtherSessions } from "~/sessions/sessions.server";
import { hmacHex, randomId } from "~/security/crypto.server";
import { decryptSecret, encryptSecret, newTotpSecret, totpUri, verifyTotp } from "./totp.server";

/**
 * A customer's stronger factors: authenticator app (TOTP), passkeys and saved recovery codes.
 * Every change is audited and announced on every verified channel (NTF-02); wrong codes count
 * toward the account's shared daily failure budget (OTP-05, MFA-04).
 */

export { listPasskeys, type PasskeyRow } from "~/stores/factors.store";

export async function hasTotp(db: Db, userId: string): Promise<boolean> {
  return Boolean((await findTotp(db, userId))?.confirmed_at);
}

export async function recoveryCodesLeft(db: Db, userId: string): Promise<number> {
  return countRecoveryCodesLeft(db, userId);
}

/** Accounts with an authenticator app or a passkey always use a second factor. */
export async function hasSecondFactor(db: Db, userId: string): Promise<boolean> {
  // Recovery codes count too (MFA-01): they can only be made beside an app or passkey and go
  // with the last of them, but an account that still has some never resets by e-mail alone.
  return (await hasPrimaryFactor(db, userId)) || (await recoveryCodesLeft(db, userId)) > 0;
}

/** An authenticator app or a passkey: the factors that recovery codes back up (L9). */
async function hasPrimaryFactor(db: Db, userId: string): Promise<boolean> {
  return (await hasTotp(db, userId)) || (await listPasskeys(db, userId)).length > 0;
}

/**
 * Recovery codes back up an authenticator app or a passkey; when the last of those goes, the
 * codes go with it, so an account never holds codes alone (L9). Returns how many were removed.
 */
export async function dropOrphanedRecoveryCodes(db: Db, userId: string): Promise<number> {
  if (await hasPrimaryFactor(db, userId)) return 0;
  return deleteRecoveryCodes(db, userId);
}


export async function factorSummary(db: Db, userId: string) {
  return {
    totp: await hasTotp(db, userId),
    passkeys: (await listPasskeys(db, userId)).map((p) => ({ id: p.id, name: p.name, createdAt: p.created_at, lastUsedAt: p.last_used_at })),
    recoveryCodesLeft: await recoveryCodesLeft(db, userId),
  };
}

export type FactorChange = {
  change: "totpAdded" | "totpRemoved" | "codesCreated" | "codeUsed" | "passkeyAdded" | "passkeyRemoved" | "supportRemoved";
  /** Recovery codes left (codeUsed). */
  left?: number;
  /** The recovery codes went too: they only back up an authenticator app or a passkey. */
  codesDropped?: boolean;
};

/** Tell the customer on every verified channel, with a "This wasn't me" link. Call inside the change's transaction. */
export async function notifyFactorChange(context: RequestContext, user: User, change: FactorChange): Promise<void> {
  // A reason code, not a sentence: the message is written in the account's language (issue 16).
  await sendSecurityNotice(context, user, { template: "factor-changed", event: "security_settings_changed", extra: change });
}

/**
 * After a factor change (SES-02, review L3): every other session of the account ends and its open
 * recovery flows are cancelled. `keepSessionId` is the session making the change; null ends all
 * (support removing every factor). Call inside the change's transaction. Returns sessions ended.
 */
export async function endOtherAccess(context: RequestContext, userId: string, keepSessionId: string | null): Promise<number> {
  const { db } = context.services;
  const subject = { type: "user" as const, id: userId };
  const ended = keepSessionId ? await deleteOtherSessions(db, subject, keepSessionId) : await deleteAllSessions(db, subject);
  await cancelFlows(db, { userId });
  return ended;
}

// ---- authenticator app ---------------------------------------------------------------------

/** Starts (or resumes) setting up an authenticator; nothing is enabled until a code confirms it. */
export async function startTotpSetup(context: RequestContext, user: User): Promise<{ secret: string; uri: string }> {
  const { db, clock, config } = context.services;
  const existing = await findTotp(db, user.id);
  let secret: string;
  if (existing && !existing.confirmed_at) {
    secret = decryptSecret(config.secretKey, existing.secret);
  } else {
    secret = newTotpSecret();
    await saveTotpSetup(db, user.id, encryptSecret(config.secretKey, secret), clock.now());
  }
  return { secret, uri: totpUri(config.appName, user.username, secret) };
}

export async function pendingTotpSetup(db: Db, userId: string): Promise<boolean> {
  const row = await findTotp(db, userId);
  return Boolean(row && !row.confirmed_at);
}

/** Checks a TOTP code for an account (enabled, or being confirmed); counts failures. */
export async function checkTotp(context: RequestContext, userId: string, code: string, options: { confirming?: boolean } = {}): Promise<boolean> {
  const { db, clock, config, limits } = context.services;
  const row = await findTotp(db, userId);
  if (!row || (!row.confirmed_at && !options.confirming)) return false;
  // The authenticator has a daily budget of its own: wrong e-mail or SMS codes, which anyone who
  // knows a username can send, never use it up (M2). Spent before the check, given back on
  // success, so parallel guesses are held to it (M6, L7).
  const budgetKey = `totp:${userId}`;
  const budget = await limits.consume("code_failures_per_account", budgetKey);
  // Checked outside any transaction: the code is verified first, then its step spent.
  const step = budget.ok ? await verifyTotp(decryptSecret(config.secretKey, row.secret), code.replace(/\s/g, ""), clock.now(), row.last_step) : null;
  // The replay cache: this step (and every earlier one) is spent (MFA-04). The conditional
  // UPDATE lets exactly one of two parallel submissions of one code through (L7).
  const won = step !== null && (await spendTotpStep(db, userId, step));
  if (!won) {
    // A spent budget is refused without checking the code, and is not another failure.
    if (budget.ok) await recordEvent(context, { event: "totp_failed", outcome: "failure", userId });
    return false;
  }
  await limits.refund("code_failures_per_account", budgetKey);
  return true;
}

export async function confirmTotp(context: RequestContext, user: User, code: string, currentSessionId: string): Promise<boolean> {
  const { db, clock } = context.services;
  if (!(await pendingTotpSetup(db, user.id))) return false;
  if (!(await checkTotp(context, user.id, code, { confirming: true }))) return false;
  const now = clock.now();
  await inTransaction(context, async (tx) => {
    await markTotpConfirmed(tx.services.db, user.id, now);
    const sessions = await endOtherAccess(tx, user.id, currentSessionId);
    await recordEvent(tx, { event: "totp_enabled", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions } });
    await notifyFactorChange(tx, user, { change: "totpAdded" });
  });
  return true;
}

/** Turning the authenticator off needs a current code from it, or a recovery code. */
export async function disableTotp(context: RequestContext, user: User, code: string, currentSessionId: string): Promise<boolean> {
  const ok = (await checkTotp(context, user.id, code)) || (await spendRecoveryCode(context, user, code)).ok;
  if (!ok) return false;
  await inTransaction(context, async (tx) => {
    const db = tx.services.db;
    await deleteTotp(db, user.id);
    const dropped = await dropOrphanedRecoveryCodes(db, user.id);
    const sessions = await endOtherAccess(tx, user.id, currentSessionId);
    await recordEvent(tx, { event: "totp_disabled", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions, recovery_codes_removed: dropped } });
    await notifyFactorChange(tx, user, { change: "totpRemoved", codesDropped: Boolean(dropped) });
  });
  return true;
}

// ---- recovery codes -----------------------------------------------------------------------

const CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // 31 symbols, no look-alikes
function newRecoveryCode(): string {
  // 20 symbols from 31 ≈ 99 bits from the CSPRNG (MFA-03 asks for ≥ 64; this portal chose ≥ 80).
  const chars = Array.from({ length: 20 }, () => CODE_ALPHABET[crypto.randomInt(CODE_ALPHABET.length)]);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join("")).join("-");
}

function recoveryHash(context: RequestContext, code: string): string {
  const normalised = code.toLowerCase().replace(/[^a-z0-9]/g, "");
  return hmacHex(context.services.config.secretKey, `recovery-code:${normalised}`);
}

/** Ten new codes; the old ones stop working. The codes are returned once and never stored. */
export async function regenerateRecoveryCodes(context: RequestContext, user: User, currentSessionId: string): Promise<string[] | null> {
  const { db, clock } = context.services;
  // Codes alone would be a second factor nobody can use for sign-in day to day (L9).
  if (!(await hasPrimaryFactor(db, user.id))) return null;
  const codes = Array.from({ length: 10 }, newRecoveryCode);
  const hashed = codes.map((code) => ({ id: randomId(), codeHash: recoveryHash(context, code) }));
  const now = clock.now();
  await inTransaction(context, async (tx) => {
    await replaceRecoveryCodes(tx.services.db, user.id, hashed, now);
    const sessions = await endOtherAccess(tx, user.id, currentSessionId);
    await recordEvent(tx, { event: "recovery_codes_generated", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions } });
    await notifyFactorChange(tx, user, { change: "codesCreated" });
  });
  return codes;
}

/** Spends one recovery code (single use, MFA-03). Failures count toward the daily budget. */
export async function spendRecoveryCode(context: RequestContext, user: User, code: string): Promise<{ ok: boolean; remaining: number }> {
  const { db, clock, limits } = context.services;
  if (code.length > 64) return { ok: false, remaining: await recoveryCodesLeft(db, user.id) };
  // Recovery codes have their own daily budget (M2), spent up front and given back on success.
  const budgetKey = `recovery-code:${user.id}`;
  const budget = await limits.consume("code_failures_per_account", budgetKey);
  const codeHash = recoveryHash(context, code);
  const now = clock.now();
  // Spent by the conditional UPDATE alone: of two parallel submissions of one code, one wins.
  // The audit row and the notice commit with the spend.
  const remaining = !budget.ok
    ? null
    : await inTransaction(context, async (tx) => {
        if (!(await spendRecoveryCodeRow(tx.services.db, user.id, codeHash, now))) return null;
        const left = await recoveryCodesLeft(tx.services.db, user.id);
        await recordEvent(tx, { event: "recovery_code_used", outcome: "success", userId: user.id, details: { remaining: left } });
        await notifyFactorChange(tx, user, { change: "codeUsed", left });
        return left;
      });
  if (remaining === null) {
    await recordEvent(context, { event: "recovery_code_failed", outcome: "failure", userId: user.id });
    return { ok: false, remaining: await recoveryCodesLeft(db, user.id) };
  }
  await limits.refund("code_failures_per_account", budgetKey);
  return { ok: true, remaining };
}

export async function removePasskey(context: RequestContext, user: User, id: string, currentSessionId: string): Promise<boolean> {
  return inTransaction(context, async (tx) => {
    const db = tx.services.db;
    const removed = await deletePasskey(db, id, user.id);
    if (removed) {
      const dropped = await dropOrphanedRecoveryCodes(db, user.id);
      const sessions = await endOtherAccess(tx, user.id, currentSessionId);
      await recordEvent(tx, { event: "passkey_removed", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions, recovery_codes_removed: dropped } });
      await notifyFactorChange(tx, user, { change: "passkeyRemoved", codesDropped: Boolean(dropped) });
    }
    return removed;
  });
}

/**
 * Support staff, after checking identity: remove every factor so the customer can start over.
 * Every session of the account ends and its recovery flows are cancelled (SES-02).
 * Runs in the caller's transaction when given one (pass `tx`), in one of its own otherwise.
 */
export async function removeAllFactors(context: RequestContext, user: User, staffId: string): Promise<number> {
  return inTransaction(context, async (tx) => {
    const db = tx.services.db;
    const n = (await deletePasskeys(db, user.id)) + (await deleteTotp(db, user.id)) + (await deleteRecoveryCodes(db, user.id));
    const sessions = await endOtherAccess(tx, user.id, null);
    await recordEvent(tx, { event: "factors_removed", outcome: "success", userId: user.id, actorType: "staff", actorId: staffId, details: { removed: n, sessions_revoked: sessions } });
    await notifyFactorChange(tx, user, { change: "supportRemoved" });
    return n;
  });
}
