import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { migrate, openDatabase, type SqliteConnection as Connection, type Db } from "~/db/db.server";
import { ConfigError, loadConfig } from "~/config.server";
import { createLogger } from "~/log.server";
import { OutboxWorker, enqueue, type OutboxRow, type Sender } from "~/delivery/outbox.server";
import { claimOutboxBatch, markOutboxFailed, markOutboxSent, markOutboxSentMany, releaseClaims, renewOutboxClaims, scheduleOutboxRetry } from "~/stores/outbox.store";

/**
 * Issue 13: several workers share the outbox. A claim is a lease (claimed_by, claimed_until): a
 * live lease keeps other workers off a row, an expired one (its worker died mid-send) lets the
 * next worker send it; settling only counts for the worker that still holds the row, except that
 * a late "sent" is still recorded (the message did go out). These run on SQLite; the same store
 * runs against several worker processes on PostgreSQL in tests/integration/outbox-workers.test.ts.
 */

const T0 = Date.UTC(2030, 0, 1);
const LEASE = 60_000;
let dir: string;
let connection: Connection;
let db: Db;
const logger = createLogger("silent");

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-outbox-lease-"));
  connection = openDatabase(path.join(dir, "portal.sqlite"));
  db = connection.db;
  await migrate(connection);
});
afterAll(async () => {
  await connection?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  connection.raw.prepare("DELETE FROM outbox").run();
});

const message = (to: string) => ({ channel: "email", to, template: "smtp-test", payload: { appName: "Test", sentAt: "now" } }) as const;
const row = (id: string) => connection.raw.prepare("SELECT * FROM outbox WHERE id = ?").get(id) as OutboxRow & { claimed_by: string | null; claimed_until: number | null };

describe("outbox leases", () => {
  test("a live lease keeps other workers off a row; once it runs out the next worker claims it, counting the lost try", async () => {
    const id = await enqueue(db, T0, "example.test", message("lease@example.test"));
    const [claimed] = await claimOutboxBatch(db, T0, "dead-node", 10, T0 + LEASE);
    expect(claimed).toMatchObject({ id, status: "sending", claimed_by: "dead-node", claimed_until: T0 + LEASE, attempts: 0 });
    // "dead-node" never settles (kill -9). Before its lease runs out nobody else may take the row.
    expect(await claimOutboxBatch(db, T0 + LEASE - 1, "next-node", 10, T0 + 2 * LEASE)).toEqual([]);
    const [taken] = await claimOutboxBatch(db, T0 + LEASE, "next-node", 10, T0 + 2 * LEASE);
    expect(taken).toMatchObject({ id, status: "sending", claimed_by: "next-node", claimed_until: T0 + 2 * LEASE, attempts: 1 });
    // The same Message-ID is sent again: a receiver can drop the duplicate.
    expect(taken.message_id).toBe(claimed.message_id);
  });

  test("a row left 'sending' before leases existed (no claimed_until) is claimed at once: no start-up requeue needed", async () => {
    const id = await enqueue(db, T0, "example.test", message("legacy@example.test"));
    connection.raw.prepare("UPDATE outbox SET status = 'sending', claimed_by = NULL, claimed_until = NULL WHERE id = ?").run(id);
    const rows = await claimOutboxBatch(db, T0, "worker", 10, T0 + LEASE);
    expect(rows.map((r) => r.id)).toEqual([id]);
  });

  test("after a takeover the old holder's retry or failure changes nothing; its late 'sent' is recorded and the new holder's settle is then a no-op", async () => {
    const a = await enqueue(db, T0, "example.test", message("a@example.test"));
    const b = await enqueue(db, T0, "example.test", message("b@example.test"));
    await claimOutboxBatch(db, T0, "old", 10, T0 + LEASE);
    expect((await claimOutboxBatch(db, T0 + LEASE, "new", 10, T0 + 2 * LEASE)).length).toBe(2);

    expect(await scheduleOutboxRetry(db, a, "old", 1, T0 + LEASE + 5000, "timeout")).toBe(false);
    expect(await markOutboxFailed(db, b, "old", 10, "gave up")).toBe(false);
    expect(row(a)).toMatchObject({ status: "sending", claimed_by: "new", last_error: null });
    expect(row(b)).toMatchObject({ status: "sending", claimed_by: "new" });

    // The old holder's send of `a` did reach the server after all: recorded, payload erased.
    expect(await markOutboxSent(db, a, 1, T0 + LEASE + 10)).toBe(true);
    expect(row(a)).toMatchObject({ status: "sent", payload: null, claimed_by: null, claimed_until: null });
    // The new holder's own settle of `a` finds it settled and leaves it so.
    expect(await scheduleOutboxRetry(db, a, "new", 2, T0 + LEASE + 5000, "timeout")).toBe(false);
    expect(await markOutboxSent(db, a, 2, T0 + LEASE + 20)).toBe(false);
    expect(row(a)).toMatchObject({ status: "sent", attempts: 1, sent_at: T0 + LEASE + 10 });
    // The holder settles normally.
    expect(await scheduleOutboxRetry(db, b, "new", 2, T0 + LEASE + 5000, "timeout")).toBe(true);
    expect(row(b)).toMatchObject({ status: "pending", attempts: 2, claimed_by: null, claimed_until: null, last_error: "timeout" });
  });

  test("messages that finished together are settled together: each with its own attempt count; one already settled is left as it was and not reported", async () => {
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((x) => enqueue(db, T0, "example.test", message(`together-${x}@example.test`))));
    await claimOutboxBatch(db, T0, "w", 10, T0 + LEASE);
    expect(await markOutboxSent(db, c!, 1, T0 + 5)).toBe(true);
    const settled = await markOutboxSentMany(db, [{ id: a!, attempts: 1 }, { id: b!, attempts: 3 }, { id: c!, attempts: 2 }], T0 + 10);
    expect([...settled].sort()).toEqual([a!, b!].sort());
    expect(row(a!)).toMatchObject({ status: "sent", attempts: 1, sent_at: T0 + 10, payload: null, claimed_by: null });
    expect(row(b!)).toMatchObject({ status: "sent", attempts: 3, sent_at: T0 + 10, payload: null, claimed_by: null });
    expect(row(c!)).toMatchObject({ status: "sent", attempts: 1, sent_at: T0 + 5 });
  });

  test("renewal extends only the claimer's own leases; release gives only its own unsent rows back to the queue", async () => {
    const ids = await Promise.all([1, 2, 3].map((i) => enqueue(db, T0, "example.test", message(`r${i}@example.test`))));
    await claimOutboxBatch(db, T0, "mine", 2, T0 + LEASE);
    await claimOutboxBatch(db, T0, "theirs", 2, T0 + LEASE);
    const mine = ids.filter((id) => row(id).claimed_by === "mine");
    expect(mine.length).toBe(2);
    expect(await renewOutboxClaims(db, "mine", T0 + 2 * LEASE)).toBe(2);
    expect(mine.map((id) => row(id).claimed_until)).toEqual([T0 + 2 * LEASE, T0 + 2 * LEASE]);
    expect(await releaseClaims(db, "mine", T0 + 10)).toBe(2);
    for (const id of mine) expect(row(id)).toMatchObject({ status: "pending", claimed_by: null, claimed_until: null, next_attempt_at: T0 + 10 });
    // Due at once: another worker takes them without waiting for the lease.
    expect((await claimOutboxBatch(db, T0 + 10, "other", 10, T0 + LEASE)).map((r) => r.id).sort()).toEqual([...mine].sort());
    expect(ids.filter((id) => row(id).claimed_by === "theirs").map((id) => row(id).status)).toEqual(["sending"]);
  });

  test("a worker renews its leases while a send outlasts the lease, so a second worker does not send the message again", async () => {
    const id = await enqueue(db, Date.now(), "example.test", message("slow@example.test"));
    const sent: string[] = [];
    const make = (send: Sender) =>
      new OutboxWorker({ db, clock: { now: () => Date.now() }, logger, senders: { email: send, sms: send }, pollMs: 60_000, maxAttempts: 3, backoffBaseMs: 1000, leaseMs: 1000 });
    const slow = make(async (r) => {
      await sleep(2500);
      sent.push(`slow:${r.id}`);
    });
    const other = make(async (r) => {
      sent.push(`other:${r.id}`);
    });
    const slowPass = slow.drain();
    await sleep(1600);
    // Past the first lease: without renewal the other worker would take the row.
    expect(await other.drain()).toBe(0);
    expect(await slowPass).toBe(1);
    expect(sent).toEqual([`slow:${id}`]);
    expect(row(id)).toMatchObject({ status: "sent", attempts: 1, claimed_by: null });
  });

  test("leases run on real time: the portal's clock jumping past a lease (as tests move it) does not hand a message being sent to a second pass", async () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    const id = await enqueue(db, clock.now(), "example.test", message("jump@example.test"));
    const sent: string[] = [];
    const make = (send: Sender) =>
      new OutboxWorker({ db, clock, logger, senders: { email: send, sms: send }, pollMs: 60_000, maxAttempts: 3, backoffBaseMs: 1000, leaseMs: 60_000 });
    const slow = make(async (r) => {
      await sleep(500);
      sent.push(`slow:${r.id}`);
    });
    const other = make(async (r) => {
      sent.push(`other:${r.id}`);
    });
    const slowPass = slow.drain();
    await sleep(100);
    offset += 10 * 60_000; // the portal's clock moves ten minutes on, real time does not
    expect(await other.drain()).toBe(0);
    expect(await slowPass).toBe(1);
    expect(sent).toEqual([`slow:${id}`]);
    expect(row(id)).toMatchObject({ status: "sent", attempts: 1 });
  });

  test("a worker that stops gives back the claims it still holds", async () => {
    const id = await enqueue(db, Date.now(), "example.test", message("stop@example.test"));
    const w = new OutboxWorker({ db, clock: { now: () => Date.now() }, logger, senders: { email: async () => {}, sms: async () => {} }, pollMs: 60_000, maxAttempts: 3, backoffBaseMs: 1000 });
    // As if its settle had failed: the row is still claimed by this worker after its pass.
    connection.raw.prepare("UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_until = ? WHERE id = ?").run(w.claimer, Date.now() + LEASE, id);
    await w.stop();
    expect(row(id)).toMatchObject({ status: "pending", claimed_by: null, claimed_until: null });
  });

  test("OUTBOX_LEASE_SECONDS: 60 s unless set; OUTBOX_WORKER=0 makes a web-only node", () => {
    const base = { SECRET_KEY: "unit-test-secret-key-0123456789abcdef" };
    expect(loadConfig(base).outbox).toMatchObject({ leaseMs: 60_000, worker: true });
    expect(loadConfig({ ...base, OUTBOX_LEASE_SECONDS: "5", OUTBOX_WORKER: "0" }).outbox).toMatchObject({ leaseMs: 5000, worker: false });
    expect(() => loadConfig({ ...base, OUTBOX_LEASE_SECONDS: "0" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, OUTBOX_LEASE_SECONDS: "soon" })).toThrow(/OUTBOX_LEASE_SECONDS/);
  });
});
