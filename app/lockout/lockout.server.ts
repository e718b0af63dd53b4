import { serializeOn, transaction, type Db } from "~/db/db.server";
import type { Config } from "~/config.server";
import { hmacHex, randomId } from "~/security/crypto.server";
import * as store from "~/stores/lockout.store";
import type { LockEnd, LockReason, LockRecord } from "~/stores/lockout.store";

export type { LockEnd, LockReason, LockRecord } from "~/stores/lockout.store";

/**
 * Account lockout (DESIGN.md "Lockout", RL-01..RL-04) and the lock records support staff read.
 *
 * Failed sign-ins are counted per account, across every client address. Repeating the same wrong
 * password counts once. From the 5th failure each round adds a growing delay; every 10th starts a
 * temporary lock (15 min, doubling, capped); the 50th locks until unlock or reset. Identifiers
 * that name no account are counted the same way under their own key, so delays and answers
 * never reveal whether an account exists.
 */

/** Locks that self-service (unlock, reset) may lift. Compromise and staff locks need support. */
export const SELF_SERVICE_REASONS: readonly LockReason[] = ["failed_attempts", "suspicious_activity"];

export function failureKey(secretKey: Buffer, userId: string | null, identifier: string): string {
  return userId ? `u:${userId}` : `i:${hmacHex(secretKey, `login:${identifier}`).slice(0, 40)}`;
}

export type FailureResult = { failures: number; counted: boolean; lock: "none" | "temporary" | "permanent"; lockUntil: number | null };

/** One key's share of an attempt claimed by `beginAttempt`. */
export type Claim = { key: string; counted: boolean; failures: number; previousDelayUntil: number };
export type AttemptStart = { ok: true; claims: Claim[] } | { ok: false; waitSeconds: number };

/**
 * Claims one sign-in attempt for every key it names, before the password is checked (M6): the
 * attempt is counted as a failure up front and any delay it earns starts now, so a burst of
 * parallel attempts is held to the same schedule as attempts made one after another. The caller
 * settles the claim afterwards: `releaseAttempt` for a right password, `settleFailure` for a
 * wrong one. Repeating a recent wrong password counts once. `passwordTag` is a keyed hash of the
 * typed password, kept only to recognise repeats; it is dropped on the next success.
 */
const failureLock = (key: string) => `sign_in_failures:${key}`;

export async function beginAttempt(db: Db, config: Config, keys: string[], passwordTag: string, now: number): Promise<AttemptStart> {
  const l = config.lockout;
  // One transaction from read to write, serialised on the counters' keys, so two parallel
  // attempts (on any nodes) cannot both read the same count and claim one failure between them (M6).
  return transaction(db, async (trx): Promise<AttemptStart> => {
    await serializeOn(trx, ...keys.map(failureLock));
    const rows: (store.FailureRow | undefined)[] = [];
    for (const key of keys) rows.push(await store.findFailure(trx, key));
    const wait = Math.max(0, ...rows.map((r) => (r && r.delay_until > now ? r.delay_until - now : 0)));
    if (wait > 0) return { ok: false, waitSeconds: Math.ceil(wait / 1000) };
    const claims: Claim[] = [];
    for (const [i, key] of keys.entries()) {
      const row = rows[i];
      const recent: string[] = row ? JSON.parse(row.recent) : [];
      const previousDelayUntil = row?.delay_until ?? 0;
      if (recent.includes(passwordTag)) {
        claims.push({ key, counted: false, failures: row?.failures ?? 0, previousDelayUntil });
        continue;
      }
      const failures = (row?.failures ?? 0) + 1;
      recent.push(passwordTag);
      const round = failures % l.temporaryAfter;
      const delayUntil = round >= l.delayAfter ? now + Math.min(l.delayMs * 2 ** (round - l.delayAfter), 3_600_000) : 0;
      await store.saveFailure(trx, { key, failures, recent: JSON.stringify(recent.slice(-l.permanentAfter)), delay_until: delayUntil, updated_at: now });
      claims.push({ key, counted: true, failures, previousDelayUntil });
    }
    return { ok: true, claims };
  });
}

/**
 * Gives back a claim that was not a guess at this key's account: the other accounts on a shared
 * e-mail when the password matched one of them.
 */
export async function releaseAttempt(db: Db, claim: Claim, passwordTag: string): Promise<void> {
  if (!claim.counted) return;
  // Read and rewrite in one transaction, so a parallel claim on the same key is not lost.
  await transaction(db, async (trx) => {
    await serializeOn(trx, failureLock(claim.key));
    const row = await store.findFailure(trx, claim.key);
    if (!row) return;
    const recent = (JSON.parse(row.recent) as string[]).filter((t) => t !== passwordTag);
    await store.updateFailure(trx, claim.key, {
      failures: Math.max(row.failures - 1, 0),
      recent: JSON.stringify(recent),
      delay_until: claim.previousDelayUntil,
    });
  });
}

/**
 * A claimed attempt turned out wrong: every 10th counted failure of an account starts a temporary
 * lock (15 min, doubling, capped) and the 50th locks until unlock or reset. An account that is
 * already locked keeps counting (so its answers and delays match an unknown name's, L2) but gets
 * no second lock of the same kind.
 */
export async function settleFailure(
  db: Db,
  config: Config,
  claim: Claim,
  input: { userId: string | null; now: number; ip: string; userAgent: string },
): Promise<FailureResult> {
  const l = config.lockout;
  const { failures } = claim;
  if (!claim.counted || !input.userId) return { failures, counted: claim.counted, lock: "none", lockUntil: null };
  const userId = input.userId;
  // One transaction: the check for a lock in force and the new lock must not interleave with a
  // parallel failure's, or the account would get two locks of the same kind.
  return transaction(db, async (trx): Promise<FailureResult> => {
    await serializeOn(trx, `account_locks:${userId}`);
    const current = await activeLock(trx, userId, input.now);
    if (failures >= l.permanentAfter) {
      if (current && current.locked_until === null) return { failures, counted: true, lock: "none", lockUntil: null };
      await endLocks(trx, userId, input.now, "expired", "system", ["failed_attempts"]);
      await createLock(trx, { userId, reason: "failed_attempts", now: input.now, until: null, ip: input.ip, userAgent: input.userAgent, details: { failures, kind: "permanent" } });
      return { failures, counted: true, lock: "permanent", lockUntil: null };
    }
    if (failures % l.temporaryAfter === 0 && !current) {
      const earlier = await store.countLocksSince(trx, userId, "failed_attempts", input.now - 7 * 86_400_000);
      const until = input.now + Math.min(l.temporaryMs * 2 ** earlier, l.maxMs);
      await createLock(trx, {
        userId,
        reason: "failed_attempts",
        now: input.now,
        until,
        ip: input.ip,
        userAgent: input.userAgent,
        details: { failures, kind: "temporary", repeat: earlier + 1 },
      });
      return { failures, counted: true, lock: "temporary", lockUntil: until };
    }
    return { failures, counted: true, lock: "none", lockUntil: null };
  });
}

/** A successful sign-in (or a reset, or an unlock) forgets the failures (RL-02). */
export async function clearFailures(db: Db, key: string): Promise<void> {
  await store.clearFailures(db, key);
}

export async function createLock(
  db: Db,
  input: {
    userId: string;
    reason: LockReason;
    now: number;
    until: number | null;
    ip?: string | null;
    userAgent?: string | null;
    details?: Record<string, string | number | boolean | null>;
    createdBy?: string;
  },
): Promise<LockRecord> {
  const record: LockRecord = {
    id: randomId(),
    user_id: input.userId,
    reason: input.reason,
    locked_at: input.now,
    locked_until: input.until,
    trigger_ip: input.ip ?? null,
    trigger_user_agent: input.userAgent?.slice(0, 256) ?? null,
    details: JSON.stringify(input.details ?? {}),
    created_by: input.createdBy ?? "system",
    ended_at: null,
    end_reason: null,
    ended_by: null,
  };
  await store.insertLock(db, record);
  return record;
}

/** The lock in force now, if any (the most restrictive first: indefinite before timed). */
export async function activeLock(db: Db, userId: string, now: number): Promise<LockRecord | undefined> {
  await store.expireLocks(db, userId, now);
  return store.findActiveLock(db, userId);
}

/** Every lock in force now (a support-only lock may stand beside a failed-attempts one). */
export async function openLocks(db: Db, userId: string, now: number): Promise<LockRecord[]> {
  await store.expireLocks(db, userId, now);
  return store.findOpenLocks(db, userId);
}

/**
 * Ends the open locks of the given kinds. Returns how many ended. Call inside the transaction of
 * the unlock or reset that ends them.
 */
export async function endLocks(db: Db, userId: string, now: number, how: LockEnd, by: string, reasons: readonly LockReason[]): Promise<number> {
  await store.expireLocks(db, userId, now);
  return store.endOpenLocks(db, userId, now, how, by, reasons);
}

export async function listLocks(db: Db, userId?: string, limit = 200): Promise<LockRecord[]> {
  return store.listLocks(db, userId, limit);
}

const lockKey = (userId: string) => `account_locks:${userId}`;

/**
 * A manual lock (reason `staff`, until lifted). Call inside a transaction: serialised on the
 * account's lock key (0017 rule 3), so two parallel manual locks make one record; while a staff
 * lock is open a second one is not created (`created: false`, the open one returned).
 */
export async function placeStaffLock(
  trx: Db,
  input: { userId: string; now: number; by: string; note: string | null; ip?: string | null; userAgent?: string | null },
): Promise<{ created: boolean; lock: LockRecord }> {
  await serializeOn(trx, lockKey(input.userId));
  const open = (await openLocks(trx, input.userId, input.now)).find((l) => l.reason === "staff");
  if (open) return { created: false, lock: open };
  const lock = await createLock(trx, {
    userId: input.userId,
    reason: "staff",
    now: input.now,
    until: null,
    ip: input.ip ?? null,
    userAgent: input.userAgent ?? null,
    details: input.note ? { note: input.note } : {},
    createdBy: input.by,
  });
  return { created: true, lock };
}

/** Ends every open lock of an account (end_reason 'staff', ended_by `by`); returns how many. Call inside a transaction. */
export async function liftAllLocks(trx: Db, userId: string, now: number, by: string): Promise<number> {
  await serializeOn(trx, lockKey(userId));
  return endLocks(trx, userId, now, "staff", by, ["failed_attempts", "suspicious_activity", "reported_compromise", "staff"]);
}

/**
 * Ends the open locks of the given kinds (end_reason 'staff', ended_by `by`), or only the one with
 * `lockId` when given; returns how many ended. Call inside a transaction (serialised like the others).
 */
export async function liftLocks(trx: Db, userId: string, now: number, by: string, which: { reasons: readonly LockReason[]; lockId?: string }): Promise<number> {
  await serializeOn(trx, lockKey(userId));
  await store.expireLocks(trx, userId, now);
  if (which.lockId) {
    const lock = (await store.findOpenLocks(trx, userId)).find((l) => l.id === which.lockId);
    if (!lock || !which.reasons.includes(lock.reason)) return 0;
    return (await store.endOpenLock(trx, userId, lock.id, now, "staff", by)) ? 1 : 0;
  }
  return store.endOpenLocks(trx, userId, now, "staff", by, which.reasons);
}

const HOUR_MS = 3_600_000;

/**
 * The suspicious-activity rule (issue 14): recovery requests (reset or unlock) for one account from
 * more than `lockout.suspiciousNetworksPerHour` distinct client networks (/24 for IPv4, /64 for
 * IPv6) within the last hour lock it with reason `suspicious_activity`, until it is unlocked or
 * reset (self-service may lift it). At most one such lock per hour: a second is not made while one
 * made within the hour exists, lifted or not, nor while the account has any lock in force.
 * `networkHash` is a keyed hash of the network, never the address. Call inside the request's
 * transaction; returns the new lock, if one was made.
 */
export async function noteRecoveryNetwork(
  trx: Db,
  config: Config,
  input: { userId: string; networkHash: string; now: number; ip: string; userAgent: string },
): Promise<LockRecord | null> {
  const { userId, now } = input;
  await serializeOn(trx, lockKey(userId));
  const networks = await store.noteRecoveryNetworkRow(trx, userId, input.networkHash, now, now - HOUR_MS);
  if (networks <= config.lockout.suspiciousNetworksPerHour) return null;
  if (await activeLock(trx, userId, now)) return null;
  if ((await store.countLocksSince(trx, userId, "suspicious_activity", now - HOUR_MS)) > 0) return null;
  return createLock(trx, {
    userId,
    reason: "suspicious_activity",
    now,
    until: null,
    ip: input.ip,
    userAgent: input.userAgent,
    details: { rule: "recovery_networks_per_hour", networks, threshold: config.lockout.suspiciousNetworksPerHour },
  });
}
