import { AsyncResource } from "node:async_hooks";
import crypto from "node:crypto";
import { rootOf, transaction, type Db } from "~/db/db.server";
import type { Logger } from "~/log.server";
import { sha256Hex } from "~/security/crypto.server";
import * as store from "~/stores/audit.store";

/**
 * Append-only audit log, chained with an HMAC (docs/decisions/0007-audit-chain.md). Each row's
 * hash is HMAC-SHA256, keyed from SECRET_KEY, over the previous row's hash and its own fields, so
 * nobody without the key can edit, insert or delete a row and recompute the chain. Each append
 * reads the head and inserts inside one write transaction (the caller's, when it is already in one),
 * so the server and the CLI never fork the chain. Every AUDIT_CHECKPOINT_EVERY rows, and
 * on shutdown, the head is logged (`audit_checkpoint`); `audit verify --since-checkpoint SEQ:HASH`
 * then also catches a truncated tail. Callers never pass secrets: details hold ids, counts and
 * outcomes only.
 */
export type AuditInput = {
  event: string;
  outcome: "success" | "failure" | "info";
  actorType: "user" | "staff" | "system" | "anonymous" | "operator" | "api_key";
  actorId?: string | null;
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, string | number | boolean | null>;
};

/** A row as stored. `alg` is "sha256" for a row written before the chain was keyed (migration 0009), "hmac-sha256" since. */
export type AuditRow = store.AuditRow;

/** A checkpoint as logged: the head row's sequence number and hash. */
export type AuditCheckpoint = { seq: number; hash: string };

export type AuditVerifyResult =
  | { ok: true; count: number; head: AuditCheckpoint | null }
  | { ok: false; seq: number; count: number; reason: string };

const GENESIS = "0".repeat(64);
const LEGACY = "sha256";
const KEYED = "hmac-sha256";
const KEYING_MIGRATION = "0009_audit_hmac.sql";

/** A checkpoint is logged when the head passes a multiple of this (and on shutdown). */
export const AUDIT_CHECKPOINT_EVERY = 1000;

type Attached = {
  key: Buffer;
  logger: Logger | null;
  every: number;
  lastCheckpointSeq: number;
  pending: boolean;
  /** The root handle, for the checkpoint logged after a transaction commits. */
  root: Db;
  /** Runs a callback in attachAudit's async context, i.e. outside any caller's transaction. */
  detached: (fn: () => void) => void;
};
// Kept in a process-wide registry under a global symbol: server.ts and the Remix bundle each load
// their own copy of this module but share the one handle, so a module-level map would not do.
// Keyed by the root handle, so audit(trx, ...) inside a caller's transaction finds the chain too.
const ATTACHED = Symbol.for("portal.audit-chain");
type Registry = WeakMap<object, Attached>;
const registry: Registry = ((globalThis as { [ATTACHED]?: Registry })[ATTACHED] ??= new WeakMap());
const chainKeyOf = (db: Db): object => rootOf(db);
const attachedTo = (db: Db): Attached | undefined => registry.get(chainKeyOf(db));

/** The chain key: derived from SECRET_KEY for this one purpose. */
export function auditChainKey(secretKey: Buffer): Buffer {
  return crypto.createHmac("sha256", secretKey).update("audit-chain").digest();
}

type Hashed = Omit<AuditRow, "seq" | "prev_hash" | "hash" | "alg">;

function fields(prev: string, r: Hashed): string {
  return JSON.stringify([prev, r.at, r.event, r.outcome, r.actor_type, r.actor_id, r.user_id, r.ip, r.user_agent, r.details]);
}

/** Rows written before migration 0009: plain SHA-256 (anyone can recompute these). */
function legacyHash(prev: string, r: Hashed): string {
  return sha256Hex(fields(prev, r));
}

function keyedHash(key: Buffer, prev: string, r: Hashed): string {
  return crypto.createHmac("sha256", key).update(`${KEYED}\n${fields(prev, r)}`).digest("hex");
}

function state(db: Db): Attached {
  const s = attachedTo(db);
  if (!s) throw new Error("audit log not attached: call attachAudit(db, { secretKey }) after migrate(db)");
  return s;
}

/**
 * Every process that appends to or verifies the audit log calls this once, after migrate(db), with
 * SECRET_KEY and the list migrate() returned. A process with a logger (the server) also logs
 * checkpoints. When this process has just applied migration 0009 to a log of unkeyed rows, a keyed
 * `audit_chain_keyed` row is appended at once, so the old rows are pinned by an HMAC. Nothing
 * else ever writes here: a chain that ends on an unkeyed row later is reported broken.
 */
export async function attachAudit(
  db: Db,
  options: { secretKey: Buffer; logger?: Logger; checkpointEvery?: number; migrated?: string[] },
): Promise<void> {
  const s: Attached = {
    key: auditChainKey(options.secretKey),
    logger: options.logger ?? null,
    every: Math.max(1, options.checkpointEvery ?? AUDIT_CHECKPOINT_EVERY),
    lastCheckpointSeq: 0,
    pending: false,
    root: db,
    detached: AsyncResource.bind((fn: () => void) => fn()),
  };
  registry.set(chainKeyOf(db), s);
  if (options.migrated?.includes(KEYING_MIGRATION)) {
    await transaction(db, async (trx) => {
      const h = await store.auditHead(trx);
      if (h && h.alg === LEGACY) {
        const n = await store.countAuditEvents(trx);
        await append(trx, s, Date.now(), { event: "audit_chain_keyed", outcome: "info", actorType: "system", details: { legacy_rows: n, legacy_head_seq: h.seq } });
        s.logger?.warn({ event: "audit_chain_keyed", legacyRows: n, legacyHeadSeq: h.seq }, "audit chain: rows written before the upgrade are now pinned by a keyed row");
      }
    });
  }
  s.lastCheckpointSeq = (await store.auditHead(db))?.seq ?? 0;
}

async function append(db: Db, s: Attached, now: number, input: AuditInput): Promise<number> {
  await store.lockAuditChain(db);
  const prev = (await store.auditHead(db))?.hash ?? GENESIS;
  const row: Hashed = {
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
  return store.insertAuditEvent(db, { ...row, prev_hash: prev, hash: keyedHash(s.key, prev, row), alg: KEYED });
}

/**
 * Appends one event. Reading the head and inserting happen in one write transaction; called inside
 * the transaction of the change it records (pass that transaction), it is part of that transaction.
 * Returns the row's sequence number.
 */
export async function audit(db: Db, now: number, input: AuditInput): Promise<number> {
  const s = state(db);
  const seq = await transaction(db, (trx) => append(trx, s, now, input));
  if (s.logger && !s.pending && Math.floor(seq / s.every) > Math.floor(s.lastCheckpointSeq / s.every)) {
    // Log once the caller's transaction has committed: the checkpoint reads the committed head
    // through the root handle, so it must not run in the caller's (transaction's) async context.
    s.pending = true;
    s.detached(() =>
      setImmediate(() => {
        s.pending = false;
        // A closing process may have shut the connection already; the shutdown checkpoint covers it.
        logAuditCheckpoint(s.root, "periodic").catch(() => undefined);
      }),
    );
  }
  return seq;
}

/** Logs the committed head as `{ event: "audit_checkpoint", count, seq, head }` (server only). */
export async function logAuditCheckpoint(db: Db, trigger: "periodic" | "shutdown"): Promise<AuditCheckpoint | null> {
  const s = attachedTo(db);
  if (!s?.logger) return null;
  // Head and count from one snapshot, so the line never pairs a head with a count from after it.
  const { h, n } = await transaction(db, async (trx) => ({ h: await store.auditHead(trx), n: await store.countAuditEvents(trx) }));
  const cp = { seq: h?.seq ?? 0, hash: h?.hash ?? GENESIS };
  s.lastCheckpointSeq = cp.seq;
  s.logger.info({ event: "audit_checkpoint", trigger, count: n, seq: cp.seq, head: cp.hash, checkpoint: `${cp.seq}:${cp.hash}` }, "audit checkpoint");
  return cp;
}

/** Parses "SEQ:HASH" as printed in an audit_checkpoint log line. */
export function parseCheckpoint(text: string): AuditCheckpoint | null {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  return m ? { seq: Number(m[1]), hash: m[2] } : null;
}

/**
 * Walks the chain: every prev_hash links, every hash matches (HMAC for keyed rows, SHA-256 for
 * rows older than the upgrade, which may only come first), and the chain ends on a keyed row.
 * With a checkpoint, that row must still be there with that hash: a truncated tail fails.
 */
export async function verifyAuditChain(db: Db, checkpoint?: AuditCheckpoint): Promise<AuditVerifyResult> {
  const { key } = state(db);
  let prev = GENESIS;
  let count = 0;
  let last: AuditRow | undefined;
  let keyedSeen = false;
  let checkpointFound = false;
  for await (const r of allRows(db)) {
    count++;
    if (r.prev_hash !== prev) return { ok: false, seq: r.seq, count, reason: "does not link to the row before it (a row was deleted or inserted)" };
    if (r.alg === KEYED) {
      keyedSeen = true;
      if (keyedHash(key, prev, r) !== r.hash) return { ok: false, seq: r.seq, count, reason: "HMAC does not match (the row was edited, or SECRET_KEY differs)" };
    } else if (r.alg === LEGACY && !keyedSeen) {
      if (legacyHash(prev, r) !== r.hash) return { ok: false, seq: r.seq, count, reason: "hash does not match (the row was edited)" };
    } else {
      return { ok: false, seq: r.seq, count, reason: r.alg === LEGACY ? "an unkeyed row after keyed rows" : `unknown alg "${r.alg}"` };
    }
    if (checkpoint && r.seq === checkpoint.seq) {
      if (r.hash !== checkpoint.hash) return { ok: false, seq: r.seq, count, reason: "differs from the checkpoint" };
      checkpointFound = true;
    }
    prev = r.hash;
    last = r;
  }
  if (last && last.alg !== KEYED) return { ok: false, seq: last.seq, count, reason: "the chain ends on an unkeyed row (keyed rows were removed)" };
  if (checkpoint && checkpoint.seq > 0 && !checkpointFound) {
    return {
      ok: false,
      seq: checkpoint.seq,
      count,
      reason: last && last.seq < checkpoint.seq ? `missing: the log ends at event ${last.seq} (rows were deleted from the end)` : "missing from the log",
    };
  }
  return { ok: true, count, head: last ? { seq: last.seq, hash: last.hash } : null };
}

/**
 * Every row, oldest first, a page at a time so a long log never sits in memory whole. Rows are
 * only ever appended, so pages read one after another still form one chain.
 */
async function* allRows(db: Db, pageSize = 1000): AsyncGenerator<AuditRow> {
  let after = 0;
  for (;;) {
    const page = await store.auditEventsAfter(db, after, pageSize);
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1].seq;
  }
}

export async function* exportAudit(db: Db): AsyncGenerator<string> {
  for await (const r of allRows(db)) {
    yield JSON.stringify({ ...r, at: new Date(r.at).toISOString(), details: JSON.parse(r.details) });
  }
}

export async function recentAuditForUser(db: Db, userId: string, limit = 50): Promise<AuditRow[]> {
  return store.recentAuditForUser(db, userId, limit);
}
