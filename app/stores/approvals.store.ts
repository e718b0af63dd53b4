import type { Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import type { TicketApprovalsTable } from "~/db/schema";

/**
 * ticket_approvals: four eyes (issue 14). A risky action an agent asked for waits here until a
 * second staff member decides it. A request is decided once, by one conditional UPDATE
 * (`… WHERE status = 'pending'`) whose affected-row count says who won (0017 rule 1).
 */

export type ApprovalAction = "remove_factors" | "lift_compromise_lock" | "change_contact";
export type ApprovalStatus = "pending" | "approved" | "declined" | "cancelled";
export type ApprovalRow = Omit<Selectable<TicketApprovalsTable>, "action" | "status"> & { action: ApprovalAction; status: ApprovalStatus };

export async function insertApproval(db: Db, row: Omit<ApprovalRow, "status" | "decided_by" | "decided_at" | "decision_note">): Promise<void> {
  await db.insertInto("ticket_approvals").values(row).execute();
}

export async function findApproval(db: Db, id: string): Promise<ApprovalRow | undefined> {
  return (await db.selectFrom("ticket_approvals").selectAll().where("id", "=", id).executeTakeFirst()) as ApprovalRow | undefined;
}

/** The pending request for this action on this ticket, if any. */
export async function findPendingApproval(db: Db, ticketId: string, action: ApprovalAction): Promise<ApprovalRow | undefined> {
  return (await db
    .selectFrom("ticket_approvals")
    .selectAll()
    .where("ticket_id", "=", ticketId)
    .where("action", "=", action)
    .where("status", "=", "pending")
    .executeTakeFirst()) as ApprovalRow | undefined;
}

/** A ticket's requests, newest first, with the names of who asked and who decided. */
export async function listTicketApprovals(db: Db, ticketId: string): Promise<(ApprovalRow & { requester: string | null; decider: string | null })[]> {
  return (await db
    .selectFrom("ticket_approvals as a")
    .leftJoin("staff as r", "r.id", "a.requested_by")
    .leftJoin("staff as d", "d.id", "a.decided_by")
    .selectAll("a")
    .select(["r.name as requester", "d.name as decider"])
    .where("a.ticket_id", "=", ticketId)
    .orderBy("a.requested_at", "desc")
    .execute()) as (ApprovalRow & { requester: string | null; decider: string | null })[];
}

/** Every pending request, oldest first, with its ticket's reference and the requester's name. */
export async function listPendingApprovals(db: Db, limit: number): Promise<(ApprovalRow & { reference: string; requester: string | null })[]> {
  return (await db
    .selectFrom("ticket_approvals as a")
    .innerJoin("tickets as t", "t.id", "a.ticket_id")
    .leftJoin("staff as r", "r.id", "a.requested_by")
    .selectAll("a")
    .select(["t.reference as reference", "r.name as requester"])
    .where("a.status", "=", "pending")
    .orderBy("a.requested_at", "asc")
    .limit(limit)
    .execute()) as (ApprovalRow & { reference: string; requester: string | null })[];
}

/** Decides a pending request; true only for the caller whose UPDATE changed it. */
export async function decideApproval(
  db: Db,
  id: string,
  input: { status: Exclude<ApprovalStatus, "pending">; by: string; at: number; note: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable("ticket_approvals")
    .set({ status: input.status, decided_by: input.by, decided_at: input.at, decision_note: input.note })
    .where("id", "=", id)
    .where("status", "=", "pending")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
