import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { connect, migrate, transaction, type Connection } from "~/db/db.server";
import { enqueue } from "~/delivery/outbox.server";
import { startApp } from "../helpers/app";
import { Client } from "../helpers/http";
import { testDatabaseUrl, testEngine } from "../helpers/postgres";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

/**
 * Issue 13, roles of a process and the outbox under load and faults. Worker processes are the
 * real `npm run portal -- worker` (node --import tsx app/cli/main.ts worker) against a real SMTP
 * sink; messages are counted at the sink by Message-ID.
 *
 * The first block runs on both engines (SQLite in `integration`, PostgreSQL in `integration-pg`).
 * The second is PostgreSQL only, on purpose: it is about several worker processes claiming from
 * one shared database at once, which is what FOR UPDATE SKIP LOCKED and the leases are for; a
 * SQLite deployment is one node with one writer.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SECRET_KEY = "test-secret-key-0123456789abcdef0123456789abcdef";
// Short, so a dead worker's messages leave soon; long enough that a busy 2-core machine never
// holds a living worker's renewal (every third of it) past it.
const LEASE_SECONDS = 5;

type Where = { databaseUrl: string | null; databasePath: string };
type WorkerProcess = { child: ChildProcess; claimer: string; output: () => string; exited: Promise<number | null> };

const dirs: string[] = [];
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh database on this run's engine: a SQLite file, or a new database on the test cluster. */
async function freshDatabase(): Promise<Where> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-outbox-workers-"));
  dirs.push(dir);
  const databasePath = path.join(dir, "portal.sqlite");
  return { databaseUrl: testEngine() === "postgres" ? await testDatabaseUrl() : null, databasePath };
}

/** `npm run portal -- worker`, resolved once it printed its start line. */
async function startWorker(where: Where, smtpUrl: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "app/cli/main.ts", "worker"], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: "test",
      DATABASE_PATH: where.databasePath,
      ...(where.databaseUrl ? { DATABASE_URL: where.databaseUrl } : {}),
      SECRET_KEY,
      SMTP_URL: smtpUrl,
      OUTBOX_POLL_MS: "100",
      OUTBOX_LEASE_SECONDS: String(LEASE_SECONDS),
      OUTBOX_BACKOFF_BASE_MS: "100",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = Date.now();
  for (;;) {
    const m = /outbox worker (\S+) started/.exec(output);
    if (m) return { child, claimer: m[1]!, output: () => output, exited };
    if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}: ${output}`);
    if (Date.now() - started > 60_000) throw new Error(`worker did not start: ${output}`);
    await sleep(50);
  }
}

/** SIGTERM: the worker settles what it holds, gives back its claims and exits 0. */
async function stopWorker(w: WorkerProcess): Promise<void> {
  w.child.kill("SIGTERM");
  const code = await w.exited;
  expect(code, w.output()).toBe(0);
}

async function open(where: Where): Promise<Connection> {
  const connection = connect(where);
  await migrate(connection);
  return connection;
}

/** Queues `n` test e-mails in one transaction, as the portal does; returns their Message-IDs. */
async function queue(connection: Connection, n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  await transaction(connection.db, async (trx) => {
    for (let i = 0; i < n; i++) {
      ids.push(
        await enqueue(trx, Date.now(), "example.test", {
          channel: "email",
          to: `${tag}-${i}@example.test`,
          template: "smtp-test",
          payload: { appName: "Outbox workers", sentAt: `${tag} ${i}` },
        }),
      );
    }
  });
  return ids.map((id) => `<${id}@example.test>`);
}

async function statuses(connection: Connection, messageIds: string[]): Promise<Record<string, number>> {
  const rows = await connection.db.selectFrom("outbox").select(["status", "message_id"]).execute();
  const wanted = new Set(messageIds);
  const count: Record<string, number> = {};
  for (const r of rows) if (wanted.has(r.message_id)) count[r.status] = (count[r.status] ?? 0) + 1;
  return count;
}

/** Deliveries per Message-ID over every sink given (one port may see several sinks over time). */
function deliveries(sinks: SmtpSink[], messageIds: string[]): Map<string, number> {
  const wanted = new Set(messageIds);
  const seen = new Map<string, number>();
  for (const sink of sinks) for (const m of sink.messages) if (m.messageId && wanted.has(m.messageId)) seen.set(m.messageId, (seen.get(m.messageId) ?? 0) + 1);
  return seen;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string | Promise<string>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${await what()}`);
    await sleep(100);
  }
}

describe("roles of a process (both engines)", () => {
  test("a message claimed by a worker that was killed mid-send is sent by the next worker once the lease runs out", async () => {
    const where = await freshDatabase();
    const connection = await open(where);
    const sink = await startSmtpSink(0, { parse: false });
    // An SMTP server that accepts connections and never answers: the first worker's send hangs.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    try {
      const [messageId] = await queue(connection, 1, "lease");
      const first = await startWorker(where, `smtp://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
      const claimedBy = async () => (await connection.db.selectFrom("outbox").select(["status", "claimed_by"]).executeTakeFirstOrThrow()).claimed_by;
      await until(async () => (await claimedBy()) === first.claimer, 20_000, () => first.output());
      first.child.kill("SIGKILL");
      await first.exited;
      const killedAt = performance.now();

      const next = await startWorker(where, sink.url);
      const mail = await sink.waitFor((m) => m.messageId === messageId, 20_000);
      // Not before the dead worker's lease ran out (it renewed it at most a third of a lease
      // before the kill).
      expect(mail.receivedAt - killedAt).toBeGreaterThanOrEqual((LEASE_SECONDS * 1000 * 2) / 3 - 200);
      await until(async () => (await statuses(connection, [messageId!])).sent === 1, 10_000, () => next.output());
      const row = await connection.db.selectFrom("outbox").selectAll().executeTakeFirstOrThrow();
      // The lost try counts as an attempt; the Message-ID is the one the dead worker was sending.
      expect(row).toMatchObject({ status: "sent", attempts: 2, payload: null, claimed_by: null, message_id: messageId });
      expect(deliveries([sink], [messageId!]).get(messageId!)).toBe(1);
      await stopWorker(next);
    } finally {
      await new Promise((resolve) => silent.close(resolve));
      await sink.close();
      await connection.close();
    }
  }, 90_000);

  test("OUTBOX_WORKER=0: a web-only node queues but sends nothing; `portal worker` sends it, and SIGTERM ends the worker with exit 0", async () => {
    const sink = await startSmtpSink();
    const app = await startApp({ smtpUrl: sink.url, env: { OUTBOX_WORKER: "0" } });
    try {
      const res = await new Client(app.origin).post("/forgot-password", { identifier: "alice" });
      expect(res.status).toBeLessThan(400);
      // The web node would have sent it within a poll (100 ms) or at once through the kick.
      await sleep(1500);
      expect(sink.to("alice@example.com")).toEqual([]);
      const where = { databaseUrl: app.databaseUrl, databasePath: app.dbPath };
      const worker = await startWorker(where, sink.url);
      const mail = await sink.waitFor((m) => m.to.includes("alice@example.com"), 20_000);
      expect(mail.subject).toMatch(/reset/i);
      await stopWorker(worker);
      expect(sink.to("alice@example.com")).toHaveLength(1);
    } finally {
      await app.stop();
      await sink.close();
    }
  }, 90_000);
});

describe.runIf(testEngine() === "postgres")("three worker processes on one PostgreSQL database", () => {
  const TOTAL = 2000;

  test("2,000 messages, three workers: every message delivered exactly once", async () => {
    const where = await freshDatabase();
    const connection = await open(where);
    const sink = await startSmtpSink(0, { parse: false });
    try {
      const ids = await queue(connection, TOTAL, "load");
      const started = Date.now();
      const workers = await Promise.all([0, 1, 2].map(() => startWorker(where, sink.url)));
      await until(() => deliveries([sink], ids).size === TOTAL, 120_000, () => `${deliveries([sink], ids).size} of ${TOTAL}`);
      process.stderr.write(`outbox-workers: ${TOTAL} messages through 3 workers in ${Date.now() - started} ms (including start-up)\n`);
      await until(async () => (await statuses(connection, ids)).sent === TOTAL, 20_000, () => "rows not all sent");
      await Promise.all(workers.map(stopWorker));
      const seen = deliveries([sink], ids);
      expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
      expect(seen.size).toBe(TOTAL);
      expect(await statuses(connection, ids)).toEqual({ sent: TOTAL });
      // Each on its first try: no claim was lost or taken over.
      const again = await connection.db.selectFrom("outbox").select("attempts").where("attempts", "!=", 1).execute();
      expect(again).toEqual([]);
    } finally {
      await sink.close();
      await connection.close();
    }
  }, 180_000);

  test("kill -9 of one worker in the middle: every message still delivered, duplicates no more than it had in flight", async () => {
    const where = await freshDatabase();
    const connection = await open(where);
    const sink = await startSmtpSink(0, { parse: false });
    try {
      const ids = await queue(connection, TOTAL, "kill");
      const workers = await Promise.all([0, 1, 2].map(() => startWorker(where, sink.url)));
      await until(() => deliveries([sink], ids).size >= TOTAL / 3, 120_000, () => `${deliveries([sink], ids).size} delivered`);
      const victim = workers[0]!;
      victim.child.kill("SIGKILL");
      await victim.exited;
      // What it held when it died: claimed, maybe sent, never settled.
      const held = (await connection.db.selectFrom("outbox").select("id").where("status", "=", "sending").where("claimed_by", "=", victim.claimer).execute()).length;
      await until(() => deliveries([sink], ids).size === TOTAL, 120_000, () => `${deliveries([sink], ids).size} of ${TOTAL}`);
      await until(async () => (await statuses(connection, ids)).sent === TOTAL, 30_000, async () => JSON.stringify(await statuses(connection, ids)));
      await Promise.all(workers.slice(1).map(stopWorker));
      const seen = deliveries([sink], ids);
      const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);
      process.stderr.write(`outbox-workers: the killed worker held ${held} messages; ${duplicates} delivered twice\n`);
      expect(seen.size).toBe(TOTAL);
      expect([...seen.values()].every((n) => n <= 2)).toBe(true);
      // Only what the dead worker had claimed can go out twice: at most its in-flight limit (32).
      expect(duplicates).toBeLessThanOrEqual(held);
      expect(held).toBeLessThanOrEqual(32);
    } finally {
      await sink.close();
      await connection.close();
    }
  }, 240_000);

  test("an SMTP outage of 30 s loses nothing: every message is delivered once the server is back", async () => {
    const N = 300;
    const where = await freshDatabase();
    const connection = await open(where);
    const sinks = [await startSmtpSink(0, { parse: false })];
    const port = sinks[0]!.port;
    try {
      const ids = await queue(connection, N, "outage");
      // Never given up during the outage; with 40 ms doubling, the tenth retry falls about 41 s
      // after the first failure, soon after the server is back.
      const workers = await Promise.all([0, 1, 2].map(() => startWorker(where, sinks[0]!.url, { OUTBOX_MAX_ATTEMPTS: "50", OUTBOX_BACKOFF_BASE_MS: "40" })));
      await until(() => deliveries(sinks, ids).size >= 50, 60_000, () => `${deliveries(sinks, ids).size} delivered`);
      // Down: open sessions get 451 until the server drops them, new connections are refused.
      const down = Date.now();
      sinks[0]!.failing = true;
      const closed = sinks[0]!.close();
      await sleep(30_000 - (Date.now() - down));
      await closed;
      const during = deliveries(sinks, ids).size;
      expect(during).toBeLessThan(N);
      sinks.push(await startSmtpSink(port, { parse: false }));
      await until(() => deliveries(sinks, ids).size === N, 120_000, () => `${deliveries(sinks, ids).size} of ${N}`);
      await until(async () => (await statuses(connection, ids)).sent === N, 20_000, async () => JSON.stringify(await statuses(connection, ids)));
      await Promise.all(workers.map(stopWorker));
      const seen = deliveries(sinks, ids);
      expect(seen.size).toBe(N);
      expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
      const retried = await connection.db.selectFrom("outbox").select("id").where("attempts", ">", 1).execute();
      expect(retried.length).toBeGreaterThan(0);
    } finally {
      for (const sink of sinks) await sink.close().catch(() => undefined);
      await connection.close();
    }
  }, 240_000);
});
