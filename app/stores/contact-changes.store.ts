import type { Db } from "~/db/db.server";

/**
 * contact_changes: a new email or phone waiting for the code sent to it (NTF-03, MFA-06). A change
 * is completed once, by one conditional UPDATE whose affected-row count decides.
 */

export type ContactChangeRow = {
  id: string;
  user_id: string;
  kind: "email" | "phone";
  new_value: string;
  code_hash: string;
  attempts: number;
  status: string;
  created_at: number;
  expires_at: number;
};

/** The newest change of this kind still waiting for its code at `now`. */
export async function findPendingChange(db: Db, userId: string, kind: ContactChangeRow["kind"], now: number): Promise<ContactChangeRow | undefined> {
  const row = await db
    .selectFrom("contact_changes")
    .select(["id", "user_id", "kind", "new_value", "code_hash", "attempts", "status", "created_at", "expires_at"])
    .where("user_id", "=", userId)
    .where("kind", "=", kind)
    .where("status", "=", "pending")
    .where("expires_at", ">", now)
    // A change staff made for a ticket is proved on its own page, never on the account's.
    .where("ticket_id", "is", null)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row as ContactChangeRow | undefined;
}

/** Ends the account's pending changes (of one kind, or all); returns how many. */
export async function cancelPendingChanges(db: Db, userId: string, kind?: ContactChangeRow["kind"]): Promise<number> {
  let query = db.updateTable("contact_changes").set({ status: "cancelled" }).where("user_id", "=", userId).where("status", "=", "pending");
  if (kind) query = query.where("kind", "=", kind);
  return Number((await query.executeTakeFirst()).numUpdatedRows);
}

export async function insertContactChange(db: Db, row: Omit<ContactChangeRow, "attempts" | "status"> & { ticket_id?: string | null }): Promise<void> {
  await db.insertInto("contact_changes").values(row).execute();
}

/**
 * Claims one attempt at a pending change's code before it is compared (the code proof,
 * app/proofs/code.server.ts); the attempts made including this one, or null when none are left.
 */
export async function claimChangeAttempt(db: Db, id: string, maxAttempts: number): Promise<number | null> {
  const pending = db.updateTable("contact_changes").where("id", "=", id).where("status", "=", "pending");
  const row = await pending.where("attempts", "<", maxAttempts).set((eb) => ({ attempts: eb("attempts", "+", 1) })).returning("attempts").executeTakeFirst();
  return row?.attempts ?? null;
}

/** Completes a change still pending at `now`; true only for the caller that completed it. */
export async function completeChange(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("contact_changes")
    .set({ status: "done" })
    .where("id", "=", id)
    .where("status", "=", "pending")
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// ---- changes staff made for a ticket (issue 14) ---------------------------------------------

/** The pending, unexpired change made for the ticket with this reference, if any. */
export async function findPendingTicketChange(db: Db, reference: string, now: number): Promise<(ContactChangeRow & { ticket_id: string }) | undefined> {
  const row = await db
    .selectFrom("contact_changes as c")
    .innerJoin("tickets as t", "t.id", "c.ticket_id")
    .select(["c.id", "c.user_id", "c.kind", "c.new_value", "c.code_hash", "c.attempts", "c.status", "c.created_at", "c.expires_at", "c.ticket_id"])
    .where("t.reference", "=", reference)
    .where("c.status", "=", "pending")
    .where("c.expires_at", ">", now)
    .orderBy("c.created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row as (ContactChangeRow & { ticket_id: string }) | undefined;
}

/** Ends a ticket's pending changes; returns how many. */
export async function cancelTicketChanges(db: Db, ticketId: string): Promise<number> {
  const result = await db.updateTable("contact_changes").set({ status: "cancelled" }).where("ticket_id", "=", ticketId).where("status", "=", "pending").executeTakeFirst();
  return Number(result.numUpdatedRows);
}
