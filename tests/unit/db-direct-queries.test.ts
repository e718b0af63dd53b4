import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { compiledOnce, insertRow } from "~/db/compiled.server";
import { transaction, type Db } from "~/db/db.server";
import { migratedSqliteFile, type SqliteFile } from "../helpers/sqlite-file";

/**
 * Compiled queries on SQLite go straight to the connection, without Kysely's executor
 * (docs/decisions/0030), and keep the semantics they had through it: the same lock, a write on the
 * root handle committed when it returns, a write in a transaction part of it, the same error for a
 * root-handle query inside a transaction. A second connection stands for another process.
 */

let sqlite: SqliteFile;
let db: Db;

beforeAll(async () => {
  sqlite = await migratedSqliteFile("portal-direct-");
  db = sqlite.db;
});
afterAll(() => sqlite?.close());

let counter = 0;
const newKey = () => `direct-${++counter}`;
const valueOf = compiledOnce((handle, key) => handle.selectFrom("meta").select("value").where("key", "=", key as string));
const seenByOther = (key: string) => (sqlite.other.prepare("SELECT count(*) AS n FROM meta WHERE key = ?").get(key) as { n: number }).n === 1;

describe("compiled queries on SQLite", () => {
  test("skip Kysely's executor on the root handle and in a transaction, with the same results", async () => {
    const key = newKey();
    const rootSpy = vi.spyOn(db, "executeQuery");
    try {
      await insertRow(db, "meta", { key, value: "root" });
      expect(await valueOf(db, key)).toEqual([{ value: "root" }]);
      await transaction(db, async (trx) => {
        const trxSpy = vi.spyOn(trx, "executeQuery");
        await insertRow(trx, "meta", { key: `${key}-trx`, value: "in a transaction" });
        expect(await valueOf(trx, `${key}-trx`)).toEqual([{ value: "in a transaction" }]);
        expect(trxSpy).not.toHaveBeenCalled();
      });
      expect(rootSpy).not.toHaveBeenCalled();
    } finally {
      rootSpy.mockRestore();
    }
  });

  test("a write on the root handle is committed when it returns", async () => {
    const key = newKey();
    await insertRow(db, "meta", { key, value: "1" });
    expect(seenByOther(key)).toBe(true);
  });

  test("a write in a transaction is part of it: committed with it, undone when it fails", async () => {
    const kept = newKey();
    const undone = newKey();
    await transaction(db, (trx) => insertRow(trx, "meta", { key: kept, value: "1" }));
    await expect(
      transaction(db, async (trx) => {
        await insertRow(trx, "meta", { key: undone, value: "1" });
        expect(await valueOf(trx, undone)).toHaveLength(1);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect(seenByOther(kept)).toBe(true);
    expect(seenByOther(undone)).toBe(false);
    expect(await valueOf(db, undone)).toEqual([]);
  });

  test("the root handle inside a transaction still fails at once instead of waiting for its own lock", async () => {
    await expect(transaction(db, () => insertRow(db, "meta", { key: newKey(), value: "1" }))).rejects.toThrow(/root handle inside a transaction/);
  });

  test("a failing statement rejects, in a transaction and on the root handle", async () => {
    const key = newKey();
    await insertRow(db, "meta", { key, value: "1" });
    await expect(insertRow(db, "meta", { key, value: "again" })).rejects.toThrow(/UNIQUE/);
    await expect(transaction(db, (trx) => insertRow(trx, "meta", { key, value: "again" }))).rejects.toThrow(/UNIQUE/);
    expect(await valueOf(db, key)).toEqual([{ value: "1" }]);
  });

  test("a transaction handle opened without transaction() goes through Kysely", async () => {
    const key = newKey();
    await db.transaction().execute(async (trx) => {
      const spy = vi.spyOn(trx, "executeQuery");
      await insertRow(trx, "meta", { key, value: "1" });
      expect(spy).toHaveBeenCalledTimes(1);
    });
    expect(seenByOther(key)).toBe(true);
  });
});
