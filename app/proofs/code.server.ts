import type { RequestContext } from "~/context.server";
import type { Db } from "~/db/db.server";
import { safeEqual } from "~/security/crypto.server";
import type { Proof } from "./proof";

/**
 * The one-time code proof, shared by every code the portal sends: the recovery code (e-mail or
 * SMS) and the code that confirms a new e-mail address or phone number. Whatever the code guards,
 * the same limits hold:
 *
 * - the attempt is claimed before the comparison with one conditional UPDATE, so parallel
 *   guesses each cost an attempt (OTP-05, L7);
 * - wrong codes also spend a per-account daily budget of their own (M2), and a spent budget
 *   answers exactly like a wrong code (M5), so it says nothing about the account;
 * - the comparison is constant-time on a keyed hash (OTP-02, OTP-03).
 *
 * Spending the code once is the caller's, inside the transaction that acts on it (the flow's
 * `spendCode`, the contact change's `completeChange`), so "used" and "acted on" commit together.
 */
export type CodeSubject = {
  /** Claims one attempt; the attempts made including this one, or null when none are left. */
  claimAttempt(db: Db): Promise<number | null>;
  maxAttempts: number;
  /** The keyed hash the code must match, or null when nothing can match (an unknown account). */
  expectedHash: string | null;
  hashOf(code: string): string;
  /** The per-account budget key, e.g. `otp:reset:<account>`. */
  budgetKey: string;
};

export type CodeReason = "wrong" | "dead";

/**
 * `counted` is false only when no attempt was left to claim; a counted failure is the caller's to
 * record (its own audit event). The last wrong attempt answers "dead".
 */
export type CodeProofResult =
  | { ok: true; attempts: number }
  | { ok: false; reason: "dead"; counted: false }
  | { ok: false; reason: CodeReason; counted: true; attempts: number; attemptsLeft: number; budget: "ok" | "spent" };

export async function proveCode(context: RequestContext, subject: CodeSubject, code: string): Promise<CodeProofResult> {
  const { db, limits } = context.services;
  const attempts = await subject.claimAttempt(db);
  if (attempts === null) return { ok: false, reason: "dead", counted: false };
  const budget = await limits.consume("code_failures_per_account", subject.budgetKey);
  const matches = budget.ok && /^\d{6}$/.test(code) && subject.expectedHash !== null && safeEqual(subject.hashOf(code), subject.expectedHash);
  if (!matches) {
    const attemptsLeft = Math.max(0, subject.maxAttempts - attempts);
    return { ok: false, reason: attemptsLeft === 0 ? "dead" : "wrong", counted: true, attempts, attemptsLeft, budget: budget.ok ? "ok" : "spent" };
  }
  await limits.refund("code_failures_per_account", subject.budgetKey);
  return { ok: true, attempts };
}

export const codeProof: Proof<CodeSubject, string, CodeProofResult> = {
  kinds: ["email-code", "sms-code"],
  verify: proveCode,
};
