import type { AppLoadContext } from "@remix-run/node";
import { hmacHex } from "~/security/crypto.server";
import { normaliseIdentifier } from "./identifiers";
import { authenticate, findUsersByLogin, type User } from "./accounts.server";
import { clearFailures, delayRemaining, failureKey, isLocked, recordFailure } from "~/lockout/lockout.server";
import { recordEvent } from "~/recovery/events.server";
import { hasSecondFactor } from "~/factors/factors.server";

export type SignInOutcome =
  | { ok: true; user: User; needsSecondFactor: boolean }
  | { ok: false; status: 400 | 429; message: string; retryAfter?: number };

/**
 * One message for every refusal: wrong password, unknown name, or a locked account. A lock
 * must not reveal more than a wrong password would (RL-04); the page always offers /unlock.
 */
export const SIGN_IN_FAILED = "That username or email and password don't match. Check them and try again.";

export async function signIn(context: AppLoadContext, identifier: string, password: string): Promise<SignInOutcome> {
  const { db, clock, config, limits, metrics } = context.services;
  const ipCheck = await limits.check("login_failures_per_ip", context.clientIp);
  if (!ipCheck.ok) {
    metrics.signIns.inc({ outcome: "throttled" });
    metrics.throttled.inc({ limit: "login_failures_per_ip" });
    return { ok: false, status: 429, message: waitMessage(ipCheck.retryAfterSeconds), retryAfter: ipCheck.retryAfterSeconds };
  }
  const candidates = findUsersByLogin(db, identifier).filter((u) => u.status === "active");
  const named = candidates.length === 1 ? candidates[0] : null;
  const key = failureKey(config.secretKey, named?.id ?? null, normaliseIdentifier(identifier));
  const now = clock.now();

  // Progressive delay after repeated failures, applied the same way to unknown names (RL-02).
  const wait = delayRemaining(db, key, now);
  if (wait > 0) {
    metrics.signIns.inc({ outcome: "delayed" });
    recordEvent(context, { event: "sign_in", outcome: "failure", userId: named?.id ?? null, details: { reason: "delayed" } });
    return { ok: false, status: 429, message: waitMessage(wait), retryAfter: wait };
  }

  const user = await authenticate(db, identifier, password);
  const locked = named ? isLocked(db, named.id, now) : false;
  if (user && !locked) {
    clearFailures(db, key);
    clearFailures(db, failureKey(config.secretKey, user.id, ""));
    const needsSecondFactor = hasSecondFactor(db, user.id);
    recordEvent(context, {
      event: needsSecondFactor ? "sign_in_password_verified" : "sign_in",
      outcome: "success",
      userId: user.id,
      actorType: "user",
      actorId: user.id,
    });
    metrics.signIns.inc({ outcome: needsSecondFactor ? "second_step" : "success" });
    return { ok: true, user, needsSecondFactor };
  }

  if (locked) {
    // Attempts during a lock are refused without counting: the lock already stops guessing.
    recordEvent(context, { event: "sign_in", outcome: "failure", userId: named?.id ?? null, details: { reason: "locked" } });
  } else {
    await limits.consume("login_failures_per_ip", context.clientIp);
    const result = recordFailure(db, config, {
      key,
      userId: named?.id ?? null,
      passwordTag: hmacHex(config.secretKey, `pw:${key}:${password.normalize("NFC")}`).slice(0, 16),
      now,
      ip: context.clientIp,
      userAgent: context.userAgent,
    });
    recordEvent(context, {
      event: "sign_in",
      outcome: "failure",
      userId: named?.id ?? null,
      details: { reason: "bad_credentials", failures: result.failures, repeated: !result.counted },
    });
    if (result.lock !== "none" && named) {
      recordEvent(context, {
        event: "account_locked",
        outcome: "info",
        userId: named.id,
        actorType: "system",
        details: { reason: "failed_attempts", kind: result.lock, failures: result.failures, until: result.lockUntil },
      });
    }
  }
  metrics.signIns.inc({ outcome: "failure" });
  return { ok: false, status: 400, message: SIGN_IN_FAILED };
}

function waitMessage(seconds: number): string {
  return seconds < 90
    ? `Too many attempts. Wait ${seconds} seconds and try again.`
    : `Too many attempts. Wait about ${Math.ceil(seconds / 60)} minutes and try again.`;
}
