import { sql, type Insertable, type Selectable } from "kysely";
import { engineOf, type Db } from "~/db/db.server";
import { compiledOnce, insertRow } from "~/db/compiled.server";
import type { AuditEventsTable } from "~/db/schema";

/**
 * audit_events (append-only: triggers refuse UPDATE and DELETE) and meta. The chain's hashing and
 * its rules live in app/audit/; this module only reads and appends rows. `meta` (key/value) has no
 * reader or writer today; it belongs here when one appears.
 */

export type AuditRow = Selectable<AuditEventsTable>;
export type NewAuditRow = Omit<Insertable<AuditEventsTable>, "seq">;

/**
 * Makes the caller's transaction the only appender until it ends. SQLite needs nothing: a write
 * transaction already excludes every other writer. On PostgreSQL two transactions could read the
 * same head and fork the chain, so appends queue on one transaction-scoped advisory lock
 * (docs/decisions/0017).
 */
export async function lockAuditChain(db: Db): Promise<void> {
  if (engineOf(db) === "postgres") await sql`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(db);
}
const AUDIT_CHAIN_LOCK = 7_350_002;

/** The newest row: the one the next append links to. */
// A literal LIMIT: with a bound one SQLite reads the head about five times slower, and every
// audited change reads it.
const head = compiledOnce((db) => db.selectFrom("audit_events").select(["seq", "hash", "alg"]).orderBy("seq", "desc").limit(sql.lit(1)));

export async function auditHead(db: Db): Promise<Pick<AuditRow, "seq" | "hash" | "alg"> | undefined> {
  return (await head(db))[0];
}

export async function countAuditEvents(db: Db): Promise<number> {
  const { n } = await db
    .selectFrom("audit_events")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** Appends one row; returns its sequence number. */
export async function insertAuditEvent(db: Db, row: NewAuditRow): Promise<number> {
  return insertRow(db, "audit_events", row, "seq");
}

/** Up to `limit` rows after `afterSeq`, oldest first: the chain is walked a page at a time. */
export async function auditEventsAfter(db: Db, afterSeq: number, limit: number): Promise<AuditRow[]> {
  return db.selectFrom("audit_events").selectAll().where("seq", ">", afterSeq).orderBy("seq").limit(limit).execute();
}

export async function recentAuditForUser(db: Db, userId: string, limit: number): Promise<AuditRow[]> {
  return db.selectFrom("audit_events").selectAll().where("user_id", "=", userId).orderBy("seq", "desc").limit(limit).execute();
}

/** An account's events of these kinds at or after `since`, newest first, at most `limit` (the account security page). */
export async function eventsForUserSince(db: Db, userId: string, events: readonly string[], since: number, limit: number): Promise<AuditRow[]> {
  return db
    .selectFrom("audit_events")
    .selectAll()
    .where("user_id", "=", userId)
    .where("event", "in", events)
    .where("at", ">=", since)
    .orderBy("seq", "desc")
    .limit(limit)
    .execute();
}

/** One audit row of this account, by sequence number, or undefined. */
export async function findUserAuditEvent(db: Db, userId: string, seq: number): Promise<AuditRow | undefined> {
  return db.selectFrom("audit_events").selectAll().where("seq", "=", seq).where("user_id", "=", userId).executeTakeFirst();
}

/** An account's successful events of these kinds at or after `since`, newest first (support's ticket view). */
export async function successesForUserSince(db: Db, userId: string, events: readonly string[], since: number): Promise<Pick<AuditRow, "at" | "event">[]> {
  return db
    .selectFrom("audit_events")
    .select(["at", "event"])
    .where("user_id", "=", userId)
    .where("event", "in", events)
    .where("outcome", "=", "success")
    .where("at", ">=", since)
    .orderBy("seq", "desc")
    .execute();
}
