import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sql } from "kysely";
import { migrate, openDatabase, transaction, WAL_CHECKPOINT_PAGES, type SqliteConnection as Connection, type Db } from "~/db/db.server";

/**
 * The foundation's guarantees (docs/decisions/0010), on a real SQLite file: one connection, one
 * lock, and a loud error instead of a deadlock.
 */

const ROOT_HANDLE_ERROR = /database used through the root handle inside a transaction/;

let dir: string;
let connection: Connection;
let db: Db;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-db-lock-"));
  connection = openDatabase(path.join(dir, "portal.sqlite"));
  db = connection.db;
  await migrate(connection);
  await db.insertInto("meta").values({ key: "counter", value: "0" }).execute();
});
afterAll(async () => {
  await connection?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function readCounter(handle: Db): Promise<number> {
  const row = await handle.selectFrom("meta").select("value").where("key", "=", "counter").executeTakeFirstOrThrow();
  return Number(row.value);
}

/** Fails the test instead of hanging it when a promise never settles. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`still pending after ${ms} ms (deadlock?)`)))]);
}

describe("one connection, one lock", () => {
  test("two concurrent transactions never interleave: no lost update, each runs start to end alone", async () => {
    const before = await readCounter(db);
    const trace: string[] = [];
    const increment = (name: string) =>
      transaction(db, async (trx) => {
        trace.push(`${name} begin`);
        const value = await readCounter(trx);
        // Give the other transaction every chance to run in between.
        await sleep(20);
        await trx.updateTable("meta").set({ value: String(value + 1) }).where("key", "=", "counter").execute();
        trace.push(`${name} end`);
      });
    await within(5000, Promise.all([increment("a"), increment("b"), increment("c")]));
    expect(await readCounter(db)).toBe(before + 3);
    expect(trace).toEqual(["a begin", "a end", "b begin", "b end", "c begin", "c end"]);
  });

  test("a query on the root handle waits for an open transaction and sees its work once it has finished", async () => {
    const before = await readCounter(db);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = transaction(db, async (trx) => {
      await trx.updateTable("meta").set({ value: String(before + 100) }).where("key", "=", "counter").execute();
      await gate;
    });
    let read: number | undefined;
    const outside = readCounter(db).then((v) => (read = v));
    await sleep(30);
    expect(read).toBeUndefined();
    release();
    await within(5000, Promise.all([tx, outside]));
    expect(read).toBe(before + 100);
  });

  test("a root-handle query inside a transaction throws the named error instead of hanging, and rolls back", async () => {
    const before = await readCounter(db);
    const attempt = transaction(db, async (trx) => {
      await trx.updateTable("meta").set({ value: String(before + 1) }).where("key", "=", "counter").execute();
      // The mistake: the outer handle instead of `trx`.
      await readCounter(db);
    });
    await expect(within(5000, attempt)).rejects.toThrow(ROOT_HANDLE_ERROR);
    expect(await readCounter(db)).toBe(before);
    expect(connection.raw.inTransaction).toBe(false);
  });

  test("the root handle is refused in work a transaction body starts without awaiting (timers, callbacks)", async () => {
    let late: Promise<unknown> | undefined;
    await transaction(db, async () => {
      late = new Promise((resolve, reject) => setImmediate(() => readCounter(db).then(resolve, reject)));
    });
    await expect(within(5000, late!)).rejects.toThrow(ROOT_HANDLE_ERROR);
  });

  test("a transaction inside a transaction joins it: one BEGIN, one COMMIT", async () => {
    const before = await readCounter(db);
    await within(
      5000,
      transaction(db, async (outer) => {
        await transaction(outer, async (inner) => {
          expect(inner).toBe(outer);
          await inner.updateTable("meta").set({ value: String(before + 1) }).where("key", "=", "counter").execute();
        });
        expect(await readCounter(outer)).toBe(before + 1);
      }),
    );
    expect(await readCounter(db)).toBe(before + 1);
  });
});

describe("connection.exclusive (the raw handle, e.g. the rate limiter's store)", () => {
  test("never runs inside an open transaction: it waits until the transaction has committed", async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = transaction(db, async (trx) => {
      order.push("tx begin");
      await sql`SELECT 1`.execute(trx);
      await gate;
      order.push("tx end");
    });
    await sleep(10);
    let sawTransaction: boolean | undefined;
    const job = connection.exclusive(async () => {
      sawTransaction = connection.raw.inTransaction;
      order.push("exclusive");
      return connection.raw.prepare("SELECT 1 AS one").get() as { one: number };
    });
    await sleep(30);
    expect(order).toEqual(["tx begin"]);
    release();
    const [, result] = await within(5000, Promise.all([tx, job]));
    expect(order).toEqual(["tx begin", "tx end", "exclusive"]);
    expect(sawTransaction).toBe(false);
    expect(result.one).toBe(1);
  });

  test("a transaction waits for a running exclusive job", async () => {
    const order: string[] = [];
    const job = connection.exclusive(async () => {
      order.push("exclusive begin");
      await sleep(30);
      order.push("exclusive end");
    });
    const tx = transaction(db, async (trx) => {
      order.push("tx");
      await sql`SELECT 1`.execute(trx);
    });
    await within(5000, Promise.all([job, tx]));
    expect(order).toEqual(["exclusive begin", "exclusive end", "tx"]);
  });

  test("called from inside a transaction body it throws the named error instead of hanging", async () => {
    const attempt = transaction(db, async () => {
      await connection.exclusive(async () => connection.raw.prepare("SELECT 1").get());
    });
    await expect(within(5000, attempt)).rejects.toThrow(ROOT_HANDLE_ERROR);
    expect(connection.raw.inTransaction).toBe(false);
  });
});

describe("two copies of the module, one handle", () => {
  test("a transaction opened by a second copy of db.server (as the Remix bundle loads it) still throws instead of deadlocking", async () => {
    // server.ts opens the database with its copy; routes run transactions with the bundle's copy.
    const copy = (await import(/* @vite-ignore */ `${path.resolve("app/db/db.server.ts")}?bundle-copy`)) as typeof import("~/db/db.server");
    expect(copy.transaction).not.toBe(transaction);
    await expect(within(2000, copy.transaction(db, async () => readCounter(db)))).rejects.toThrow(ROOT_HANDLE_ERROR);
    await copy.transaction(db, async (trx) => {
      expect(copy.rootOf(trx)).toBe(db);
    });
  });
});

describe("production's lock (no holder tracking)", () => {
  test("a root-handle query inside a transaction fails after the wait limit instead of wedging the connection", async () => {
    const file = path.join(dir, "production.sqlite");
    const prod = openDatabase(file, { lock: { trackHolder: false, waitLimitMs: 200 } });
    await migrate(prod);
    const started = Date.now();
    await expect(
      within(
        5000,
        transaction(prod.db, async (trx) => {
          await trx.insertInto("meta").values({ key: "never", value: "1" }).execute();
          await prod.db.selectFrom("meta").selectAll().execute();
        }),
      ),
    ).rejects.toThrow(/not granted within 200 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    // Rolled back, and the connection serves the next caller.
    expect(await prod.db.selectFrom("meta").selectAll().where("key", "=", "never").execute()).toEqual([]);
    await prod.close();
  });
});

describe("WAL settings (docs/decisions/0023)", () => {
  test("a writing connection checkpoints every 10,000 WAL pages, not SQLite's 1,000; a read-only one leaves the setting alone", () => {
    expect(WAL_CHECKPOINT_PAGES).toBe(10_000);
    expect(connection.raw.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(connection.raw.pragma("wal_autocheckpoint", { simple: true })).toBe(10_000);
    const reader = openDatabase(path.join(dir, "portal.sqlite"), { readonly: true });
    try {
      expect(reader.raw.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    } finally {
      void reader.close();
    }
  });
});
