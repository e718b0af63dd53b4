import { sql, type Selectable, type WhereInterface } from "kysely";
import { engineOf, type Db } from "~/db/db.server";
import { insertRow } from "~/db/compiled.server";
import type { Database, OutboxTable } from "~/db/schema";

/**
 * outbox: messages waiting for a worker. Several workers (processes, nodes) may share the table
 * (issue 13). A claim is a lease: one conditional UPDATE moves due rows to 'sending' with
 * claimed_by (the worker) and claimed_until (when the lease runs out); the worker sends outside any
 * transaction, renews its leases while it sends, and settles each row ('sent', 'failed', or back
 * to 'pending' for a retry) only while it still holds it. A row whose lease ran out (its worker
 * died mid-send) is claimed again by the next worker: at-least-once, with the stable Message-ID /
 * SMS id letting a receiver drop the rare duplicate.
 */

export type Channel = "email" | "sms" | "webhook";

export type OutboxRow = Omit<Selectable<OutboxTable>, "channel" | "status"> & { channel: Channel; status: "pending" | "sending" | "sent" | "failed" };

export async function insertOutboxMessage(
  db: Db,
  row: Pick<OutboxRow, "id" | "channel" | "recipient" | "template" | "payload" | "message_id" | "next_attempt_at" | "created_at">,
): Promise<void> {
  await insertRow(db, "outbox", { ...row, status: "pending", attempts: 0 });
}

/**
 * Inserts a message already claimed by `claimer` until `leaseUntil`, as `claimOutboxBatch` would
 * leave it, and returns the row: the worker of the process that queued it sends it without a
 * claim query (docs/decisions/0034). Its lease works like any other: renewed while that worker
 * runs, given back when it stops, taken over by any worker once it runs out.
 */
export async function insertClaimedOutboxMessage(
  db: Db,
  row: Pick<OutboxRow, "id" | "channel" | "recipient" | "template" | "payload" | "message_id" | "created_at">,
  claimer: string,
  leaseUntil: number,
): Promise<OutboxRow> {
  const claimed = {
    ...row,
    status: "sending" as const,
    attempts: 0,
    claimed_by: claimer,
    claimed_until: leaseUntil,
    next_attempt_at: leaseUntil,
  };
  await insertRow(db, "outbox", claimed);
  return { ...claimed, last_error: null, sent_at: null };
}

/**
 * Claims up to `limit` of the oldest messages that are due at `now`: 'pending' ones whose time has
 * come, and 'sending' ones whose lease ran out (or that were claimed before leases existed), in one
 * UPDATE. Each row gets `claimer` and a lease until `leaseUntil`, which is also its next_attempt_at
 * (when another worker may try it), so both kinds are read from one index in claim order
 * (outbox_queue, 0013) and a claim reads only the rows it takes however long the queue is. On
 * PostgreSQL the inner SELECT locks its rows FOR UPDATE SKIP LOCKED, so concurrent claimers take
 * disjoint rows without waiting on each other; SQLite has one writer, and the outer WHERE repeats
 * the condition for it. A row taken over from an expired lease counts the lost try as an attempt,
 * so a message whose sends keep killing their process still reaches the attempt limit. Oldest first.
 * `leaseNow` is the time leases are measured in (`leaseUntil` too): real time in the worker, which
 * may differ from `now`, the portal's clock that decides when a message is due.
 */
export async function claimOutboxBatch(
  db: Db,
  now: number,
  claimer: string,
  limit: number,
  leaseUntil: number = now + 60_000,
  leaseNow: number = now,
): Promise<OutboxRow[]> {
  const claimable = <Q extends WhereInterface<Database, "outbox">>(qb: Q): Q =>
    qb
      // Literal, not parameters: so both engines see the partial index's own condition.
      .where(sql<boolean>`status in ('pending', 'sending')`)
      .where("next_attempt_at", "<=", now)
      // A 'sending' row's next_attempt_at is its lease's end; the lease is checked too.
      .where((eb) => eb.or([eb("status", "=", "pending"), eb("claimed_until", "is", null), eb("claimed_until", "<=", leaseNow)])) as Q;
  const postgres = engineOf(db) === "postgres";
  const rows = await db
    .updateTable("outbox")
    .set((eb) => ({
      status: "sending",
      claimed_by: claimer,
      claimed_until: leaseUntil,
      next_attempt_at: leaseUntil,
      attempts: eb.case().when("status", "=", "sending").then(eb("attempts", "+", 1)).else(eb.ref("attempts")).end(),
    }))
    .where("id", "in", (eb) =>
      claimable(eb.selectFrom("outbox").select("id"))
        .orderBy("next_attempt_at")
        .orderBy("created_at")
        .limit(Math.max(1, Math.floor(limit)))
        .$if(postgres, (qb) => qb.forUpdate().skipLocked()),
    )
    .$call(claimable)
    .returningAll()
    .execute();
  // RETURNING gives no order: restore the queue's.
  return (rows as OutboxRow[]).sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.created_at - b.created_at);
}

/** Extends the leases of every row `claimer` still holds (it is still sending them); returns how many. */
export async function renewOutboxClaims(db: Db, claimer: string, leaseUntil: number): Promise<number> {
  const result = await db
    .updateTable("outbox")
    .set({ claimed_until: leaseUntil, next_attempt_at: leaseUntil })
    // Literal: the partial index outbox_claims (0013) holds only the rows in flight.
    .where(sql<boolean>`status = 'sending'`)
    .where("claimed_by", "=", claimer)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Gives back the rows `claimer` still holds, unsent, to the queue, due at `now` (a worker shutting
 * down: another worker may take them at once instead of waiting for the lease); returns how many.
 */
export async function releaseClaims(db: Db, claimer: string, now: number): Promise<number> {
  const result = await db
    .updateTable("outbox")
    .set({ status: "pending", claimed_by: null, claimed_until: null, next_attempt_at: now })
    // Literal: the partial index outbox_claims (0013) holds only the rows in flight.
    .where(sql<boolean>`status = 'sending'`)
    .where("claimed_by", "=", claimer)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Sent: the payload (a link token or a code) is erased. Recorded whoever holds the row now, unless
 * it is already settled: the message did reach the server, so a worker whose lease ran out (another
 * worker may be sending it again) still records it, and the other worker's later settle finds the
 * row no longer its own and changes nothing. Returns false when the row was already settled.
 */
export async function markOutboxSent(db: Db, id: string, attempts: number, now: number): Promise<boolean> {
  return (await markOutboxSentMany(db, [{ id, attempts }], now)).has(id);
}

/**
 * `markOutboxSent` for several messages that finished together: one UPDATE per attempt count (one
 * commit for the usual case, all first attempts) instead of one per message. Returns the ids it
 * settled; the others were already settled.
 */
export async function markOutboxSentMany(db: Db, sent: readonly { id: string; attempts: number }[], now: number): Promise<Set<string>> {
  const byAttempts = new Map<number, string[]>();
  for (const { id, attempts } of sent) {
    const ids = byAttempts.get(attempts);
    if (ids) ids.push(id);
    else byAttempts.set(attempts, [id]);
  }
  const settled = new Set<string>();
  for (const [attempts, ids] of byAttempts) {
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await db
        .updateTable("outbox")
        .set({ status: "sent", attempts, payload: null, last_error: null, sent_at: now, claimed_by: null, claimed_until: null })
        .where("id", "in", ids.slice(i, i + 500))
        .where("status", "in", ["pending", "sending"])
        .returning("id")
        .execute();
      for (const row of rows) settled.add(row.id);
    }
  }
  return settled;
}

/**
 * Given up: the payload is erased too. Only by the worker that still holds the row: after a lost
 * lease the new holder decides (returns false, nothing changed).
 */
export async function markOutboxFailed(db: Db, id: string, claimer: string, attempts: number, error: string): Promise<boolean> {
  const result = await db
    .updateTable("outbox")
    .set({ status: "failed", attempts, payload: null, last_error: error, claimed_by: null, claimed_until: null })
    .where("id", "=", id)
    .where("status", "=", "sending")
    .where("claimed_by", "=", claimer)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Back to the queue for a later try; only by the worker that still holds the row (returns false otherwise). */
export async function scheduleOutboxRetry(db: Db, id: string, claimer: string, attempts: number, nextAttemptAt: number, error: string): Promise<boolean> {
  const result = await db
    .updateTable("outbox")
    .set({ status: "pending", attempts, next_attempt_at: nextAttemptAt, last_error: error, claimed_by: null, claimed_until: null })
    .where("id", "=", id)
    .where("status", "=", "sending")
    .where("claimed_by", "=", claimer)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Messages not yet settled ('pending' or 'sending'): the backlog /metrics reports. */
export async function countOutboxBacklog(db: Db): Promise<number> {
  const row = await db
    .selectFrom("outbox")
    .select((eb) => eb.fn.countAll<number | string | bigint>().as("n"))
    .where(sql<boolean>`status in ('pending', 'sending')`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
