import BetterSqlite3 from "better-sqlite3";
import { RateLimiterSQLite } from "rate-limiter-flexible";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { loadConfig } from "~/config.server";
import { createLimits, type LimitName, type LimitResult, type Limits } from "~/limits/limits.server";
import { hmacHex } from "~/security/crypto.server";
import { libraryConsume } from "../helpers/limits";
import { migratedSqliteFile, type SqliteFile } from "../helpers/sqlite-file";

/**
 * On SQLite a consume runs rate-limiter-flexible's own upsert directly (docs/decisions/0037). It
 * must count, refuse and give the retry time exactly as the library does, and the library's
 * `check`, `refund` and `reset` must find the rows it writes. The reference is the library itself,
 * on a database of its own with the same table.
 */

let sqlite: SqliteFile;
let limits: Limits;
const BUDGET = 3;
const config = loadConfig({
  SECRET_KEY: "unit-test-secret-key-0123456789abcdef",
  LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: String(BUDGET),
  LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: String(BUDGET + 2),
  LIMIT_REQUESTS_PER_IP_PER_15MIN: "100",
});
const reference = new BetterSqlite3(":memory:");
reference.exec("CREATE TABLE rate_limits (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER) WITHOUT ROWID");

const rowsOf = (db: BetterSqlite3.Database) =>
  (db.prepare("SELECT key, points, expire FROM rate_limits ORDER BY key").all() as { key: string; points: number; expire: number }[]).map((r) => ({
    name: r.key.slice(0, r.key.indexOf(":")),
    points: r.points,
    expire: r.expire,
  }));

beforeAll(async () => {
  sqlite = await migratedSqliteFile("portal-limits-sqlite-");
  limits = createLimits(sqlite.connection, config);
});
afterAll(async () => {
  await limits?.close();
  await sqlite?.close();
  reference.close();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("REQ-05, OTP-07: limits on SQLite, consumed without the library's machinery", () => {
  test("count, refuse, retry time and a new window after it ends: the same answers and rows as rate-limiter-flexible", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-29T06:00:00Z"));
    const specs: [LimitName, number, number][] = [
      ["messages_per_destination_hour", BUDGET, 3600],
      ["messages_per_destination_day", BUDGET + 2, 86_400],
    ];
    const libraries = specs.map(([name, points, duration]) => new RateLimiterSQLite({ storeClient: reference, storeType: "better-sqlite3", tableName: "rate_limits", tableCreated: true, keyPrefix: name, points, duration, clearExpiredByTimeout: false }));
    const ours: (LimitResult | null)[] = [];
    const theirs: (LimitResult | null)[] = [];
    const step = async (advanceMs: number) => {
      vi.setSystemTime(Date.now() + advanceMs);
      const refusal = await limits.consumeEach(specs.map(([name]) => [name, "dest:same@example.test"] as const));
      ours.push(refusal ? { ok: false, retryAfterSeconds: refusal.retryAfterSeconds } : { ok: true });
      // consumeEach stops at the first refusal: the reference does the same.
      let verdict: LimitResult = { ok: true };
      for (const limiter of libraries) {
        verdict = await libraryConsume(limiter, "k");
        if (!verdict.ok) break;
      }
      theirs.push(verdict);
    };
    // Within the hour: three pass, then refusals with the time left in the window.
    for (const advance of [0, 1000, 60_000, 60_000, 600_000, 1_500]) await step(advance);
    // The hour's window has ended: counting starts again; the day's goes on and refuses later.
    for (const advance of [3_600_000, 1000, 1000, 1000]) await step(advance);
    expect(ours).toEqual(theirs);
    expect(ours.slice(0, 6)).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: false, retryAfterSeconds: 3479 }, { ok: false, retryAfterSeconds: 2879 }, { ok: false, retryAfterSeconds: 2878 }]);
    expect(ours.slice(6).some((v) => !v?.ok)).toBe(true);
    // The rows hold the same counts and window ends (keys differ: ours are HMACs of the key).
    expect(rowsOf(sqlite.other)).toEqual(rowsOf(reference));
  });

  test("check, refund and reset (the library's) work on the rows a direct consume wrote", async () => {
    const key = "dest:refund@example.test";
    for (let i = 0; i < BUDGET; i++) expect(await limits.consume("messages_per_destination_hour", key)).toEqual({ ok: true });
    expect((await limits.check("messages_per_destination_hour", key)).ok).toBe(false);
    expect((await limits.consume("messages_per_destination_hour", key)).ok).toBe(false);
    await limits.refund("messages_per_destination_hour", key, 2);
    expect((await limits.check("messages_per_destination_hour", key)).ok).toBe(true);
    expect(await limits.consume("messages_per_destination_hour", key)).toEqual({ ok: true });
    expect((await limits.consume("messages_per_destination_hour", key)).ok).toBe(false);
    await limits.reset("messages_per_destination_hour", key);
    expect(await limits.consume("messages_per_destination_hour", key)).toEqual({ ok: true });
  });

  test("limits that share a key (a destination per hour and per day) each count it, under its HMAC, never the key itself", async () => {
    expect(await limits.consumeEach([["recovery_per_ip", "ip:10.1.2.3"], ["messages_per_destination_hour", "dest:shared@example.test"], ["messages_per_destination_day", "dest:shared@example.test"]])).toBeNull();
    const hashed = (key: string) => hmacHex(config.secretKey, key).slice(0, 40);
    const points = (key: string) => (sqlite.other.prepare("SELECT points FROM rate_limits WHERE key = ?").get(key) as { points: number } | undefined)?.points;
    expect(points(`recovery_per_ip:${hashed("ip:10.1.2.3")}`)).toBe(1);
    expect(points(`messages_per_destination_hour:${hashed("dest:shared@example.test")}`)).toBe(1);
    expect(points(`messages_per_destination_day:${hashed("dest:shared@example.test")}`)).toBe(1);
    expect(sqlite.other.prepare("SELECT count(*) AS n FROM rate_limits WHERE key LIKE '%@%'").get()).toEqual({ n: 0 });
  });
});
