import type { Selectable } from "kysely";
import type { Db } from "~/db/db.server";
import { insertRow } from "~/db/compiled.server";
import type { OutboxTable } from "~/db/schema";

/**
 * outbox: messages waiting for the worker. A row is claimed ('sending') by one conditional UPDATE,
 * sent outside any transaction, then settled ('sent', 'failed', or back to 'pending' for a retry).
 */

export type Channel = "email" | "sms";

export type OutboxRow = Omit<Selectable<OutboxTable>, "channel" | "status"> & { channel: Channel; status: "pending" | "sending" | "sent" | "failed" };

export async function insertOutboxMessage(
  db: Db,
  row: Pick<OutboxRow, "id" | "channel" | "recipient" | "template" | "payload" | "message_id" | "next_attempt_at" | "created_at">,
): Promise<void> {
  await insertRow(db, "outbox", { ...row, status: "pending", attempts: 0 });
}

/** Puts rows left in 'sending' (the process died mid-send) back in the queue; returns how many. */
export async function requeueSending(db: Db): Promise<number> {
  const result = await db.updateTable("outbox").set({ status: "pending" }).where("status", "=", "sending").executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Claims up to `limit` of the oldest messages due at `now` in one conditional UPDATE: each row moves
 * to 'sending' only if it is still 'pending', so two workers never share a row. Oldest first.
 */
export async function claimOutboxBatch(db: Db, now: number, claimer: string, limit: number): Promise<OutboxRow[]> {
  const rows = await db
    .updateTable("outbox")
    .set({ status: "sending", last_error: `claimed by ${claimer}` })
    .where("id", "in", (eb) =>
      eb
        .selectFrom("outbox")
        .select("id")
        .where("status", "=", "pending")
        .where("next_attempt_at", "<=", now)
        .orderBy("next_attempt_at")
        .orderBy("created_at")
        .limit(Math.max(1, Math.floor(limit))),
    )
    .where("status", "=", "pending")
    .returningAll()
    .execute();
  // RETURNING gives no order: restore the queue's.
  return (rows as OutboxRow[]).sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.created_at - b.created_at);
}

/** Sent: the payload (a link token or a code) is erased. */
export async function markOutboxSent(db: Db, id: string, attempts: number, now: number): Promise<void> {
  await db.updateTable("outbox").set({ status: "sent", attempts, payload: null, last_error: null, sent_at: now }).where("id", "=", id).execute();
}

/** Given up: the payload is erased too. */
export async function markOutboxFailed(db: Db, id: string, attempts: number, error: string): Promise<void> {
  await db.updateTable("outbox").set({ status: "failed", attempts, payload: null, last_error: error }).where("id", "=", id).execute();
}

export async function scheduleOutboxRetry(db: Db, id: string, attempts: number, nextAttemptAt: number, error: string): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ status: "pending", attempts, next_attempt_at: nextAttemptAt, last_error: error })
    .where("id", "=", id)
    .execute();
}
