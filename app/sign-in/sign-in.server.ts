import { inTransaction, type RequestContext } from "~/context.server";
import { hmacHex } from "~/security/crypto.server";
import { normaliseIdentifier } from "~/accounts/identifiers";
import { authenticate, findUsersByLogin, type User } from "~/accounts/accounts.server";
import { sendLockNoticeFor } from "~/notices/account-locks.server";
import { beginAttempt, clearFailures, failureKey, releaseAttempt, settleFailure } from "~/lockout/lockout.server";
import { mayStartSession, passwordChangeDue } from "~/accounts/access.server";
import { recordEvent } from "~/audit/events.server";
import { hasSecondFactor } from "~/factors/factors.server";

export type SignInOutcome =
  | { ok: true; user: User; needsSecondFactor: boolean; changePassword: "reported" | "too_short" | null }
  | { ok: false; reason: "failed" }
  | { ok: false; reason: "throttled" | "delayed"; retryAfterSeconds: number };

/**
 * One answer for every refusal ("failed"): wrong password, unknown name, or a locked account. A
 * lock must not reveal more than a wrong password would (RL-04); the page always offers /unlock.
 * The words live at the edge, in ./messages.ts.
 */
export async function signIn(context: RequestContext, identifier: string, password: string): Promise<SignInOutcome> {
  const { db, clock, config, limits, metrics } = context.services;
  // The client's budget is spent before the password is checked and given back on success, so a
  // burst of parallel guesses from one address is held to the budget (M6).
  const ipCheck = await limits.consume("login_failures_per_ip", context.clientKey);
  if (!ipCheck.ok) {
    metrics.signIns.inc({ outcome: "throttled" });
    metrics.throttled.inc({ limit: "login_failures_per_ip" });
    return { ok: false, reason: "throttled", retryAfterSeconds: ipCheck.retryAfterSeconds };
  }
  // Every active account the identifier names is counted, so an e-mail shared by several
  // accounts is no way around their counters and locks (M1).
  const candidates = (await findUsersByLogin(db, identifier)).filter((u) => u.status === "active");
  const keys = candidates.length
    ? candidates.map((u) => failureKey(config.secretKey, u.id, ""))
    : [failureKey(config.secretKey, null, normaliseIdentifier(identifier))];
  const named = candidates.length === 1 ? candidates[0] : null;
  const now = clock.now();
  const tag = hmacHex(config.secretKey, `pw:${password.normalize("NFC")}`).slice(0, 16);

  // Progressive delay after repeated failures, applied the same way to unknown names (RL-02).
  const attempt = await beginAttempt(db, config, keys, tag, now);
  if (!attempt.ok) {
    await limits.refund("login_failures_per_ip", context.clientKey);
    metrics.signIns.inc({ outcome: "delayed" });
    await recordEvent(context, { event: "sign_in", outcome: "failure", userId: named?.id ?? null, details: { reason: "delayed" } });
    return { ok: false, reason: "delayed", retryAfterSeconds: attempt.waitSeconds };
  }

  const user = await authenticate(db, identifier, password);
  const claimOf = (userId: string) => attempt.claims.find((c) => c.key === failureKey(config.secretKey, userId, ""));
  if (user) {
    // The access check and the forgetting of failures in one transaction, so a lock that lands in
    // between cannot be followed by a clean slate.
    const passed = await inTransaction(context, async (tx) => {
      const trx = tx.services.db;
      if (!(await mayStartSession(trx, user.id, clock.now())).ok) return null;
      // The other accounts on a shared e-mail were not guessed at: give their claims back.
      for (const c of attempt.claims) if (c !== claimOf(user.id)) await releaseAttempt(trx, c, tag);
      await clearFailures(trx, failureKey(config.secretKey, user.id, ""));
      const needs = await hasSecondFactor(trx, user.id);
      await recordEvent(tx, {
        event: needs ? "sign_in_password_verified" : "sign_in",
        outcome: "success",
        userId: user.id,
        actorType: "user",
        actorId: user.id,
      });
      return { needsSecondFactor: needs };
    });
    if (passed) {
      const { needsSecondFactor } = passed;
      await limits.refund("login_failures_per_ip", context.clientKey);
      metrics.signIns.inc({ outcome: needsSecondFactor ? "second_step" : "success" });
      return { ok: true, user, needsSecondFactor, changePassword: passwordChangeDue(config, user, password, needsSecondFactor) };
    }
    // The right password for a locked account is refused exactly like a wrong one (RL-04) and
    // counted like one too: sparing it the next delay would tell a guesser it was right.
  }

  for (const [i, claim] of attempt.claims.entries()) {
    const userId = candidates[i]?.id ?? null;
    // The lock and its audit rows commit together.
    await inTransaction(context, async (tx) => {
      const result = await settleFailure(tx.services.db, config, claim, { userId, now, ip: context.clientIp, userAgent: context.userAgent });
      await recordEvent(tx, {
        event: "sign_in",
        outcome: "failure",
        userId,
        details: { reason: user ? "locked" : "bad_credentials", failures: result.failures, repeated: !result.counted },
      });
      if (result.lock !== "none" && userId) {
        await recordEvent(tx, {
          event: "account_locked",
          outcome: "info",
          userId,
          actorType: "system",
          details: { reason: "failed_attempts", kind: result.lock, failures: result.failures, until: result.lockUntil },
        });
        // The customer is told, once per lock, with the way out (/unlock).
        await sendLockNoticeFor(tx, userId, { reason: "failed_attempts", locked_at: now, locked_until: result.lockUntil });
      }
    });
  }
  metrics.signIns.inc({ outcome: "failure" });
  return { ok: false, reason: "failed" };
}
