import type { Insertable, Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import type { TicketEventsTable, TicketsTable } from "~/db/schema";

/**
 * tickets and ticket_events: assisted-recovery tickets and their history. The domain's typed
 * view (categories, statuses) is app/tickets/tickets.server.ts, which casts these rows.
 */

export type TicketRow = Selectable<TicketsTable>;
export type TicketEventRow = Selectable<TicketEventsTable>;

export async function insertTicket(db: Db, ticket: Insertable<TicketsTable>): Promise<void> {
  await db.insertInto("tickets").values(ticket).execute();
}

export async function insertTicketEvent(db: Db, event: Omit<Insertable<TicketEventsTable>, "id">): Promise<void> {
  await db.insertInto("ticket_events").values(event).execute();
}

export async function findTicketById(db: Db, id: string): Promise<TicketRow | undefined> {
  return db.selectFrom("tickets").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function findTicketByConfirmHash(db: Db, tokenHash: string): Promise<TicketRow | undefined> {
  return db.selectFrom("tickets").selectAll().where("confirm_token_hash", "=", tokenHash).executeTakeFirst();
}

/** Spends the acknowledgement's confirm link: true only for the request that still found it unspent. */
export async function confirmTicketContact(db: Db, ticketId: string, tokenHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("tickets")
    .set({ contact_confirmed: 1, confirm_token_hash: null, updated_at: now })
    .where("id", "=", ticketId)
    .where("confirm_token_hash", "=", tokenHash)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** The queue, soonest due first: only `statuses` when given, only `category` when given. */
export async function listTickets(db: Db, filter: { statuses: readonly string[] | null; category: string | null }, limit: number): Promise<TicketRow[]> {
  let query = db.selectFrom("tickets").selectAll();
  if (filter.statuses) query = query.where("status", "in", filter.statuses);
  if (filter.category) query = query.where("category", "=", filter.category);
  return query.orderBy("sla_due_at", "asc").limit(limit).execute();
}

/** Oldest first. */
export async function listTicketEvents(db: Db, ticketId: string): Promise<TicketEventRow[]> {
  return db.selectFrom("ticket_events").selectAll().where("ticket_id", "=", ticketId).orderBy("id").execute();
}

/** Touches the ticket, moving it to `status` when one is given. */
export async function updateTicketStatus(db: Db, ticketId: string, status: string | null, now: number): Promise<void> {
  await db
    .updateTable("tickets")
    .set(status ? { status, updated_at: now } : { updated_at: now })
    .where("id", "=", ticketId)
    .execute();
}
