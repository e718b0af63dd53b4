import type { Db } from "~/db/db.server";
import type { TicketRow } from "~/stores/tickets.store";

/**
 * The support queue's writes and reads on `tickets` (issue 14): assignment, first-response and
 * resolution stamps, SLA escalation, the list's filters and search, and the figures /metrics
 * reports. Every write that can race another node is one conditional UPDATE whose row count
 * decides (docs/decisions/0017, rule 1).
 */

const ACTIVE = ["open", "waiting_customer"] as const;

/** Claim: assigns an unassigned ticket to `staffId`. Of two claims at once, one wins. */
export async function claimTicket(db: Db, ticketId: string, staffId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("tickets")
    .set({ assigned_to: staffId, updated_at: now })
    .where("id", "=", ticketId)
    .where("assigned_to", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Assigns to `staffId` only while the ticket is still assigned to `expected` (null: unassigned),
 * so a decision taken on what the page showed cannot overwrite a claim made meanwhile.
 */
export async function assignTicket(db: Db, ticketId: string, staffId: string, expected: string | null, now: number): Promise<boolean> {
  const result = await db
    .updateTable("tickets")
    .set({ assigned_to: staffId, updated_at: now })
    .where("id", "=", ticketId)
    .where("assigned_to", expected === null ? "is" : "=", expected)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** The SLA clock stops at the first staff action the customer sees: stamped once. */
export async function stampFirstResponse(db: Db, ticketId: string, now: number): Promise<boolean> {
  const result = await db.updateTable("tickets").set({ first_response_at: now }).where("id", "=", ticketId).where("first_response_at", "is", null).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** The first time the ticket reached a final decision: stamped once. */
export async function stampResolved(db: Db, ticketId: string, now: number): Promise<boolean> {
  const result = await db.updateTable("tickets").set({ resolved_at: now }).where("id", "=", ticketId).where("resolved_at", "is", null).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Active tickets past their SLA due time without a first response and not yet escalated. */
export async function findSlaOverdue(db: Db, now: number, limit: number): Promise<TicketRow[]> {
  return db
    .selectFrom("tickets")
    .selectAll()
    .where("status", "in", ACTIVE)
    .where("escalated_at", "is", null)
    .where("first_response_at", "is", null)
    .where("sla_due_at", "<=", now)
    .orderBy("sla_due_at", "asc")
    .limit(limit)
    .execute();
}

/**
 * Moves a ticket to tier 2 with high priority, once: only while escalated_at is still empty.
 * `sla`: only while it still qualifies for the SLA rule (active, no first response, due passed),
 * so a reply recorded between the sweep's read and this write wins.
 */
export async function escalateTicket(db: Db, ticketId: string, now: number, sla: boolean): Promise<boolean> {
  let query = db
    .updateTable("tickets")
    .set({ tier: 2, priority: "high", escalated_at: now, updated_at: now })
    .where("id", "=", ticketId)
    .where("escalated_at", "is", null)
    .where("status", "in", ACTIVE);
  if (sla) query = query.where("first_response_at", "is", null).where("sla_due_at", "<=", now);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export type QueueRow = TicketRow & { assignee_name: string | null };

export type QueueFilter = {
  statuses: readonly string[] | null;
  category: string | null;
  tier: 1 | 2 | null;
  /** A staff id ("my tickets"), "none" (unassigned) or null (all). */
  assignee: string | null;
  search: {
    /** Upper-cased reference. */
    reference: string | null;
    /** Lower-cased: the ticket's contact e-mail, the matched account's username or e-mail. */
    login: string | null;
    /** E.164: the matched account's phone. */
    phone: string | null;
    /** Ticket ids whose contact phone (as typed) normalises to the searched number. */
    ids: readonly string[];
  } | null;
};

/**
 * The queue: high priority first, then soonest due (the tickets that breach first are on top;
 * escalated tickets are high priority, so they stay at the top of their queue).
 */
export async function listQueue(db: Db, filter: QueueFilter, limit: number): Promise<QueueRow[]> {
  let query = db
    .selectFrom("tickets as t")
    .leftJoin("staff as s", "s.id", "t.assigned_to")
    .leftJoin("users as u", "u.id", "t.matched_user_id")
    .selectAll("t")
    .select("s.name as assignee_name");
  if (filter.statuses) query = query.where("t.status", "in", filter.statuses);
  if (filter.category) query = query.where("t.category", "=", filter.category);
  if (filter.tier) query = query.where("t.tier", "=", filter.tier);
  if (filter.assignee === "none") query = query.where("t.assigned_to", "is", null);
  else if (filter.assignee) query = query.where("t.assigned_to", "=", filter.assignee);
  const search = filter.search;
  if (search) {
    query = query.where((eb) => {
      const any = [];
      if (search.reference) any.push(eb("t.reference", "=", search.reference));
      if (search.login) {
        any.push(eb("t.contact_email", "=", search.login));
        any.push(eb("u.username", "=", search.login));
        any.push(eb("u.email", "=", search.login));
      }
      if (search.phone) any.push(eb("u.phone", "=", search.phone));
      if (search.ids.length > 0) any.push(eb("t.id", "in", search.ids));
      return any.length > 0 ? eb.or(any) : eb.val(false);
    });
  }
  return (await query
    .orderBy((eb) => eb.case().when("t.priority", "=", "high").then(0).else(1).end(), "asc")
    .orderBy("t.sla_due_at", "asc")
    .orderBy("t.id", "asc")
    .limit(limit)
    .execute()) as QueueRow[];
}

/** Tickets with a contact phone (as the customer typed it), newest first, for a phone search. */
export async function ticketContactPhones(db: Db, limit: number): Promise<{ id: string; contact_phone: string }[]> {
  return (await db
    .selectFrom("tickets")
    .select(["id", "contact_phone"])
    .where("contact_phone", "is not", null)
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute()) as { id: string; contact_phone: string }[];
}

/** Active tickets by tier, and how many are past due without a first response. */
export async function queueFigures(db: Db, now: number): Promise<{ openByTier: Record<1 | 2, number>; breached: number }> {
  const tiers = await db
    .selectFrom("tickets")
    .select(["tier", (eb) => eb.fn.countAll<number | string | bigint>().as("n")])
    .where("status", "in", ACTIVE)
    .groupBy("tier")
    .execute();
  const breached = await db
    .selectFrom("tickets")
    .select((eb) => eb.fn.countAll<number | string | bigint>().as("n"))
    .where("status", "in", ACTIVE)
    .where("first_response_at", "is", null)
    .where("sla_due_at", "<=", now)
    .executeTakeFirstOrThrow();
  const openByTier: Record<1 | 2, number> = { 1: 0, 2: 0 };
  for (const row of tiers) openByTier[Number(row.tier) as 1 | 2] = Number(row.n);
  return { openByTier, breached: Number(breached.n) };
}
