import { RateLimiterPostgres } from "rate-limiter-flexible";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { loadConfig } from "~/config.server";
import { migrate, openPostgres, type PostgresConnection } from "~/db/db.server";
import { createLimits, type LimitName, type LimitResult, type Limits } from "~/limits/limits.server";
import { hmacHex } from "~/security/crypto.server";
import { clearExpiredRateLimits } from "~/stores/rate-limits.store";
import { libraryConsume } from "../helpers/limits";
import { testDatabaseUrl, testEngine } from "../helpers/postgres";

/**
 * On PostgreSQL a request's limits are counted in one statement (docs/decisions/0040). It must
 * count, refuse, stop at the first refusal and give the retry time exactly as
 * rate-limiter-flexible's `RateLimiterPostgres` consumes one by one did, hold under concurrent
 * requests, and be one round trip. The reference is the library itself, on a database of its own
 * with the same table. PostgreSQL only (the integration-pg project); SQLite has
 * tests/unit/limits-sqlite.test.ts.
 */

const postgres = testEngine() === "postgres";
const BUDGET = 3;
const config = loadConfig({
  SECRET_KEY: "integration-test-secret-key-0123456789abcdef",
  LIMIT_REQUESTS_PER_IP_PER_15MIN: "4",
  LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: "100",
  LIMIT_MESSAGES_PER_DESTINATION_PER_HOUR: String(BUDGET),
  LIMIT_MESSAGES_PER_DESTINATION_PER_DAY: String(BUDGET + 2),
});
const hashed = (key: string) => hmacHex(config.secretKey, key).slice(0, 40);

let ours: PostgresConnection;
let reference: PostgresConnection;
let limits: Limits;

beforeAll(async () => {
  if (!postgres) return;
  ours = openPostgres(await testDatabaseUrl());
  reference = openPostgres(await testDatabaseUrl());
  await migrate(ours);
  await migrate(reference);
  limits = createLimits(ours, config);
});
afterAll(async () => {
  await limits?.close();
  await ours?.close();
  await reference?.close();
});
afterEach(async () => {
  vi.useRealTimers();
  if (postgres) for (const c of [ours, reference]) await c.pool.query("DELETE FROM rate_limits");
});

const rowsOf = async (c: PostgresConnection) =>
  (await c.pool.query<{ key: string; points: number; expire: number }>("SELECT key, points, expire FROM rate_limits ORDER BY key")).rows.map((r) => ({
    name: r.key.slice(0, r.key.indexOf(":")),
    points: Number(r.points),
    expire: Number(r.expire),
  }));

const pointsOf = async (name: LimitName, key: string) =>
  (await ours.pool.query<{ points: number }>("SELECT points FROM rate_limits WHERE key = $1", [`${name}:${hashed(key)}`])).rows[0]?.points;

describe.skipIf(!postgres)("REQ-05, OTP-07: a request's limits on PostgreSQL, in one statement", () => {
  test("count, refuse, stop at the first refusal, retry time and new windows: the same answers and rows as rate-limiter-flexible", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-29T06:00:00Z"));
    const specs: [LimitName, number, number, string][] = [
      ["recovery_per_ip", 4, 900, "ip:10.9.8.7"],
      ["messages_per_destination_hour", BUDGET, 3600, "dest:same@example.test"],
      ["messages_per_destination_day", BUDGET + 2, 86_400, "dest:same@example.test"],
    ];
    const libraries = specs.map(
      ([name, points, duration]) =>
        new RateLimiterPostgres({ storeClient: reference.pool, storeType: "pool", tableName: "rate_limits", tableCreated: true, keyPrefix: name, points, duration, clearExpiredByTimeout: false }),
    );
    const answers: { ours: LimitResult; theirs: LimitResult }[] = [];
    const step = async (advanceMs: number) => {
      vi.setSystemTime(Date.now() + advanceMs);
      const refusal = await limits.consumeEach(specs.map(([name, , , key]) => [name, key] as const));
      // consumeEach stops at the first refusal: the reference does the same.
      let theirs: LimitResult = { ok: true };
      for (const [i, limiter] of libraries.entries()) {
        theirs = await libraryConsume(limiter, hashed(specs[i]![3]));
        if (!theirs.ok) break;
      }
      answers.push({ ours: refusal ? { ok: false, retryAfterSeconds: refusal.retryAfterSeconds } : { ok: true }, theirs });
    };
    // Three pass; the fourth is refused by the destination's hour; the fifth by the client's 15 minutes.
    for (const advance of [0, 1000, 60_000, 60_000, 1_000, 1_500]) await step(advance);
    // The client's window has ended: the destination's hour refuses again, with less time left.
    await step(900_000);
    // The hour's window has ended: counting starts again; the day's goes on and refuses later.
    for (const advance of [3_600_000, 1000, 1000, 1000]) await step(advance);
    expect(answers.map((a) => a.ours)).toEqual(answers.map((a) => a.theirs));
    expect(answers.slice(0, 7).map((a) => a.ours)).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
      { ok: false, retryAfterSeconds: 3479 },
      { ok: false, retryAfterSeconds: 778 },
      { ok: false, retryAfterSeconds: 777 },
      { ok: false, retryAfterSeconds: 2577 },
    ]);
    expect(answers.slice(7).some((a) => !a.ours.ok)).toBe(true);
    // The same counts and window ends, row by row (the keys are HMACs of the key on both sides).
    expect(await rowsOf(ours)).toEqual(await rowsOf(reference));
  });

  test("a refusal spends nothing on the limits after it", async () => {
    const checks = [
      ["recovery_per_ip", "ip:10.1.1.1"],
      ["messages_per_destination_hour", "dest:after@example.test"],
    ] as const;
    for (let i = 0; i < BUDGET; i++) expect(await limits.consumeEach(checks)).toBeNull();
    expect(await limits.consumeEach(checks)).toMatchObject({ name: "messages_per_destination_hour" });
    // The client's budget (4) is spent now: its refusals leave the destination's count alone.
    expect(await limits.consumeEach(checks)).toMatchObject({ name: "recovery_per_ip" });
    expect(await limits.consumeEach(checks)).toMatchObject({ name: "recovery_per_ip" });
    expect(await pointsOf("recovery_per_ip", "ip:10.1.1.1")).toBe(6);
    expect(await pointsOf("messages_per_destination_hour", "dest:after@example.test")).toBe(BUDGET + 1);
  });

  test("concurrent requests on the same rows: every one counted once, exactly the budget passes, no deadlock", async () => {
    const checks = (i: number) =>
      [
        ["recovery_per_identifier", "id:shared"],
        ["messages_per_destination_hour", `dest:shared-${i % 2}@example.test`],
        ["messages_per_destination_day", `dest:shared-${i % 2}@example.test`],
      ] as const;
    const verdicts = await Promise.all(Array.from({ length: 30 }, (_, i) => limits.consumeEach(checks(i))));
    expect(verdicts.filter((v) => v === null)).toHaveLength(2 * BUDGET);
    expect(new Set(verdicts.filter((v) => v !== null).map((v) => v!.name))).toEqual(new Set(["messages_per_destination_hour"]));
    expect(await pointsOf("recovery_per_identifier", "id:shared")).toBe(30);
    expect(await pointsOf("messages_per_destination_hour", "dest:shared-0@example.test")).toBe(15);
    expect(await pointsOf("messages_per_destination_day", "dest:shared-0@example.test")).toBe(BUDGET);
  });

  test("one round trip for all of a request's limits; a limit listed twice, or limits out of their order, go one by one", async () => {
    const query = vi.spyOn(ours.pool, "query");
    try {
      expect(
        await limits.consumeEach([
          ["recovery_per_ip", "ip:10.2.2.2"],
          ["recovery_per_identifier", "id:one-trip"],
          ["messages_per_destination_hour", "dest:one-trip@example.test"],
          ["messages_per_destination_day", "dest:one-trip@example.test"],
        ]),
      ).toBeNull();
      expect(query).toHaveBeenCalledTimes(1);
      query.mockClear();
      // The same row twice cannot be one statement: each is counted on its own, in order.
      expect(await limits.consumeEach([["recovery_per_identifier", "id:twice"], ["recovery_per_identifier", "id:twice"]])).toBeNull();
      expect(query).toHaveBeenCalledTimes(2);
      query.mockClear();
      // Out of the order every caller uses, one statement could deadlock with another: one by one.
      expect(await limits.consumeEach([["messages_per_destination_day", "dest:reversed@example.test"], ["messages_per_destination_hour", "dest:reversed@example.test"]])).toBeNull();
      expect(query).toHaveBeenCalledTimes(2);
      query.mockClear();
      // A subset in order is one statement.
      expect(await limits.consumeEach([["recovery_per_ip", "ip:10.2.2.3"], ["messages_per_destination_day", "dest:subset@example.test"]])).toBeNull();
      expect(query).toHaveBeenCalledTimes(1);
    } finally {
      query.mockRestore();
    }
    expect(await pointsOf("recovery_per_identifier", "id:twice")).toBe(2);
  });

  test("expired rows are cleared an hour after their window, without waiting on a row a request holds", async () => {
    const hour = 3_600_000;
    const now = Date.now();
    await ours.pool.query("INSERT INTO rate_limits (key, points, expire) VALUES ('t:old-held', 1, $1), ('t:old-free', 1, $1), ('t:recent', 1, $2), ('t:current', 1, $3)", [
      now - 2 * hour,
      now - hour / 2,
      now + hour,
    ]);
    // A request's statement holding one of the rows, as consumeEach's does until it ends.
    const holder = await ours.pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM rate_limits WHERE key = 't:old-held' FOR UPDATE");
      const waited = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the clean-up waited on a held row")), 10_000).unref());
      expect(await Promise.race([clearExpiredRateLimits(ours.pool, now - hour), waited])).toBe(1);
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
    const keys = (await ours.pool.query<{ key: string }>("SELECT key FROM rate_limits ORDER BY key")).rows.map((r) => r.key);
    expect(keys).toEqual(["t:current", "t:old-held", "t:recent"]);
    // The next run takes the row once it is free.
    expect(await clearExpiredRateLimits(ours.pool, now - hour)).toBe(1);
  });
});
