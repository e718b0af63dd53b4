import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { migrate, openDatabase, transaction, type SqliteConnection as Connection, type Db } from "~/db/db.server";
import { createLogger } from "~/log.server";
import { OutboxWorker, enqueue, type OutboxRow, type Sender } from "~/delivery/outbox.server";
import { attachAudit, audit, verifyAuditChain } from "~/audit/audit.server";

/**
 * The outbox and the audit chain on the async data layer: both write inside the caller's
 * transaction (REQ-07, L6), and their follow-up work (the worker's pass, the checkpoint line)
 * runs outside it, where the root handle may be used.
 */

const T0 = Date.UTC(2030, 0, 1);
let dir: string;
let connection: Connection;
let db: Db;
const lines: Record<string, unknown>[] = [];
const logger = createLogger(
  "info",
  new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  }),
);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-delivery-"));
  connection = openDatabase(path.join(dir, "portal.sqlite"));
  db = connection.db;
  await migrate(connection);
  await attachAudit(db, { secretKey: Buffer.from("unit-test-secret-key-0123456789abcdef"), logger, checkpointEvery: 3 });
});
afterAll(async () => {
  await connection?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const message = (to: string) =>
  ({ channel: "email", to, template: "smtp-test", payload: { appName: "Test", sentAt: "now" } }) as const;

function worker(send: Sender, maxAttempts = 3) {
  return new OutboxWorker({
    db,
    clock: { now: () => T0 },
    logger,
    senders: { email: send, sms: send },
    pollMs: 60_000,
    maxAttempts,
    backoffBaseMs: 1000,
  });
}

const row = (id: string) => connection.raw.prepare("SELECT * FROM outbox WHERE id = ?").get(id) as OutboxRow;

async function until(check: () => boolean, ms = 3000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) if (check()) return;
  throw new Error("timed out");
}

describe("outbox", () => {
  test("REQ-07: a message queued and kicked from inside a transaction is sent once it commits, outside it", async () => {
    const sent: string[] = [];
    const w = worker(async (r) => {
      // The send runs outside any transaction: nothing holds the connection meanwhile.
      expect(connection.raw.inTransaction).toBe(false);
      sent.push(r.recipient);
    });
    let id = "";
    await transaction(db, async (trx) => {
      id = await enqueue(trx, T0, "example.test", message("kick@example.test"));
      // As services.send does: the kick fires while the transaction's async context is current.
      setImmediate(() => w.kick());
      await sleep(20);
      expect(sent).toEqual([]);
    });
    await until(() => row(id).status === "sent");
    await w.stop();
    expect(sent).toEqual(["kick@example.test"]);
    expect(row(id)).toMatchObject({ status: "sent", attempts: 1, payload: null, last_error: null });
  });

  test("a message queued in a transaction that rolls back is never sent", async () => {
    let id = "";
    await expect(
      transaction(db, async (trx) => {
        id = await enqueue(trx, T0, "example.test", message("rollback@example.test"));
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(row(id)).toBeUndefined();
  });

  test("two passes at once claim each message once (one conditional UPDATE per claim)", async () => {
    const ids = await Promise.all([1, 2, 3, 4].map((i) => enqueue(db, T0, "example.test", message(`m${i}@example.test`))));
    const sent: string[] = [];
    const w = worker(async (r) => {
      await sleep(5);
      sent.push(r.id);
    });
    const [a, b] = await Promise.all([w.drain(), w.drain()]);
    expect(a + b).toBe(4);
    expect([...sent].sort()).toEqual([...ids].sort());
  });

  test("LOG-02: a failed send is retried later, then given up with the payload erased", async () => {
    const id = await enqueue(db, T0, "example.test", message("fail@example.test"));
    const failing = async () => {
      throw new Error("provider down");
    };
    await worker(failing, 2).drain();
    expect(row(id)).toMatchObject({ status: "pending", attempts: 1, last_error: "provider down" });
    expect(row(id).next_attempt_at).toBeGreaterThan(T0);
    connection.raw.prepare("UPDATE outbox SET next_attempt_at = 0 WHERE id = ?").run(id);
    await worker(failing, 2).drain();
    expect(row(id)).toMatchObject({ status: "failed", attempts: 2, payload: null });
  });
});

describe("audit chain", () => {
  const event = (i: number) => ({ event: "unit_event", outcome: "info", actorType: "system", details: { i } }) as const;

  test("L6: an append inside a transaction is part of it: rolled back with it, chain intact", async () => {
    const before = await verifyAuditChain(db);
    await audit(db, T0, event(0));
    await expect(
      transaction(db, async (trx) => {
        await audit(trx, T0, event(1));
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    await transaction(db, async (trx) => {
      await audit(trx, T0, event(2));
      await audit(trx, T0, event(3));
    });
    const after = await verifyAuditChain(db);
    expect(after).toMatchObject({ ok: true, count: (before.ok ? before.count : 0) + 3 });
  });

  test("L6: concurrent appends never fork the chain", async () => {
    await Promise.all([10, 11, 12, 13, 14].map((i) => audit(db, T0, event(i))));
    await Promise.all([20, 21].map((i) => transaction(db, (trx) => audit(trx, T0, event(i)))));
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  test("L6: the periodic checkpoint is logged after the transaction commits, through the root handle", async () => {
    lines.length = 0;
    await transaction(db, async (trx) => {
      for (let i = 0; i < 4; i++) await audit(trx, T0, event(100 + i));
    });
    await until(() => lines.some((l) => l.event === "audit_checkpoint"));
    const result = await verifyAuditChain(db);
    const line = lines.find((l) => l.event === "audit_checkpoint")!;
    expect(result.ok && line).toMatchObject({ trigger: "periodic", count: result.ok ? result.count : -1, seq: result.ok ? result.head!.seq : -1 });
  });

  test("L6: the first process after migration 0009 pins the unkeyed rows with a keyed row", async () => {
    const other = openDatabase(path.join(dir, "legacy.sqlite"));
    try {
      await migrate(other);
      // Two rows as a portal before 0009 wrote them: plain SHA-256, alg 'sha256' by default.
      let prev = "0".repeat(64);
      for (let i = 0; i < 2; i++) {
        const r = { at: T0 + i, event: "legacy", outcome: "info", actor_type: "system", actor_id: null, user_id: null, ip: null, user_agent: null, details: "{}" };
        const hash = crypto
          .createHash("sha256")
          .update(JSON.stringify([prev, r.at, r.event, r.outcome, r.actor_type, r.actor_id, r.user_id, r.ip, r.user_agent, r.details]))
          .digest("hex");
        other.raw
          .prepare("INSERT INTO audit_events (at, event, outcome, actor_type, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
          .run(r.at, r.event, r.outcome, r.actor_type, r.details, prev, hash);
        prev = hash;
      }
      const key = Buffer.from("another-unit-test-secret-key-0123456789");
      await attachAudit(other.db, { secretKey: key });
      expect(await verifyAuditChain(other.db)).toMatchObject({ ok: false, reason: "the chain ends on an unkeyed row (keyed rows were removed)" });
      await attachAudit(other.db, { secretKey: key, migrated: ["0009_audit_hmac.sql"] });
      expect(await verifyAuditChain(other.db)).toMatchObject({ ok: true, count: 3 });
      const last = other.raw.prepare("SELECT event, alg, details FROM audit_events ORDER BY seq DESC LIMIT 1").get();
      expect(last).toEqual({ event: "audit_chain_keyed", alg: "hmac-sha256", details: JSON.stringify({ legacy_rows: 2, legacy_head_seq: 2 }) });
    } finally {
      await other.close();
    }
  });
});
