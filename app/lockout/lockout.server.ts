import type { Db } from "~/db/db.server";
import type { Config } from "~/config.server";
import { hmacHex, randomId } from "~/security/crypto.server";

/**
 * Account lockout (DESIGN.md "Lockout", RL-01..RL-04) and the lock records support staff read.
 *
 * Failed sign-ins are counted per account, across every client address. Repeating the same wrong
 * password counts once. From the 5th failure each round adds a growing delay; every 10th starts a
 * temporary lock (15 min, doubling, capped); the 50th locks until unlock or reset. Identifiers
 * that name no account are counted the same way under their own key, so delays and answers
 * never reveal whether an account exists.
 */

export type LockReason = "failed_attempts" | "suspicious_activity" | "reported_compromise" | "staff";
export type LockEnd = "expired" | "self_service_unlock" | "password_reset" | "staff";

export type LockRecord = {
  id: string;
  user_id: string;
  reason: LockReason;
  locked_at: number;
  locked_until: number | null;
  trigger_ip: string | null;
  trigger_user_agent: string | null;
  details: string;
  created_by: string;
  ended_at: number | null;
  end_reason: LockEnd | null;
  ended_by: string | null;
};

/** Locks that self-service (unlock, reset) may lift. Compromise and staff locks need support. */
export const SELF_SERVICE_REASONS: readonly LockReason[] = ["failed_attempts", "suspicious_activity"];

type FailureRow = { key: string; failures: number; recent: string; delay_until: number; updated_at: number };

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
export function beginAttempt(db: Db, config: Config, keys: string[], passwordTag: string, now: number): AttemptStart {
  const l = config.lockout;
  return db.transaction((): AttemptStart => {
    const rows = keys.map((key) => db.prepare("SELECT * FROM sign_in_failures WHERE key = ?").get(key) as FailureRow | undefined);
    const wait = Math.max(0, ...rows.map((r) => (r && r.delay_until > now ? r.delay_until - now : 0)));
    if (wait > 0) return { ok: false, waitSeconds: Math.ceil(wait / 1000) };
    const claims = keys.map((key, i): Claim => {
      const row = rows[i];
      const recent: string[] = row ? JSON.parse(row.recent) : [];
      const previousDelayUntil = row?.delay_until ?? 0;
      if (recent.includes(passwordTag)) return { key, counted: false, failures: row?.failures ?? 0, previousDelayUntil };
      const failures = (row?.failures ?? 0) + 1;
      recent.push(passwordTag);
      const round = failures % l.temporaryAfter;
      const delayUntil = round >= l.delayAfter ? now + Math.min(l.delayMs * 2 ** (round - l.delayAfter), 3_600_000) : 0;
      db.prepare(
        `INSERT INTO sign_in_failures (key, failures, recent, delay_until, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, recent = excluded.recent, delay_until = excluded.delay_until, updated_at = excluded.updated_at`,
      ).run(key, failures, JSON.stringify(recent.slice(-l.permanentAfter)), delayUntil, now);
      return { key, counted: true, failures, previousDelayUntil };
    });
    return { ok: true, claims };
  }).immediate();
}

/**
 * Gives back a claim that was not a guess at this key's account: the other accounts on a shared
 * e-mail when the password matched one of them.
 */
export function releaseAttempt(db: Db, claim: Claim, passwordTag: string): void {
  if (!claim.counted) return;
  db.transaction(() => {
    const row = db.prepare("SELECT * FROM sign_in_failures WHERE key = ?").get(claim.key) as FailureRow | undefined;
    if (!row) return;
    const recent = (JSON.parse(row.recent) as string[]).filter((t) => t !== passwordTag);
    db.prepare("UPDATE sign_in_failures SET failures = MAX(failures - 1, 0), recent = ?, delay_until = ? WHERE key = ?").run(
      JSON.stringify(recent),
      claim.previousDelayUntil,
      claim.key,
    );
  }).immediate();
}

/**
 * A claimed attempt turned out wrong: every 10th counted failure of an account starts a temporary
 * lock (15 min, doubling, capped) and the 50th locks until unlock or reset. An account that is
 * already locked keeps counting (so its answers and delays match an unknown name's, L2) but gets
 * no second lock of the same kind.
 */
export function settleFailure(
  db: Db,
  config: Config,
  claim: Claim,
  input: { userId: string | null; now: number; ip: string; userAgent: string },
): FailureResult {
  const l = config.lockout;
  const { failures } = claim;
  if (!claim.counted || !input.userId) return { failures, counted: claim.counted, lock: "none", lockUntil: null };
  const userId = input.userId;
  return db.transaction((): FailureResult => {
    const current = activeLock(db, userId, input.now);
    if (failures >= l.permanentAfter) {
      if (current && current.locked_until === null) return { failures, counted: true, lock: "none", lockUntil: null };
      endLocks(db, userId, input.now, "expired", "system", ["failed_attempts"]);
      createLock(db, { userId, reason: "failed_attempts", now: input.now, until: null, ip: input.ip, userAgent: input.userAgent, details: { failures, kind: "permanent" } });
      return { failures, counted: true, lock: "permanent", lockUntil: null };
    }
    if (failures % l.temporaryAfter === 0 && !current) {
      const earlier = (
        db.prepare("SELECT COUNT(*) AS n FROM account_locks WHERE user_id = ? AND reason = 'failed_attempts' AND locked_at > ?").get(
          userId,
          input.now - 7 * 86_400_000,
        ) as { n: number }
      ).n;
      const until = input.now + Math.min(l.temporaryMs * 2 ** earlier, l.maxMs);
      createLock(db, {
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
  }).immediate();
}

/** A successful sign-in (or a reset, or an unlock) forgets the failures (RL-02). */
export function clearFailures(db: Db, key: string): void {
  db.prepare("DELETE FROM sign_in_failures WHERE key = ?").run(key);
}

export function createLock(
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
): LockRecord {
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
  db.prepare(
    `INSERT INTO account_locks (id, user_id, reason, locked_at, locked_until, trigger_ip, trigger_user_agent, details, created_by)
     VALUES (@id, @user_id, @reason, @locked_at, @locked_until, @trigger_ip, @trigger_user_agent, @details, @created_by)`,
  ).run(record);
  return record;
}

/** Marks temporary locks whose time has passed as ended ("expired"), so records stay truthful. */
function expireLocks(db: Db, userId: string, now: number): void {
  db.prepare(
    "UPDATE account_locks SET ended_at = locked_until, end_reason = 'expired', ended_by = 'system' WHERE user_id = ? AND ended_at IS NULL AND locked_until IS NOT NULL AND locked_until <= ?",
  ).run(userId, now);
}

/** The lock in force now, if any (the most restrictive first: indefinite before timed). */
export function activeLock(db: Db, userId: string, now: number): LockRecord | undefined {
  expireLocks(db, userId, now);
  return db
    .prepare(
      "SELECT * FROM account_locks WHERE user_id = ? AND ended_at IS NULL ORDER BY (locked_until IS NULL) DESC, locked_until DESC LIMIT 1",
    )
    .get(userId) as LockRecord | undefined;
}

/** Every lock in force now (a support-only lock may stand beside a failed-attempts one). */
export function openLocks(db: Db, userId: string, now: number): LockRecord[] {
  expireLocks(db, userId, now);
  return db.prepare("SELECT * FROM account_locks WHERE user_id = ? AND ended_at IS NULL").all(userId) as LockRecord[];
}

/**
 * Ends the open locks of the given kinds. Returns how many ended. Call inside the transaction of
 * the unlock or reset that ends them.
 */
export function endLocks(db: Db, userId: string, now: number, how: LockEnd, by: string, reasons: readonly LockReason[]): number {
  expireLocks(db, userId, now);
  const placeholders = reasons.map(() => "?").join(", ");
  return db
    .prepare(`UPDATE account_locks SET ended_at = ?, end_reason = ?, ended_by = ? WHERE user_id = ? AND ended_at IS NULL AND reason IN (${placeholders})`)
    .run(now, how, by, userId, ...reasons).changes;
}

export function listLocks(db: Db, userId?: string, limit = 200): LockRecord[] {
  if (userId) return db.prepare("SELECT * FROM account_locks WHERE user_id = ? ORDER BY locked_at DESC LIMIT ?").all(userId, limit) as LockRecord[];
  return db.prepare("SELECT * FROM account_locks ORDER BY locked_at DESC LIMIT ?").all(limit) as LockRecord[];
}
