import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startApp, type TestApp } from "../helpers/app";
import { startRedis, type RedisServer } from "../helpers/redis";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { Client, prestagedPost } from "../helpers/http";
import { linkIn } from "../helpers/smtp-sink";
import { probes } from "../helpers/probes";
import { freshTotp } from "../helpers/totp";

/**
 * With REDIS_URL set, every rate-limit counter lives in Redis (keys `portal:<limit name>…`) so
 * several app nodes share them, and the SQLite limiter table stays unused (DESIGN.md §5).
 * Uses Debian's redis-server on a free loopback port, without persistence.
 */

const PER_IDENTIFIER = 3;

let server: RedisServer | undefined;
let redis: Redis | undefined;
let unavailable = "";
let app: TestApp | undefined;
let mail: SmtpSink | undefined;

async function startRedisClient(): Promise<void> {
  server = await startRedis();
  redis = new Redis({ host: "127.0.0.1", port: server.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  expect(await redis.ping()).toBe("PONG");
}

beforeAll(async () => {
  try {
    await startRedisClient();
  } catch (err) {
    unavailable = err instanceof Error ? err.message : String(err);
    return;
  }
  mail = await startSmtpSink();
  app = await startApp({
    smtpUrl: mail.url,
    env: { REDIS_URL: server!.url, LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: String(PER_IDENTIFIER) },
  });
});

afterAll(async () => {
  await app?.stop();
  await mail?.close();
  redis?.disconnect();
  await server?.stop();
});

describe("rate limits in Redis (REDIS_URL)", () => {
  test("counters are kept in Redis under portal:<limit>, the SQLite table stays empty, and over-limit still gives 429", async (ctx) => {
    if (unavailable) {
      ctx.skip(`redis-server could not be started, so the Redis store cannot be tested: ${unavailable}`);
      return;
    }
    const c = new Client(app!.origin);
    const identifier = `redis-probe-${Date.now()}@example.test`;
    const statuses: number[] = [];
    for (let i = 0; i <= PER_IDENTIFIER; i++) statuses.push((await c.post("/forgot-password", { identifier })).status);
    expect(statuses).toEqual([...Array(PER_IDENTIFIER).fill(303), 429]);

    const keys = await redis!.keys("portal:*");
    expect(keys.length).toBeGreaterThan(0);
    const limitsSeen = new Set(keys.map((k) => k.slice("portal:".length).split(":")[0]));
    expect(limitsSeen).toContain("recovery_per_ip");
    expect(limitsSeen).toContain("recovery_per_identifier");
    expect(limitsSeen).toContain("messages_per_destination_hour");
    // Keys are keyed hashes: what was typed never appears in Redis.
    expect(keys.some((k) => k.includes(identifier) || k.includes("redis-probe"))).toBe(false);
    const anyKey = keys.find((k) => k.startsWith("portal:recovery_per_identifier"))!;
    expect(Number(await redis!.get(anyKey))).toBeGreaterThanOrEqual(PER_IDENTIFIER);
    expect(await redis!.pttl(anyKey)).toBeGreaterThan(0);

    // Sign-in failures per address are counted there too.
    expect((await c.post("/login", { identifier: "nobody-here", password: "not a password at all" })).status).toBe(400);
    expect(await redis!.keys("portal:login_failures_per_ip*")).toHaveLength(1);

    expect(probes(() => app!).rateLimitRows()).toBe(0);
  });
});

/**
 * L7 of the security review (2026-11-27): with Redis, every limiter call is a network hop, so
 * anything that reads, awaits and then writes is a race. These bursts hold only because every
 * single-use thing is spent by one conditional UPDATE and every budget is consumed up front.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("L7 parallel requests with the Redis store", () => {
  const PASSWORD = "granite willow ferry compass";

  test("L7 MFA-04 OTP-05 TOK-09 the same authenticator code twice at once, ten wrong codes at once, 45 link guesses at once", async (ctx) => {
    if (unavailable) {
      ctx.skip(`redis-server could not be started: ${unavailable}`);
      return;
    }
    const a = app!;
    const username = `l7redis${Date.now() % 100000}`;
    expect((await a.importUsers([username])).code).toBe(0);
    // A password through the e-mail link, then the authenticator app.
    const r = new Client(a.origin);
    expect((await r.post("/forgot-password", { identifier: username })).status).toBe(303);
    const m = await mail!.waitFor((x) => x.to.includes(`${username}@example.test`));
    expect((await r.post(new URL(linkIn(m, "/reset/")).pathname, {})).status).toBe(303);
    expect((await r.post("/reset/password", { password: PASSWORD, confirm: PASSWORD })).headers.get("location")).toBe("/reset/done");
    const c = new Client(a.origin);
    expect((await c.post("/login", { identifier: username, password: PASSWORD })).headers.get("location")).toBe("/account");
    const secret = (await (await c.get("/account/totp")).text()).match(/data-testid="totp-secret"[^>]*>([A-Z2-7]+)</)![1];
    expect((await c.post("/account/totp", { code: await freshTotp(a, secret) })).status).toBe(303);

    // Two browsers past the password send the same code at the same moment: one session. Both
    // requests are inside the portal before either body arrives (prestagedPost).
    const [b1, b2] = [new Client(a.origin), new Client(a.origin)];
    for (const b of [b1, b2]) expect((await b.post("/login", { identifier: username, password: PASSWORD })).headers.get("location")).toBe("/login/verify");
    const code = await freshTotp(a, secret);
    const pair = [b1, b2].map((b) => prestagedPost(a.origin, "/login/verify", `intent=totp&value=${code}`, { Cookie: `mfa_pending=${b.cookies.get("mfa_pending")}` }));
    await Promise.all(pair.map((p) => p.sendHeaders()));
    await sleep(200);
    expect((await Promise.all(pair.map((p) => p.sendBody()))).sort()).toEqual([303, 400]);

    // Ten wrong e-mail codes at once on one flow: each costs an attempt, the code dies at five.
    const f = new Client(a.origin);
    expect((await f.post("/unlock", { identifier: username })).status).toBe(303);
    const wrong = Array.from({ length: 10 }, () => prestagedPost(a.origin, "/unlock/code", "intent=verify&code=000000", { Cookie: `recovery=${f.cookies.get("recovery")}` }));
    await Promise.all(wrong.map((p) => p.sendHeaders()));
    await sleep(200);
    await Promise.all(wrong.map((p) => p.sendBody()));
    const flow = probes(() => a).activeFlowsFor("unlock")[0];
    expect(flow.code_attempts).toBe(5);

    // 45 guesses at link tokens at once from one client: the 30-guess budget holds.
    const token = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    const guesses = Array.from({ length: 45 }, () => prestagedPost(a.origin, `/reset/${token()}`, "go=1"));
    await Promise.all(guesses.map((p) => p.sendHeaders()));
    await sleep(200);
    const statuses = await Promise.all(guesses.map((p) => p.sendBody()));
    expect(statuses.filter((x) => x === 404).length).toBeLessThanOrEqual(30);
    expect(statuses.every((x) => x === 404 || x === 429)).toBe(true);
  });
});
