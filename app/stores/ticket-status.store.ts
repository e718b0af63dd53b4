import type { Db } from "~/db/db.server";
import type { TicketRow } from "./tickets.store";

/**
 * The customer's side of a ticket (issue 14): the status page's token lookup, its replies and
 * their per-ticket budget. Rows are `tickets` and `ticket_events`, owned with tickets.store.ts.
 */

export async function findTicketByStatusHash(db: Db, tokenHash: string): Promise<TicketRow | undefined> {
  return db.selectFrom("tickets").selectAll().where("status_token_hash", "=", tokenHash).executeTakeFirst();
}

/** How many events of `action` the ticket got from `since` on, and the oldest one's time (the replies budget). */
export async function countTicketEventsSince(db: Db, ticketId: string, action: string, since: number): Promise<{ count: number; oldest: number | null }> {
  const row = await db
    .selectFrom("ticket_events")
    .select((eb) => [eb.fn.countAll<number | string | bigint>().as("n"), eb.fn.min("at").as("oldest")])
    .where("ticket_id", "=", ticketId)
    .where("action", "=", action)
    .where("at", ">=", since)
    .executeTakeFirstOrThrow();
  return { count: Number(row.n), oldest: row.oldest === null ? null : Number(row.oldest) };
}

/**
 * A customer's reply lands on a ticket still being worked: one conditional UPDATE moves a ticket
 * waiting for the customer back to `open`; otherwise one touches a ticket in `statuses`. Returns
 * the status it was in, or null when it was in none of them (closed or rejected meanwhile).
 */
export async function touchForCustomerReply(db: Db, ticketId: string, now: number, statuses: readonly string[]): Promise<string | null> {
  const reopened = await db
    .updateTable("tickets")
    .set({ status: "open", updated_at: now })
    .where("id", "=", ticketId)
    .where("status", "=", "waiting_customer")
    .executeTakeFirst();
  if (reopened.numUpdatedRows === 1n) return "waiting_customer";
  for (const status of statuses) {
    const touched = await db.updateTable("tickets").set({ updated_at: now }).where("id", "=", ticketId).where("status", "=", status).executeTakeFirst();
    if (touched.numUpdatedRows === 1n) return status;
  }
  return null;
}
