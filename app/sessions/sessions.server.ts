import type { Db } from "~/db/db.server";
import { randomId, safeEqual, sha256Bytes } from "~/security/crypto.server";

/**
 * Sessions after Lucia's current recipe (lucia-auth.com "Sessions", the in-project replacement
 * for the deprecated `lucia` package): the cookie carries "<id>.<secret>", the database keeps
 * only sha256(secret), the secret is compared in constant time, and expiry slides on use within
 * an absolute cap. Each id and secret carries 120 bits from the CSPRNG (SES-06).
 */

export type SubjectType = "user" | "staff";

export type Session = {
  id: string;
  subject_type: SubjectType;
  subject_id: string;
  created_at: number;
  last_seen_at: number;
  authenticated_at: number;
  absolute_expires_at: number;
};

export type SessionPolicy = { idleMs: number; absoluteMs: number };

export function createSession(
  db: Db,
  subject: { type: SubjectType; id: string },
  now: number,
  policy: SessionPolicy,
  meta: { ip?: string | null; userAgent?: string | null } = {},
): { token: string; session: Session } {
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
  db.prepare(
    `INSERT INTO sessions (id, secret_hash, subject_type, subject_id, created_at, last_seen_at, authenticated_at, absolute_expires_at, ip, user_agent)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    Buffer.from(sha256Bytes(secret)),
    subject.type,
    subject.id,
    now,
    now,
    now,
    session.absolute_expires_at,
    meta.ip ?? null,
    meta.userAgent?.slice(0, 256) ?? null,
  );
  return { token: `${id}.${secret}`, session };
}

/**
 * Returns the live session for a cookie value, or null. Unknown, malformed, expired or idle
 * sessions are all null (strict handling, SES-04); expired rows are deleted on sight.
 */
export function validateSession(db: Db, token: string, now: number, policy: SessionPolicy): Session | null {
  const parts = token.split(".");
  if (parts.length !== 2 || !/^[a-z2-7]{24}$/.test(parts[0]) || !/^[a-z2-7]{24}$/.test(parts[1])) return null;
  const [id, secret] = parts;
  const row = db.prepare("SELECT * FROM sessions WHERE id = ?").get(id) as
    | (Session & { secret_hash: Buffer })
    | undefined;
  if (!row) return null;
  if (!safeEqual(sha256Bytes(secret), new Uint8Array(row.secret_hash))) return null;
  if (now >= row.absolute_expires_at || now >= row.last_seen_at + policy.idleMs) {
    deleteSession(db, id);
    return null;
  }
  // Slide the idle window, but write at most once a minute to keep reads cheap.
  if (now - row.last_seen_at > 60_000) {
    db.prepare("UPDATE sessions SET last_seen_at = ? WHERE id = ?").run(now, id);
    row.last_seen_at = now;
  }
  const { secret_hash: _omit, ...session } = row;
  void _omit;
  return session;
}

export function deleteSession(db: Db, id: string): void {
  db.prepare("DELETE FROM sessions WHERE id = ?").run(id);
}

/** Ends every session of a subject, e.g. after a password reset (SES-02). */
export function deleteAllSessions(db: Db, subject: { type: SubjectType; id: string }, exceptId?: string): number {
  return db
    .prepare("DELETE FROM sessions WHERE subject_type = ? AND subject_id = ? AND id IS NOT ?")
    .run(subject.type, subject.id, exceptId ?? null).changes;
}

/**
 * Ends every session of a subject except the one making a change (SES-02, review L3): after an
 * email, phone or factor change, a stolen session elsewhere does not survive it.
 */
export function deleteOtherSessions(db: Db, subject: { type: SubjectType; id: string }, keepSessionId: string): number {
  return deleteAllSessions(db, subject, keepSessionId);
}

export function listSessions(db: Db, subject: { type: SubjectType; id: string }): Session[] {
  return db
    .prepare(
      "SELECT id, subject_type, subject_id, created_at, last_seen_at, authenticated_at, absolute_expires_at FROM sessions WHERE subject_type = ? AND subject_id = ? ORDER BY created_at DESC",
    )
    .all(subject.type, subject.id) as Session[];
}

export function sessionIdFromToken(token: string): string {
  return token.split(".")[0] ?? "";
}

export function purgeExpiredSessions(db: Db, now: number, policy: SessionPolicy): number {
  return db
    .prepare("DELETE FROM sessions WHERE absolute_expires_at <= ? OR last_seen_at + ? <= ?")
    .run(now, policy.idleMs, now).changes;
}
