import type { Db } from "~/db/db.server";
import { sha256Hex } from "~/security/crypto.server";

/**
 * Append-only, hash-chained audit log. Each row's hash covers the previous row's hash and its own
 * fields, so editing or deleting a row breaks `audit verify`. Callers never pass secrets: details
 * hold ids, counts and outcomes only.
 */
export type AuditInput = {
  event: string;
  outcome: "success" | "failure" | "info";
  actorType: "user" | "staff" | "system" | "anonymous" | "operator";
  actorId?: string | null;
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, string | number | boolean | null>;
};

export type AuditRow = {
  seq: number;
  at: number;
  event: string;
  outcome: string;
  actor_type: string;
  actor_id: string | null;
  user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string;
  prev_hash: string;
  hash: string;
};

const GENESIS = "0".repeat(64);

function rowHash(prev: string, r: Omit<AuditRow, "seq" | "prev_hash" | "hash">): string {
  return sha256Hex(
    JSON.stringify([prev, r.at, r.event, r.outcome, r.actor_type, r.actor_id, r.user_id, r.ip, r.user_agent, r.details]),
  );
}

/** Appends one event. Call inside the transaction of the change it records. */
export function audit(db: Db, now: number, input: AuditInput): void {
  const prev =
    (db.prepare("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1").get() as { hash: string } | undefined)
      ?.hash ?? GENESIS;
  const row = {
    at: now,
    event: input.event,
    outcome: input.outcome,
    actor_type: input.actorType,
    actor_id: input.actorId ?? null,
    user_id: input.userId ?? null,
    ip: input.ip ?? null,
    user_agent: input.userAgent ? input.userAgent.slice(0, 256) : null,
    details: JSON.stringify(input.details ?? {}),
  };
  db.prepare(
    `INSERT INTO audit_events (at, event, outcome, actor_type, actor_id, user_id, ip, user_agent, details, prev_hash, hash)
     VALUES (@at, @event, @outcome, @actor_type, @actor_id, @user_id, @ip, @user_agent, @details, @prev_hash, @hash)`,
  ).run({ ...row, prev_hash: prev, hash: rowHash(prev, row) });
}

/** Walks the chain; returns the first broken sequence number, or null when intact. */
export function verifyAuditChain(db: Db): { ok: true; count: number } | { ok: false; seq: number; count: number } {
  let prev = GENESIS;
  let count = 0;
  for (const r of db.prepare("SELECT * FROM audit_events ORDER BY seq").iterate() as Iterable<AuditRow>) {
    count++;
    if (r.prev_hash !== prev || rowHash(prev, r) !== r.hash) return { ok: false, seq: r.seq, count };
    prev = r.hash;
  }
  return { ok: true, count };
}

export function* exportAudit(db: Db): Generator<string> {
  for (const r of db.prepare("SELECT * FROM audit_events ORDER BY seq").iterate() as Iterable<AuditRow>) {
    yield JSON.stringify({ ...r, at: new Date(r.at).toISOString(), details: JSON.parse(r.details) });
  }
}

export function recentAuditForUser(db: Db, userId: string, limit = 50): AuditRow[] {
  return db.prepare("SELECT * FROM audit_events WHERE user_id = ? ORDER BY seq DESC LIMIT ?").all(userId, limit) as AuditRow[];
}
