import { sendSecurityNotice } from "~/notices/notices.server";
import { findUserById, type User } from "~/accounts/accounts.server";
import { isValidEmail, normaliseEmail } from "~/accounts/identifiers";
import { normalisePhone } from "~/accounts/phone";
import { smsAllowed } from "~/delivery/sms-guard.server";
import { hmacHex, randomDigits, randomId } from "~/security/crypto.server";
import { codeProof } from "~/proofs/code.server";
import { recordEvent } from "~/audit/events.server";
import { cancelFlows } from "~/stores/recovery-flows.store";
import { cancelPendingChanges, claimChangeAttempt, completeChange, findPendingChange, insertContactChange, type ContactChangeRow } from "~/stores/contact-changes.store";
import { setVerifiedContact } from "~/stores/users.store";
import { deleteOtherSessions } from "~/sessions/sessions.server";
import { inTransaction, type RequestContext } from "~/context.server";

/**
 * Verified contact changes for signed-in customers (NTF-03, NTF-04, MFA-06): a new email or
 * phone is saved, as verified, only after a code sent to it comes back; the old contacts are
 * told, with a way to report it (a report from the old address or phone undoes the change, M3).
 * A change ends every other session of the account and cancels its open recovery flows (SES-02).
 */
export type ContactKind = "email" | "phone";
const CHANGE_TTL_MS = 10 * 60_000;
const MAX_ATTEMPTS = 5;

type Change = ContactChangeRow;

/** The keyed hash a contact change's code is kept as (also the changes staff make for a ticket). */
export function codeHash(context: RequestContext, changeId: string, code: string) {
  return hmacHex(context.services.config.secretKey, `contact:${changeId}:${code}`);
}

export async function pendingChange(context: RequestContext, userId: string, kind: ContactKind): Promise<Change | undefined> {
  const { db, clock } = context.services;
  return findPendingChange(db, userId, kind, clock.now());
}

export type StartOutcome =
  | { ok: true; display: string }
  | { ok: false; reason: "invalid-email" | "same-email" | "invalid-phone" | "same-phone" | "flooded" | "sms-refused" };

export async function startContactChange(context: RequestContext, user: User, kind: ContactKind, raw: string): Promise<StartOutcome> {
  const { clock, config, limits } = context.services;
  let value: string | null;
  if (kind === "email") {
    value = normaliseEmail(raw);
    if (!isValidEmail(value)) return { ok: false, reason: "invalid-email" };
    if (value === user.email && user.email_verified) return { ok: false, reason: "same-email" };
  } else {
    value = normalisePhone(raw, config.defaultPhoneRegion);
    if (!value) return { ok: false, reason: "invalid-phone" };
    if (value === user.phone && user.phone_verified) return { ok: false, reason: "same-phone" };
  }
  for (const name of ["messages_per_destination_hour", "messages_per_destination_day"] as const) {
    const verdict = await limits.consume(name, `dest:${value}`);
    if (!verdict.ok) return { ok: false, reason: "flooded" };
  }
  if (kind === "phone" && !(await smsAllowed(context, value))) {
    return { ok: false, reason: "sms-refused" };
  }
  const id = randomId();
  const code = randomDigits(6);
  const hash = codeHash(context, id, code);
  const now = clock.now();
  const to = value;
  await inTransaction(context, async (tx) => {
    await cancelPendingChanges(tx.services.db, user.id, kind);
    await insertContactChange(tx.services.db, { id, user_id: user.id, kind, new_value: to, code_hash: hash, created_at: now, expires_at: now + CHANGE_TTL_MS });
    await tx.services.send({
      channel: kind === "email" ? "email" : "sms",
      to,
      template: "contact-verify",
      payload: { appName: config.appName, username: user.username, code, kind, minutes: CHANGE_TTL_MS / 60_000, locale: user.locale ?? config.defaultLocale },
    });
    await recordEvent(tx, { event: `${kind}_change_requested`, outcome: "info", userId: user.id, actorType: "user", actorId: user.id });
  });
  return { ok: true, display: value };
}

export type VerifyOutcome = { ok: true } | { ok: false; reason: "expired" | "dead" } | { ok: false; reason: "wrong"; attemptsLeft: number };

export async function verifyContactChange(context: RequestContext, user: User, kind: ContactKind, code: string, currentSessionId: string): Promise<VerifyOutcome> {
  const { clock } = context.services;
  const change = await pendingChange(context, user.id, kind);
  if (!change) return { ok: false, reason: "expired" };
  // The same code proof as recovery codes: attempt claimed first, a per-account budget, keyed compare.
  const proof = await codeProof.verify(
    context,
    {
      claimAttempt: (db) => claimChangeAttempt(db, change.id, MAX_ATTEMPTS),
      maxAttempts: MAX_ATTEMPTS,
      expectedHash: change.code_hash,
      hashOf: (typed) => codeHash(context, change.id, typed),
      budgetKey: `otp:contact:${user.id}`,
    },
    code,
  );
  if (!proof.ok) {
    if (proof.counted) {
      await inTransaction(context, async (tx) => {
        // The last wrong code ends the change, so it no longer shows as waiting for a code.
        if (proof.reason === "dead") await cancelPendingChanges(tx.services.db, user.id, kind);
        await recordEvent(tx, { event: `${kind}_change_code_failed`, outcome: "failure", userId: user.id, details: { attempts: proof.attempts, budget: proof.budget } });
      });
    }
    return proof.reason === "wrong" ? { ok: false, reason: "wrong", attemptsLeft: proof.attemptsLeft } : { ok: false, reason: "dead" };
  }
  const now = clock.now();
  const done = await inTransaction(context, async (tx) => {
    const db = tx.services.db;
    // The code is single use: of two parallel submissions, only the one that completes the change goes on.
    if (!(await completeChange(db, change.id, now))) return false;
    await setVerifiedContact(db, user.id, kind, change.new_value);
    // Another browser signed in, or a reset link already sent to the old address, must not outlive the change (L3).
    const sessions = await deleteOtherSessions(db, { type: "user", id: user.id }, currentSessionId);
    await cancelFlows(db, { userId: user.id });
    await recordEvent(tx, { event: `${kind}_changed`, outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions } });
    // Tell every contact, the old ones included, so a takeover cannot quietly move the account (NTF-03).
    // `user` is the account as it was: its old email and old phone are told, and the new email too.
    // The old value's own link can undo the change (M3).
    const updated = (await findUserById(db, user.id))!;
    const previous = kind === "email" ? (user.email_verified ? user.email : null) : user.phone && user.phone_verified ? user.phone : null;
    await sendSecurityNotice(tx, user, {
      template: "contact-changed",
      event: `${kind}_changed`,
      extra: { kind },
      alsoEmail: [updated.email],
      restore: previous ? { kind, previous, replaced: change.new_value } : undefined,
    });
    return true;
  });
  return done ? { ok: true } : { ok: false, reason: "expired" };
}
