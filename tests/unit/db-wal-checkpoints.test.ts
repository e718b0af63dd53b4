import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, test } from "vitest";
import { migrate, openDatabase, transaction, type Db, type SqliteConnection } from "~/db/db.server";
import { createThreadedEmailSender } from "~/delivery/email-thread.server";
import { WalCheckpoints } from "~/db/wal-checkpoints.server";
import { saturate } from "../helpers/event-loop";

/**
 * The WAL checkpoint loop (docs/decisions/0029), on a real SQLite file and the real e-mail thread
 * as its host: it runs while the event loop is saturated, copies the WAL into the database file on
 * a connection of its own, leaves the request thread's own checkpoint at the threshold little to
 * copy so the WAL still restarts, stops when the loop has been quiet for a while, and a loop that
 * fails changes nothing else.
 */

const dirs: string[] = [];
const open: SqliteConnection[] = [];
const senders: ReturnType<typeof createThreadedEmailSender>[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  for (const s of senders.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** An e-mail thread, as the server has one (it never sends here: nothing listens on port 9). */
function emailThread() {
  const sender = createThreadedEmailSender({ smtpUrl: "smtp://127.0.0.1:9", from: "portal@example.test" });
  senders.push(sender);
  return sender;
}

async function portalFile(options: Parameters<typeof openDatabase>[1] = {}, host = true) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-wal-checkpoints-"));
  dirs.push(dir);
  const file = path.join(dir, "portal.sqlite");
  const connection = openDatabase(file, options);
  open.push(connection);
  await migrate(connection);
  if (host) connection.checkpoints?.attach(emailThread().checkpoints);
  return { dir, file, connection, db: connection.db };
}

let counter = 0;
/** About one page of new data (a random key, so each lands in a page of its own more often than not). */
const insertPage = (handle: Db) => handle.insertInto("meta").values({ key: `wal-${++counter}-${Math.random()}`, value: "x".repeat(3000) }).execute();
const writePages = async (db: Db, pages: number) => {
  for (let i = 0; i < pages; i += 20) await transaction(db, async (trx) => { for (let j = 0; j < 20; j++) await insertPage(trx); });
};
/** Two rows: one that makes the loop look saturated, then one in the batch that follows in the same turn. */
const batchOnSaturatedLoop = async (db: Db) => {
  await saturate(db, (trx) => insertPage(trx));
  await transaction(db, (trx) => insertPage(trx));
};
const until = async (what: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !what(); ) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(10);
  }
};
/** The WAL header's salt: SQLite draws a new one each time it restarts the WAL from its start. */
const walSalt = (file: string) => fs.readFileSync(`${file}-wal`).readUInt32BE(16);
/**
 * Rows found in the database file alone, without its WAL: what checkpoints have copied there. 0
 * until the migrations' tables are there too, or while a copy taken mid-checkpoint does not read.
 */
function rowsInFileAlone(dir: string, file: string): number {
  const copy = path.join(dir, "copy.sqlite");
  fs.copyFileSync(file, copy);
  const raw = new BetterSqlite3(copy, { readonly: true });
  try {
    return (raw.prepare("SELECT count(*) AS n FROM meta WHERE key LIKE 'wal-%'").get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    raw.close();
    fs.rmSync(copy);
  }
}

describe("WAL checkpoint loop", () => {
  test("only a connection that asks for it has the loop, and it runs only on a saturated loop with a host to run on", async () => {
    const plain = await portalFile();
    expect(plain.connection.checkpoints).toBeNull();
    const hostless = await portalFile({ checkpoints: { startBytes: 0 } }, false);
    await batchOnSaturatedLoop(hostless.db);
    expect(hostless.connection.checkpoints!.running).toBe(false);
    const server = await portalFile({ checkpoints: { startBytes: 0 } });
    expect(server.connection.checkpoints).toBeInstanceOf(WalCheckpoints);
    // A quiet loop: each transaction commits alone, no batch, no loop.
    for (let i = 0; i < 3; i++) {
      await sleep(30);
      await transaction(server.db, (trx) => insertPage(trx));
    }
    expect(server.connection.checkpoints!.running).toBe(false);
    await batchOnSaturatedLoop(server.db);
    expect(server.connection.checkpoints!.running).toBe(true);
  });

  test("it waits for the WAL to reach startBytes: a short burst does not start the e-mail thread", async () => {
    const { file, connection, db } = await portalFile({ checkpoints: { startBytes: 2 * 1024 * 1024 } });
    await batchOnSaturatedLoop(db);
    expect(fs.statSync(`${file}-wal`).size).toBeLessThan(2 * 1024 * 1024);
    expect(connection.checkpoints!.running).toBe(false);
    await writePages(db, 600);
    await sleep(150);
    await batchOnSaturatedLoop(db);
    expect(connection.checkpoints!.running).toBe(true);
  });

  test("on a saturated loop it starts and copies the WAL into the database file, while the request thread checkpoints nothing", async () => {
    const { dir, file, connection, db } = await portalFile({ checkpoints: { startBytes: 0, restMs: 5, idleMs: 60_000 } });
    // The request thread's own checkpoint is off here, so whatever reaches the file came from the thread.
    connection.raw.pragma("wal_autocheckpoint = 0");
    await batchOnSaturatedLoop(db);
    expect(connection.checkpoints!.running).toBe(true);
    for (const total of [400, 800]) {
      await writePages(db, 400);
      await until(() => rowsInFileAlone(dir, file) >= total);
    }
    expect(connection.checkpoints!.stats().passes).toBeGreaterThan(1);
  });

  test("with the loop running, the request thread's checkpoint at the threshold still restarts the WAL, which stays bounded", async () => {
    const { file, connection, db } = await portalFile({ checkpoints: { startBytes: 0, restMs: 5, nearMs: 1, nearFrames: 150, idleMs: 60_000 } });
    connection.raw.pragma("wal_autocheckpoint = 300");
    await batchOnSaturatedLoop(db);
    const salt = walSalt(file);
    const restarts = new Set([salt]);
    for (let round = 0; round < 12; round++) {
      await writePages(db, 100);
      restarts.add(walSalt(file));
      await sleep(5);
    }
    expect(restarts.size).toBeGreaterThan(2);
    // 1,200 pages written; the WAL never held many more than the threshold's 300 (4 KiB each, plus headers).
    expect(fs.statSync(`${file}-wal`).size).toBeLessThan(600 * 4120);
    expect(connection.raw.pragma("integrity_check", { simple: true })).toBe("ok");
  });

  test("it stops once the event loop has not been saturated for idleMs, and starts again with the next batch", async () => {
    const { connection, db } = await portalFile({ checkpoints: { startBytes: 0, idleMs: 100 } });
    await batchOnSaturatedLoop(db);
    expect(connection.checkpoints!.running).toBe(true);
    await until(() => !connection.checkpoints!.running, 2000);
    await batchOnSaturatedLoop(db);
    expect(connection.checkpoints!.running).toBe(true);
  });

  test("closing the connection stops the loop, which closes its own connection; the file is whole afterwards", async () => {
    const { file, connection, db } = await portalFile({ checkpoints: { startBytes: 0, restMs: 1, idleMs: 60_000 } });
    await batchOnSaturatedLoop(db);
    await writePages(db, 200);
    const passes = connection.checkpoints!.stats().passes;
    await connection.close();
    open.splice(open.indexOf(connection), 1);
    expect(connection.checkpoints!.running).toBe(false);
    await sleep(50);
    expect(connection.checkpoints!.stats().passes).toBeLessThanOrEqual(passes + 1);
    const raw = new BetterSqlite3(file, { readonly: true });
    expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
    expect((raw.prepare("SELECT count(*) AS n FROM meta WHERE key LIKE 'wal-%'").get() as { n: number }).n).toBe(202);
    raw.close();
  });

  test("when the e-mail thread stops, the loop is not running and the next batch starts both again", async () => {
    const { connection, db } = await portalFile({ checkpoints: { startBytes: 0, idleMs: 60_000 } }, false);
    const first = emailThread();
    connection.checkpoints!.attach(first.checkpoints);
    await batchOnSaturatedLoop(db);
    await until(() => connection.checkpoints!.stats().passes > 0);
    await first.close();
    expect(connection.checkpoints!.running).toBe(false);
    connection.checkpoints!.attach(emailThread().checkpoints);
    await batchOnSaturatedLoop(db);
    expect(connection.checkpoints!.running).toBe(true);
    await until(() => connection.checkpoints!.stats().passes > 0);
  });

  test("a loop that fails is reported once and not started again before retryMs; the portal goes on without it", async () => {
    const errors: Error[] = [];
    const missing = path.join(os.tmpdir(), `portal-wal-missing-${process.pid}`, "portal.sqlite");
    const checkpoints = new WalCheckpoints(missing, { startBytes: 0, onError: (error) => errors.push(error), retryMs: 60_000 });
    checkpoints.attach(emailThread().checkpoints);
    checkpoints.saturated();
    expect(checkpoints.running).toBe(true);
    await until(() => errors.length === 1 && !checkpoints.running);
    expect(errors[0].message).toMatch(/unable to open|directory does not exist|no such file/i);
    checkpoints.saturated();
    expect(checkpoints.running).toBe(false);
    checkpoints.close();
  });
});
