import { sendSecurityNotice } from "~/notices/notices.server";
import type { AppLoadContext } from "@remix-run/node";
import { findUserById, type User } from "~/accounts/accounts.server";
import { isValidEmail, normaliseEmail } from "~/accounts/identifiers";
import { normalisePhone } from "~/accounts/phone";
import { smsAllowed } from "~/delivery/sms-guard.server";
import { hmacHex, randomDigits, randomId, safeEqual } from "~/security/crypto.server";
import { recordEvent } from "~/audit/events.server";
import { cancelFlowsForUser } from "~/stores/recovery-flows.store";
import { deleteOtherSessions } from "~/sessions/sessions.server";

/**
 * Verified contact changes for signed-in customers (NTF-03, NTF-04, MFA-06): a new email or
 * phone is saved, as verified, only after a code sent to it comes back; the old contacts are
 * told, with a way to report it (a report from the old address or phone undoes the change, M3).
 * A change ends every other session of the account and cancels its open recovery flows (SES-02).
 */
export type ContactKind = "email" | "phone";
const CHANGE_TTL_MS = 10 * 60_000;
const MAX_ATTEMPTS = 5;

type Change = {
  id: string;
  user_id: string;
  kind: ContactKind;
  new_value: string;
  code_hash: string;
  attempts: number;
  status: string;
  created_at: number;
  expires_at: number;
};

function codeHash(context: AppLoadContext, changeId: string, code: string) {
  return hmacHex(context.services.config.secretKey, `contact:${changeId}:${code}`);
}

export function pendingChange(context: AppLoadContext, userId: string, kind: ContactKind): Change | undefined {
  const { db, clock } = context.services;
  return db
    .prepare("SELECT * FROM contact_changes WHERE user_id = ? AND kind = ? AND status = 'pending' AND expires_at > ? ORDER BY created_at DESC LIMIT 1")
    .get(userId, kind, clock.now()) as Change | undefined;
}

export type StartOutcome =
  | { ok: true; display: string }
  | { ok: false; reason: "invalid-email" | "same-email" | "invalid-phone" | "same-phone" | "flooded" | "sms-refused" };

export async function startContactChange(context: AppLoadContext, user: User, kind: ContactKind, raw: string): Promise<StartOutcome> {
  const { db, clock, config, limits } = context.services;
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
  const now = clock.now();
  db.transaction(() => {
    db.prepare("UPDATE contact_changes SET status = 'cancelled' WHERE user_id = ? AND kind = ? AND status = 'pending'").run(user.id, kind);
    db.prepare(
      "INSERT INTO contact_changes (id, user_id, kind, new_value, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(id, user.id, kind, value, codeHash(context, id, code), now, now + CHANGE_TTL_MS);
    context.services.send({
      channel: kind === "email" ? "email" : "sms",
      to: value!,
      template: "contact-verify",
      payload: { appName: config.appName, username: user.username, code, kind, minutes: CHANGE_TTL_MS / 60_000 },
    });
    recordEvent(context, { event: `${kind}_change_requested`, outcome: "info", userId: user.id, actorType: "user", actorId: user.id });
  }).immediate();
  return { ok: true, display: value };
}

export type VerifyOutcome = { ok: true } | { ok: false; reason: "expired" | "dead" } | { ok: false; reason: "wrong"; attemptsLeft: number };

export function verifyContactChange(context: AppLoadContext, user: User, kind: ContactKind, code: string, currentSessionId: string): VerifyOutcome {
  const { db } = context.services;
  const change = pendingChange(context, user.id, kind);
  if (!change) return { ok: false, reason: "expired" };
  if (!/^\d{6}$/.test(code) || !safeEqual(codeHash(context, change.id, code), change.code_hash)) {
    const attempts = change.attempts + 1;
    db.prepare("UPDATE contact_changes SET attempts = ?, status = CASE WHEN ? >= ? THEN 'cancelled' ELSE status END WHERE id = ?").run(
      attempts,
      attempts,
      MAX_ATTEMPTS,
      change.id,
    );
    recordEvent(context, { event: `${kind}_change_code_failed`, outcome: "failure", userId: user.id, details: { attempts } });
    if (attempts >= MAX_ATTEMPTS) return { ok: false, reason: "dead" };
    return { ok: false, reason: "wrong", attemptsLeft: MAX_ATTEMPTS - attempts };
  }
  db.transaction(() => {
    db.prepare("UPDATE contact_changes SET status = 'done' WHERE id = ?").run(change.id);
    if (kind === "email") db.prepare("UPDATE users SET email = ?, email_verified = 1 WHERE id = ?").run(change.new_value, user.id);
    else db.prepare("UPDATE users SET phone = ?, phone_verified = 1 WHERE id = ?").run(change.new_value, user.id);
    // Another browser signed in, or a reset link already sent to the old address, must not outlive the change (L3).
    const sessions = deleteOtherSessions(db, { type: "user", id: user.id }, currentSessionId);
    cancelFlowsForUser(db, user.id);
    recordEvent(context, { event: `${kind}_changed`, outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions } });
    // Tell every contact, the old ones included, so a takeover cannot quietly move the account (NTF-03).
    // `user` is the account as it was: its old email and old phone are told, and the new email too.
    // The old value's own link can undo the change (M3).
    const updated = findUserById(db, user.id)!;
    const previous = kind === "email" ? (user.email_verified ? user.email : null) : user.phone && user.phone_verified ? user.phone : null;
    sendSecurityNotice(context, user, {
      template: "contact-changed",
      event: `${kind}_changed`,
      extra: { kind },
      alsoEmail: [updated.email],
      restore: previous ? { kind, previous, replaced: change.new_value } : undefined,
    });
  }).immediate();
  return { ok: true };
}
