import type { Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import type { SessionsTable } from "~/db/schema";

/** sessions: customer and staff sessions alike. Tokens and their hashing live in app/sessions/. */

export type SubjectType = "user" | "staff";
export type Subject = { type: SubjectType; id: string };

export type SessionRow = Omit<Selectable<SessionsTable>, "subject_type"> & { subject_type: SubjectType };

/** A session as the app handles it: without the secret's hash and the client it came from. */
export type Session = Omit<SessionRow, "secret_hash" | "ip" | "user_agent">;

export async function insertSession(db: Db, row: SessionRow): Promise<void> {
  await db.insertInto("sessions").values(row).execute();
}

/** The row with its secret hash, for the constant-time comparison in validateSession. */
export async function findSessionRow(db: Db, id: string): Promise<SessionRow | undefined> {
  return (await db.selectFrom("sessions").selectAll().where("id", "=", id).executeTakeFirst()) as SessionRow | undefined;
}

export async function touchSession(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable("sessions").set({ last_seen_at: now }).where("id", "=", id).execute();
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom("sessions").where("id", "=", id).execute();
}

/** Ends every session of a subject, or every one but `exceptId`. Returns how many ended. */
export async function deleteSessionsOf(db: Db, subject: Subject, exceptId?: string): Promise<number> {
  let query = db.deleteFrom("sessions").where("subject_type", "=", subject.type).where("subject_id", "=", subject.id);
  if (exceptId !== undefined) query = query.where("id", "!=", exceptId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function listSessions(db: Db, subject: Subject): Promise<Session[]> {
  return (await db
    .selectFrom("sessions")
    .select(["id", "subject_type", "subject_id", "created_at", "last_seen_at", "authenticated_at", "absolute_expires_at"])
    .where("subject_type", "=", subject.type)
    .where("subject_id", "=", subject.id)
    .orderBy("created_at", "desc")
    .execute()) as Session[];
}

/** A subject's sessions with the client each came from (the account security page's device list), newest first. */
export async function listSessionsWithClient(db: Db, subject: Subject): Promise<(Session & { ip: string | null; user_agent: string | null })[]> {
  return (await db
    .selectFrom("sessions")
    .select(["id", "subject_type", "subject_id", "created_at", "last_seen_at", "authenticated_at", "absolute_expires_at", "ip", "user_agent"])
    .where("subject_type", "=", subject.type)
    .where("subject_id", "=", subject.id)
    .orderBy("created_at", "desc")
    .execute()) as (Session & { ip: string | null; user_agent: string | null })[];
}

/** Ends one session only if it belongs to `subject` (a customer can never end someone else's). True when it ended. */
export async function deleteSessionOf(db: Db, subject: Subject, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom("sessions")
    .where("id", "=", id)
    .where("subject_type", "=", subject.type)
    .where("subject_id", "=", subject.id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Deletes sessions past their absolute cap or idle longer than `idleMs`. Returns how many. */
export async function purgeExpiredSessions(db: Db, now: number, idleMs: number): Promise<number> {
  const result = await db
    .deleteFrom("sessions")
    .where((eb) => eb.or([eb("absolute_expires_at", "<=", now), eb("last_seen_at", "<=", now - idleMs)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
