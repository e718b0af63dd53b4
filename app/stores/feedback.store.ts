import type { Db } from "~/db/db.server";

/**
 * Customer feedback (issue 15): one "How easy was this?" answer per recovery flow or ticket. The
 * UNIQUE (kind, subject_id) constraint is the single-use rule: of two submissions, parallel or
 * not, one row is written and the other is a no-op (docs/decisions/0017: a conditional write).
 */

export type FeedbackKind = "recovery" | "ticket";
export type FeedbackRow = { id: string; kind: FeedbackKind; subject_id: string; method: string; purpose: string; score: number; comment: string | null; created_at: number };

/** Stores an answer unless one exists for this subject; true when this call wrote it. */
export async function insertFeedback(db: Db, row: FeedbackRow): Promise<boolean> {
  const result = await db
    .insertInto("feedback")
    .values(row)
    .onConflict((oc) => oc.columns(["kind", "subject_id"]).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function hasFeedback(db: Db, kind: FeedbackKind, subjectId: string): Promise<boolean> {
  const row = await db.selectFrom("feedback").select("id").where("kind", "=", kind).where("subject_id", "=", subjectId).executeTakeFirst();
  return Boolean(row);
}

/** Answers given in [from, to), oldest first (no subject ids: the report and export do not need them). */
export async function feedbackBetween(db: Db, from: number, to: number): Promise<Omit<FeedbackRow, "subject_id">[]> {
  return (await db
    .selectFrom("feedback")
    .select(["id", "kind", "method", "purpose", "score", "comment", "created_at"])
    .where("created_at", ">=", from)
    .where("created_at", "<", to)
    .orderBy("created_at")
    .orderBy("id")
    .execute()) as Omit<FeedbackRow, "subject_id">[];
}

/**
 * The latest of `events` recorded for an account at or before `until` (audit chain order): how a
 * recovery that started already verified (a passkey, a forced change at sign-in, an unlock that
 * went on to a new password) was proven.
 */
export async function latestAuditEvent(db: Db, userId: string, events: readonly string[], until: number): Promise<string | null> {
  const row = await db
    .selectFrom("audit_events")
    .select("event")
    .where("user_id", "=", userId)
    .where("event", "in", events)
    .where("at", "<=", until)
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.event ?? null;
}
