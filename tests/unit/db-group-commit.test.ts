import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { afterCommit, canRunAfterCommit, openDatabase, transaction, type SqliteConnection, type Db } from "~/db/db.server";
import { saturate as saturateLoop } from "../helpers/event-loop";
import { migratedSqliteFile, type SqliteFile } from "../helpers/sqlite-file";

/**
 * Group commit (docs/decisions/0027), on a real SQLite file: on a busy event loop the transactions
 * of one turn share one COMMIT, on a quiet one a transaction commits as it ends; each still
 * resolves only once its work is durable, and a failure undoes exactly what it must. A second
 * connection stands for another process (the CLI): it sees only what is committed.
 *
 * Units wait for the turn's batch only when the loop is nearly saturated and has not waited for I/O
 * since the last unit ended; `saturate()` makes it so.
 */

let sqlite: SqliteFile;
let file: string;
let connection: SqliteConnection;
let db: Db;
let other: BetterSqlite3.Database;

beforeAll(async () => {
  sqlite = await migratedSqliteFile("portal-group-commit-");
  ({ file, connection, db, other } = sqlite);
});
afterAll(() => sqlite?.close());

let counter = 0;
const newKey = () => `gc-${++counter}`;
const insert = (handle: Db, key: string) => handle.insertInto("meta").values({ key, value: "1" }).execute();
/** What another process sees. */
const committed = (key: string) => other.prepare("SELECT count(*) AS n FROM meta WHERE key = ?").get(key) as { n: number };
const seenByOther = (key: string) => committed(key).n === 1;

/** The event loop looks saturated to `handle`'s connection (tests/helpers/event-loop.ts). */
const saturate = (handle: Db = db) => saturateLoop(handle, (trx) => insert(trx, newKey()));

/** Commit records in the WAL so far (frames whose header carries the database size). */
function commitsInWal(): number {
  const wal = fs.readFileSync(`${file}-wal`);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  const frame = 24 + wal.readUInt32BE(8);
  let commits = 0;
  for (let at = 32; at + frame <= wal.length; at += frame) {
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}

describe("group commit", () => {
  test("a transaction on a quiet event loop commits as it ends, without waiting for the turn to end", async () => {
    await sleep(30);
    const key = newKey();
    let turnEnded = false;
    setImmediate(() => (turnEnded = true));
    const before = commitsInWal();
    await transaction(db, (trx) => insert(trx, key));
    expect(turnEnded).toBe(false);
    expect(seenByOther(key)).toBe(true);
    expect(commitsInWal() - before).toBe(1);
  });

  test("on a saturated event loop the transactions of one turn share one COMMIT, and each resolves only once another process can see it", async () => {
    const keys = [newKey(), newKey(), newKey()];
    await saturate();
    const before = commitsInWal();
    const visibleOnResolve: boolean[] = [];
    await Promise.all(
      keys.map((key) =>
        transaction(db, async (trx) => {
          await insert(trx, key);
        }).then(() => visibleOnResolve.push(seenByOther(key))),
      ),
    );
    expect(visibleOnResolve).toEqual([true, true, true]);
    expect(commitsInWal() - before).toBe(1);
    expect(connection.raw.inTransaction).toBe(false);
  });

  test("transactions of different turns commit separately", async () => {
    const before = commitsInWal();
    await transaction(db, (trx) => insert(trx, newKey()));
    await sleep(5);
    await transaction(db, (trx) => insert(trx, newKey()));
    expect(commitsInWal() - before).toBe(2);
  });

  test("a transaction that fails is undone alone: the others of its turn commit", async () => {
    const [first, failing, last] = [newKey(), newKey(), newKey()];
    await saturate();
    const results = await Promise.allSettled([
      transaction(db, (trx) => insert(trx, first)),
      transaction(db, async (trx) => {
        await insert(trx, failing);
        throw new Error("changed its mind");
      }),
      transaction(db, (trx) => insert(trx, last)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe("changed its mind");
    expect([seenByOther(first), seenByOther(failing), seenByOther(last)]).toEqual([true, false, true]);
  });

  test.each([
    ["quiet", async () => sleep(30)],
    ["saturated", () => saturate()],
  ])("on a %s event loop, a transaction that fails alone leaves the connection out of any transaction at once", async (_, loop) => {
    const key = newKey();
    await loop();
    await expect(
      transaction(db, async (trx) => {
        await insert(trx, key);
        throw new Error("nothing to keep");
      }),
    ).rejects.toThrow("nothing to keep");
    expect(connection.raw.inTransaction).toBe(false);
    expect(seenByOther(key)).toBe(false);
  });

  test("a failed COMMIT fails every transaction of its batch, and keeps none of their writes", async () => {
    // A deferred foreign key is checked only at COMMIT: the stand-in for a COMMIT that fails (a full disk).
    connection.raw.exec(`CREATE TABLE IF NOT EXISTS gc_parent (id TEXT PRIMARY KEY);
      CREATE TABLE IF NOT EXISTS gc_child (id TEXT PRIMARY KEY, parent TEXT REFERENCES gc_parent (id) DEFERRABLE INITIALLY DEFERRED)`);
    const innocent = newKey();
    await saturate();
    const results = await Promise.allSettled([
      transaction(db, (trx) => insert(trx, innocent)),
      connection.rawTransaction(async () => {
        connection.raw.prepare("INSERT INTO gc_child (id, parent) VALUES ('orphan', 'missing')").run();
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    for (const r of results) expect(String((r as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY constraint failed/);
    expect(seenByOther(innocent)).toBe(false);
    expect((other.prepare("SELECT count(*) AS n FROM gc_child").get() as { n: number }).n).toBe(0);
    expect(connection.raw.inTransaction).toBe(false);
    // The connection carries on.
    const after = newKey();
    await transaction(db, (trx) => insert(trx, after));
    expect(seenByOther(after)).toBe(true);
  });

  test.each([
    ["quiet", async () => sleep(30)],
    ["saturated", async () => saturate()],
  ])("afterCommit on a %s event loop: runs once the transaction is visible to another process, never for one rolled back", async (_, loop) => {
    const [kept, undone] = [newKey(), newKey()];
    await loop();
    const seenWhenRun: Record<string, boolean> = {};
    const results = await Promise.allSettled([
      transaction(db, async (trx) => {
        await insert(trx, kept);
        expect(canRunAfterCommit(trx)).toBe(true);
        afterCommit(trx, () => (seenWhenRun[kept] = seenByOther(kept)));
        // Nothing runs before the commit, even after the transaction's body ends.
        expect(seenWhenRun).toEqual({});
      }),
      transaction(db, async (trx) => {
        await insert(trx, undone);
        afterCommit(trx, () => (seenWhenRun[undone] = seenByOther(undone)));
        throw new Error("rolled back");
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    expect(seenWhenRun).toEqual({ [kept]: true });
  });

  test("afterCommit on the root handle runs at once (its writes commit as they return); a transaction that transaction() did not open cannot take it", async () => {
    let ran = false;
    expect(canRunAfterCommit(db)).toBe(true);
    afterCommit(db, () => (ran = true));
    expect(ran).toBe(true);
    await db.transaction().execute(async (trx) => {
      expect(canRunAfterCommit(trx)).toBe(false);
      expect(() => afterCommit(trx, () => undefined)).toThrow(/transaction\(\) did not open/);
    });
  });

  test("a write outside any transaction commits the batch it joins before it returns", async () => {
    const [inBatch, alone] = [newKey(), newKey()];
    await saturate();
    const before = commitsInWal();
    const pending = transaction(db, (trx) => insert(trx, inBatch));
    await insert(db, alone);
    expect([seenByOther(inBatch), seenByOther(alone)]).toEqual([true, true]);
    await pending;
    expect(commitsInWal() - before).toBe(1);
  });

  test("a read outside any transaction sees the transactions of its turn that have finished", async () => {
    const key = newKey();
    const pending = transaction(db, (trx) => insert(trx, key));
    const row = await db.selectFrom("meta").select("value").where("key", "=", key).executeTakeFirst();
    expect(row?.value).toBe("1");
    await pending;
  });

  test("a job on the raw handle (connection.exclusive) starts after the batch has committed, outside any transaction", async () => {
    const key = newKey();
    await saturate();
    const pending = transaction(db, (trx) => insert(trx, key));
    const inside = await connection.exclusive(async () => ({ inTransaction: connection.raw.inTransaction, visible: seenByOther(key) }));
    expect(inside).toEqual({ inTransaction: false, visible: true });
    await pending;
  });

  test("the limiter's raw transactions join the batch like any other", async () => {
    const [viaKysely, viaRaw] = [newKey(), newKey()];
    await saturate();
    const before = commitsInWal();
    await Promise.all([
      transaction(db, (trx) => insert(trx, viaKysely)),
      connection.rawTransaction(async () => {
        connection.raw.prepare("INSERT INTO meta (key, value) VALUES (?, '1')").run(viaRaw);
      }),
    ]);
    expect([seenByOther(viaKysely), seenByOther(viaRaw)]).toEqual([true, true]);
    expect(commitsInWal() - before).toBe(1);
  });

  test("closing the connection commits the batch still open", async () => {
    // As in production: no tracking of which call chain holds the lock (the close below is asked from inside a body).
    const own = openDatabase(file, { lock: { trackHolder: false, waitLimitMs: 10_000 } });
    const key = newKey();
    let closing: Promise<void> | undefined;
    await saturate(own.db);
    await transaction(own.db, async (trx) => {
      await insert(trx, key);
      // Asked while the transaction is open: the close waits for it, then commits its batch.
      closing = own.close();
    });
    await closing;
    expect(seenByOther(key)).toBe(true);
  });

  test("a command's connection waits longer for another process's write lock (busyTimeoutMs)", async () => {
    const own = openDatabase(file, { busyTimeoutMs: 30_000 });
    expect(own.raw.pragma("busy_timeout", { simple: true })).toBe(30_000);
    expect(connection.raw.pragma("busy_timeout", { simple: true })).toBe(5000);
    await own.close();
  });
});
