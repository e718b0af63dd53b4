import type { Db } from "~/db/db.server";
import { randomId, safeEqual, sha256Bytes } from "~/security/crypto.server";
import * as store from "~/stores/sessions.store";
import type { Session, SubjectType } from "~/stores/sessions.store";

/**
 * Sessions after Lucia's current recipe (lucia-auth.com "Sessions", the in-project replacement
 * for the deprecated `lucia` package): the cookie carries "<id>.<secret>", the database keeps
 * only sha256(secret), the secret is compared in constant time, and expiry slides on use within
 * an absolute cap. Each id and secret carries 120 bits from the CSPRNG (SES-06).
 */

export type { Session, SubjectType } from "~/stores/sessions.store";

export type SessionPolicy = { idleMs: number; absoluteMs: number };

export async function createSession(
  db: Db,
  subject: { type: SubjectType; id: string },
  now: number,
  policy: SessionPolicy,
  meta: { ip?: string | null; userAgent?: string | null } = {},
): Promise<{ token: string; session: Session }> {
  const id = randomId();
  const secret = randomId();
  const session: Session = {
    id,
    subject_type: subject.type,
    subject_id: subject.id,
    created_at: now,
    last_seen_at: now,
    authenticated_at: now,
    absolute_expires_at: now + policy.absoluteMs,
  };
  await store.insertSession(db, {
    ...session,
    secret_hash: Buffer.from(sha256Bytes(secret)),
    ip: meta.ip ?? null,
    user_agent: meta.userAgent?.slice(0, 256) ?? null,
  });
  return { token: `${id}.${secret}`, session };
}

/**
 * Returns the live session for a cookie value, or null. Unknown, malformed, expired or idle
 * sessions are all null (strict handling, SES-04); expired rows are deleted on sight.
 */
export async function validateSession(db: Db, token: string, now: number, policy: SessionPolicy): Promise<Session | null> {
  const parts = token.split(".");
  if (parts.length !== 2 || !/^[a-z2-7]{24}$/.test(parts[0]) || !/^[a-z2-7]{24}$/.test(parts[1])) return null;
  const [id, secret] = parts;
  const row = await store.findSessionRow(db, id);
  if (!row) return null;
  if (!safeEqual(sha256Bytes(secret), new Uint8Array(row.secret_hash))) return null;
  if (now >= row.absolute_expires_at || now >= row.last_seen_at + policy.idleMs) {
    await deleteSession(db, id);
    return null;
  }
  // Slide the idle window, but write at most once a minute to keep reads cheap.
  if (now - row.last_seen_at > 60_000) {
    await store.touchSession(db, id, now);
    row.last_seen_at = now;
  }
  const { secret_hash: _omit, ip: _ip, user_agent: _userAgent, ...session } = row;
  return session;
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await store.deleteSession(db, id);
}

/** Ends every session of a subject, e.g. after a password reset (SES-02). */
export async function deleteAllSessions(db: Db, subject: { type: SubjectType; id: string }, exceptId?: string): Promise<number> {
  return store.deleteSessionsOf(db, subject, exceptId);
}

/**
 * Ends every session of a subject except the one making a change (SES-02, review L3): after an
 * email, phone or factor change, a stolen session elsewhere does not survive it.
 */
export async function deleteOtherSessions(db: Db, subject: { type: SubjectType; id: string }, keepSessionId: string): Promise<number> {
  return deleteAllSessions(db, subject, keepSessionId);
}

export async function listSessions(db: Db, subject: { type: SubjectType; id: string }): Promise<Session[]> {
  return store.listSessions(db, subject);
}

export function sessionIdFromToken(token: string): string {
  return token.split(".")[0] ?? "";
}

export async function purgeExpiredSessions(db: Db, now: number, policy: SessionPolicy): Promise<number> {
  return store.purgeExpiredSessions(db, now, policy.idleMs);
}
