import type { Db } from "~/db/db.server";

/**
 * Read-only queries for the support reports (issue 14): tickets created in a range with their
 * history, and the recovery proofs and flows of the same range. Never customer free text (details,
 * notes, names, contacts): the report and its CSV do not need them.
 */

export type ReportTicketRow = {
  id: string;
  reference: string;
  category: string;
  priority: string;
  tier: number;
  channel: string;
  status: string;
  sla_due_at: number;
  created_at: number;
};

export type ReportEventRow = { ticket_id: string; id: number; at: number; actor: string; action: string; from_status: string | null; to_status: string | null };

/** Tickets created in [from, to), oldest first. */
export async function ticketsCreatedBetween(db: Db, from: number, to: number): Promise<ReportTicketRow[]> {
  return db
    .selectFrom("tickets")
    .select(["id", "reference", "category", "priority", "tier", "channel", "status", "sla_due_at", "created_at"])
    .where("created_at", ">=", from)
    .where("created_at", "<", to)
    .orderBy("created_at")
    .orderBy("reference")
    .execute();
}

/** The history (without notes) of every ticket created in [from, to), in order. */
export async function eventsOfTicketsCreatedBetween(db: Db, from: number, to: number): Promise<ReportEventRow[]> {
  return db
    .selectFrom("ticket_events")
    .select(["ticket_id", "id", "at", "actor", "action", "from_status", "to_status"])
    .where("ticket_id", "in", (eb) => eb.selectFrom("tickets").select("tickets.id").where("tickets.created_at", ">=", from).where("tickets.created_at", "<", to))
    .orderBy("ticket_id")
    .orderBy("id")
    .execute();
}

export type ReportAuditRow = { seq: number; at: number; event: string; user_id: string | null; details: string };

/** Audit rows named in `events` recorded in [from, to), in chain order. */
export async function auditEventsBetween(db: Db, events: readonly string[], from: number, to: number): Promise<ReportAuditRow[]> {
  if (events.length === 0) return [];
  return db
    .selectFrom("audit_events")
    .select(["seq", "at", "event", "user_id", "details"])
    .where("event", "in", events)
    .where("at", ">=", from)
    .where("at", "<", to)
    .orderBy("seq")
    .execute();
}

export type ReportFlowRow = { user_id: string | null; purpose: string; channel: string; created_at: number; code_expires_at: number; status: string };

/**
 * Recovery flows of known accounts opened in [from, to). A flow the customer asked for carries a
 * code (code_expires_at after created_at); flows opened by support or after another proof do not.
 */
export async function flowsOpenedBetween(db: Db, from: number, to: number): Promise<ReportFlowRow[]> {
  return db
    .selectFrom("recovery_flows")
    .select(["user_id", "purpose", "channel", "created_at", "code_expires_at", "status"])
    .where("user_id", "is not", null)
    .where("created_at", ">=", from)
    .where("created_at", "<", to)
    .orderBy("created_at")
    .execute();
}
