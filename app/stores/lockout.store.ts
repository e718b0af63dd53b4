import type { Selectable } from "kysely";
import { compiledOnce } from "~/db/compiled.server";
import { engineOf, executeSql, type Db } from "~/db/db.server";
import type { AccountLocksTable } from "~/db/schema";

/**
 * sign_in_failures (the per-key failure counters) and account_locks (every lock and how it ended).
 * The schedule that turns failures into delays and locks lives in app/lockout/.
 */

export type LockReason = "failed_attempts" | "suspicious_activity" | "reported_compromise" | "staff";
export type LockEnd = "expired" | "self_service_unlock" | "password_reset" | "staff";

export type LockRecord = Omit<Selectable<AccountLocksTable>, "reason" | "end_reason"> & { reason: LockReason; end_reason: LockEnd | null };

export type FailureRow = { key: string; failures: number; recent: string; delay_until: number; updated_at: number };

// ---- sign_in_failures ----------------------------------------------------------------------

export async function findFailure(db: Db, key: string): Promise<FailureRow | undefined> {
  return (await db.selectFrom("sign_in_failures").selectAll().where("key", "=", key).executeTakeFirst()) as FailureRow | undefined;
}

/** Writes a key's counter whether or not it has a row yet. */
export async function saveFailure(db: Db, row: FailureRow): Promise<void> {
  await db
    .insertInto("sign_in_failures")
    .values(row)
    .onConflict((oc) =>
      oc.column("key").doUpdateSet((eb) => ({
        failures: eb.ref("excluded.failures"),
        recent: eb.ref("excluded.recent"),
        delay_until: eb.ref("excluded.delay_until"),
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .execute();
}

/** Rewrites an existing counter without touching updated_at (a claim given back). */
export async function updateFailure(db: Db, key: string, values: Pick<FailureRow, "failures" | "recent" | "delay_until">): Promise<void> {
  await db.updateTable("sign_in_failures").set(values).where("key", "=", key).execute();
}

export async function clearFailures(db: Db, key: string): Promise<void> {
  await db.deleteFrom("sign_in_failures").where("key", "=", key).execute();
}

// ---- account_locks -------------------------------------------------------------------------

export async function insertLock(db: Db, record: LockRecord): Promise<void> {
  await db
    .insertInto("account_locks")
    .values({
      id: record.id,
      user_id: record.user_id,
      reason: record.reason,
      locked_at: record.locked_at,
      locked_until: record.locked_until,
      trigger_ip: record.trigger_ip,
      trigger_user_agent: record.trigger_user_agent,
      details: record.details,
      created_by: record.created_by,
    })
    .execute();
}

/** Marks temporary locks whose time has passed as ended ("expired"), so records stay truthful. */
export async function expireLocks(db: Db, userId: string, now: number): Promise<void> {
  await db
    .updateTable("account_locks")
    .set((eb) => ({ ended_at: eb.ref("locked_until"), end_reason: "expired", ended_by: "system" }))
    .where("user_id", "=", userId)
    .where("ended_at", "is", null)
    .where("locked_until", "is not", null)
    .where("locked_until", "<=", now)
    .execute();
}

/** The most restrictive open lock (indefinite before timed); call expireLocks first. */
export async function findActiveLock(db: Db, userId: string): Promise<LockRecord | undefined> {
  return (await db
    .selectFrom("account_locks")
    .selectAll()
    .where("user_id", "=", userId)
    .where("ended_at", "is", null)
    .orderBy((eb) => eb("locked_until", "is", null), "desc")
    .orderBy("locked_until", "desc")
    .limit(1)
    .executeTakeFirst()) as LockRecord | undefined;
}

/** Every open lock; call expireLocks first. */
export async function findOpenLocks(db: Db, userId: string): Promise<LockRecord[]> {
  return (await db.selectFrom("account_locks").selectAll().where("user_id", "=", userId).where("ended_at", "is", null).execute()) as LockRecord[];
}

/** Ends the open locks of the given kinds; returns how many ended. */
export async function endOpenLocks(db: Db, userId: string, now: number, how: LockEnd, by: string, reasons: readonly LockReason[]): Promise<number> {
  if (reasons.length === 0) return 0;
  const result = await db
    .updateTable("account_locks")
    .set({ ended_at: now, end_reason: how, ended_by: by })
    .where("user_id", "=", userId)
    .where("ended_at", "is", null)
    .where("reason", "in", reasons)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Ends one open lock of an account; true only for the caller that ended it. */
export async function endOpenLock(db: Db, userId: string, lockId: string, now: number, how: LockEnd, by: string): Promise<boolean> {
  const result = await db
    .updateTable("account_locks")
    .set({ ended_at: now, end_reason: how, ended_by: by })
    .where("id", "=", lockId)
    .where("user_id", "=", userId)
    .where("ended_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** How many locks of a kind an account got after `since` (ended or not). */
export async function countLocksSince(db: Db, userId: string, reason: LockReason, since: number): Promise<number> {
  const row = await db
    .selectFrom("account_locks")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_id", "=", userId)
    .where("reason", "=", reason)
    .where("locked_at", ">", since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listLocks(db: Db, userId?: string, limit = 200): Promise<LockRecord[]> {
  let query = db.selectFrom("account_locks").selectAll();
  if (userId) query = query.where("user_id", "=", userId);
  return (await query.orderBy("locked_at", "desc").limit(limit).execute()) as LockRecord[];
}

// ---- recovery_networks (the suspicious-activity rule) ----------------------------------------

// A known identifier's reset or unlock request runs these three every time: built and compiled by
// Kysely once, not per request (they were 8 % of a known request's CPU in a profile).
const touchNetwork = compiledOnce((db, userId, networkHash, now, again) =>
  db
    .insertInto("recovery_networks")
    .values({ user_id: userId as string, network_hash: networkHash as string, last_seen: now as number })
    .onConflict((oc) => oc.columns(["user_id", "network_hash"]).doUpdateSet({ last_seen: again as number })),
);
const forgetNetworks = compiledOnce((db, userId, before) =>
  db.deleteFrom("recovery_networks").where("user_id", "=", userId as string).where("last_seen", "<=", before as number),
);
const countNetworks = compiledOnce((db, userId, since) =>
  db
    .selectFrom("recovery_networks")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_id", "=", userId as string)
    .where("last_seen", ">", since as number),
);

/** Notes that a network asked to recover an account now (one row per account and network). */
async function touchRecoveryNetwork(db: Db, userId: string, networkHash: string, now: number): Promise<void> {
  await touchNetwork(db, userId, networkHash, now, now);
}

/** Forgets an account's networks last seen at or before `before`. */
export async function forgetRecoveryNetworks(db: Db, userId: string, before: number): Promise<void> {
  await forgetNetworks(db, userId, before);
}

/**
 * PostgreSQL: `noteRecoveryNetwork`'s three statements as one (one round trip instead of three;
 * docs/decisions/0040). The outer SELECT sees the table as it was before the statement, so it
 * counts the other networks seen after `since` (the DELETE removes none of those) and adds the one
 * just touched, whose `last_seen` is `now`, after `since`.
 */
const NOTE_NETWORK_POSTGRES = `WITH forgotten AS (
    DELETE FROM recovery_networks WHERE user_id = $1 AND last_seen <= $4
  ), touched AS (
    INSERT INTO recovery_networks (user_id, network_hash, last_seen) VALUES ($1, $2, $3)
    ON CONFLICT (user_id, network_hash) DO UPDATE SET last_seen = $3
  )
  SELECT count(*) + 1 AS n FROM recovery_networks WHERE user_id = $1 AND last_seen > $4 AND network_hash <> $2`;

/**
 * Notes that a network asked to recover an account at `now` (one row per account and network),
 * forgets the account's networks last seen at or before `since`, and returns how many distinct
 * networks asked after `since`, this one included. Runs in the caller's transaction.
 */
export async function noteRecoveryNetworkRow(db: Db, userId: string, networkHash: string, now: number, since: number): Promise<number> {
  if (now <= since) throw new Error("noteRecoveryNetworkRow: now must be after since");
  if (engineOf(db) === "postgres") {
    const { rows } = await executeSql<{ n: number }>(db, NOTE_NETWORK_POSTGRES, [userId, networkHash, now, since]);
    return Number(rows[0]!.n);
  }
  await forgetRecoveryNetworks(db, userId, since);
  await touchRecoveryNetwork(db, userId, networkHash, now);
  return countRecoveryNetworks(db, userId, since);
}

/** How many distinct networks asked to recover an account after `since`. */
async function countRecoveryNetworks(db: Db, userId: string, since: number): Promise<number> {
  const [row] = await countNetworks(db, userId, since);
  return Number(row!.n);
}
