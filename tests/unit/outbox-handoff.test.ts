import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { transaction, type Db, type SqliteConnection } from "~/db/db.server";
import { OutboxWorker, enqueue, enqueueFor, handOffDelayFor, type OutboxRow, type Sender } from "~/delivery/outbox.server";
import { createLogger } from "~/log.server";
import { migratedSqliteFile, type SqliteFile } from "../helpers/sqlite-file";

/**
 * A message queued by a process whose own worker is running is inserted already claimed by that
 * worker and handed to it once its transaction commits, so it goes out without a claim query
 * (docs/decisions/0034). On a real SQLite file: what the table holds at each step is what another
 * worker would see.
 */

let sqlite: SqliteFile;
let connection: SqliteConnection;
let db: Db;
/** Another process's connection: it sees only what is committed. */
let other: SqliteFile["other"];
const logger = createLogger("silent");

beforeAll(async () => {
  sqlite = await migratedSqliteFile("portal-outbox-handoff-");
  ({ connection, db, other } = sqlite);
});
afterAll(() => sqlite?.close());
beforeEach(() => {
  connection.raw.prepare("DELETE FROM outbox").run();
});

let counter = 0;
const message = (to = `handoff${++counter}@example.test`) =>
  ({
    channel: "email",
    to,
    template: "password-reset",
    payload: { appName: "Handoff", username: "u", link: "https://portal.example/reset/t", code: "123456", minutes: 30, codeMinutes: 10, supportUrl: "https://portal.example/help" },
  }) as const;

const row = (recipient: string) => other.prepare("SELECT * FROM outbox WHERE recipient = ?").get(recipient) as OutboxRow | undefined;
const statuses = () => other.prepare("SELECT status, count(*) AS n FROM outbox GROUP BY status").all() as { status: string; n: number }[];
const countOf = (status: string) => statuses().find((s) => s.status === status)?.n ?? 0;

/** A sender whose sends finish when the test says so. */
function gatedSender() {
  const started: string[] = [];
  const sent: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const send: Sender = async (r) => {
    started.push(r.recipient);
    await gate;
    sent.push(r.recipient);
  };
  return {
    send,
    started,
    sent,
    release: () => open(),
  };
}

function worker(send: Sender, options: { concurrency?: number; pollMs?: number; handOffDelayMs?: number } = {}) {
  return new OutboxWorker({
    db,
    clock: { now: () => Date.now() },
    logger,
    senders: { email: send, sms: send },
    pollMs: options.pollMs ?? 60_000,
    maxAttempts: 3,
    backoffBaseMs: 1000,
    concurrency: options.concurrency,
    handOffDelayMs: options.handOffDelayMs,
  });
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(5);
  }
}

describe("outbox hand-off", () => {
  test("a message queued in a transaction is in the table already claimed by this process's worker, and is sent once it commits, with no claim of the table", async () => {
    const sender = gatedSender();
    // pollMs of a minute: the worker reads the table only at the start of a pass. A handed-over
    // row is claimed until its lease ends, so no claim of the table could take it.
    const w = worker(sender.send);
    await w.start();
    await sleep(20); // the first pass found nothing and ended
    const m = message();
    let kicked = 0;
    await transaction(db, async (trx) => {
      await enqueueFor(w, trx, Date.now(), "example.test", m, () => kicked++);
      expect(row(m.to)).toBeUndefined(); // not yet visible to another process
    });
    const inserted = row(m.to)!;
    expect(inserted).toMatchObject({ status: "sending", claimed_by: w.claimer, attempts: 0, payload: expect.stringContaining("123456") });
    expect(inserted.claimed_until).toBeGreaterThan(Date.now() + 50_000);
    expect(inserted.next_attempt_at).toBe(inserted.claimed_until);
    expect(kicked).toBe(0);
    sender.release();
    await until(() => row(m.to)!.status === "sent");
    expect(sender.sent).toEqual([m.to]);
    expect(row(m.to)).toMatchObject({ status: "sent", attempts: 1, payload: null, claimed_by: null });
    await w.stop();
  });

  test("a message whose transaction rolls back is never handed over or sent", async () => {
    const sender = gatedSender();
    sender.release();
    const w = worker(sender.send, { pollMs: 20 });
    await w.start();
    const m = message();
    await expect(
      transaction(db, async (trx) => {
        await enqueueFor(w, trx, Date.now(), "example.test", m, () => undefined);
        throw new Error("the request failed after queueing");
      }),
    ).rejects.toThrow("the request failed");
    await sleep(100);
    expect(row(m.to)).toBeUndefined();
    expect(sender.sent).toEqual([]);
    await w.stop();
  });

  test("a worker that is not running here (a web-only node, an operator command, a stopped worker) takes no claim: the message waits in the table and the kick is called", async () => {
    const w = worker(async () => undefined);
    const before = message();
    let kicked = 0;
    await transaction(db, (trx) => enqueueFor(w, trx, Date.now(), "example.test", before, () => kicked++));
    expect(row(before.to)).toMatchObject({ status: "pending", claimed_by: null });
    expect(kicked).toBe(1);
    await w.start();
    await until(() => row(before.to)!.status === "sent");
    await w.stop();
    const after = message();
    await transaction(db, (trx) => enqueueFor(w, trx, Date.now(), "example.test", after, () => kicked++));
    expect(row(after.to)).toMatchObject({ status: "pending", claimed_by: null });
    expect(kicked).toBe(2);
  });

  test("past 256 messages handed over and waiting, new ones wait in the table, where any worker may claim them; all are sent once", async () => {
    const sender = gatedSender();
    const w = worker(sender.send, { concurrency: 1 });
    await w.start();
    const recipients: string[] = [];
    let kicked = 0;
    for (let i = 0; i < 300; i++) {
      const m = message();
      recipients.push(m.to);
      await transaction(db, (trx) => enqueueFor(w, trx, Date.now(), "example.test", m, () => (kicked++, w.kick())));
    }
    // One in flight, 256 waiting in the worker; the rest in the table, unclaimed.
    expect(countOf("sending")).toBe(257);
    expect(countOf("pending")).toBe(43);
    expect(kicked).toBe(43);
    sender.release();
    await until(() => countOf("sent") === 300, 20_000);
    expect([...sender.sent].sort()).toEqual([...recipients].sort());
    await w.stop();
  });

  test("while handed-over messages keep coming, a message due in the table (a retry, another node's) is still sent within pollMs", async () => {
    const w = worker(async () => sleep(2), { concurrency: 2, pollMs: 50 });
    await w.start();
    let stop = false;
    const flood = (async () => {
      while (!stop) {
        for (let i = 0; i < 4; i++) await transaction(db, (trx) => enqueueFor(w, trx, Date.now(), "example.test", message(), () => undefined));
        await sleep(1);
      }
    })();
    await sleep(100);
    // Queued by another process: in the table, due now, and nobody kicks this worker.
    const other = message("other-node@example.test");
    await enqueue(db, Date.now(), "example.test", other);
    const queuedAt = Date.now();
    await until(() => row(other.to)?.status === "sent", 3000);
    const waited = Date.now() - queuedAt;
    stop = true;
    await flood;
    expect(waited).toBeLessThan(1000);
    await w.stop();
    expect(countOf("sending")).toBe(0);
  });

  test("with a hand-off delay, messages handed over within it start together once it has passed, not before (L5: not on the next request)", async () => {
    const starts: number[] = [];
    const w = worker(async () => void starts.push(Date.now()), { handOffDelayMs: 80 });
    await w.start();
    await sleep(20);
    const handedAt = Date.now();
    for (const m of [message(), message(), message()]) await transaction(db, (trx) => enqueueFor(w, trx, Date.now(), "example.test", m, () => undefined));
    await sleep(40);
    expect(starts).toEqual([]);
    await until(() => starts.length === 3);
    for (const at of starts) expect(at - handedAt).toBeGreaterThanOrEqual(75);
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(40);
    await until(() => countOf("sent") === 3);
    // Stopping while messages are gathered gives them back like the others not started.
    const late = message();
    await transaction(db, (trx) => enqueueFor(w, trx, Date.now(), "example.test", late, () => undefined));
    await w.stop();
    expect(row(late.to)).toMatchObject({ status: "pending", claimed_by: null });
    await sleep(100);
    expect(starts).toHaveLength(3);
  });

  test("drainNow (the test hook) sends the messages still being gathered before it returns", async () => {
    const sent: string[] = [];
    const w = worker(async (r) => void sent.push(r.recipient), { handOffDelayMs: 60_000 });
    await w.start();
    await sleep(20);
    const m = message();
    await transaction(db, (trx) => enqueueFor(w, trx, Date.now(), "example.test", m, () => undefined));
    expect(await w.drainNow()).toBe(1);
    expect(sent).toEqual([m.to]);
    expect(row(m.to)).toMatchObject({ status: "sent" });
    await w.stop();
  });

  test("the portal's hand-off delay is three answer floors, at least 15 ms", () => {
    expect(handOffDelayFor(5)).toBe(15);
    expect(handOffDelayFor(0)).toBe(15);
    expect(handOffDelayFor(40)).toBe(120);
  });

  test("stop() gives back the messages handed over but not yet started, due at once for any worker", async () => {
    const sender = gatedSender();
    const w = worker(sender.send, { concurrency: 1 });
    await w.start();
    const recipients = [message(), message(), message()];
    for (const m of recipients) await transaction(db, (trx) => enqueueFor(w, trx, Date.now(), "example.test", m, () => undefined));
    await until(() => sender.started.length === 1);
    expect(countOf("sending")).toBe(3);
    const stopped = w.stop();
    sender.release();
    await stopped;
    // The one in flight was sent; the two waiting are back in the queue.
    expect(sender.sent).toEqual([recipients[0].to]);
    expect(countOf("sent")).toBe(1);
    expect(countOf("pending")).toBe(2);
    for (const m of recipients.slice(1)) expect(row(m.to)).toMatchObject({ status: "pending", claimed_by: null, claimed_until: null });
    // Claims are not taken after stop().
    expect(w.claimNew()).toBeNull();
  });
});
