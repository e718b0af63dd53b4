import { createRequire } from "node:module";
import type { Redis as RedisClient } from "ioredis";
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from "rate-limiter-flexible";
import { singleStatementClient, type Connection, type SingleStatementClient } from "~/db/db.server";
import { clearExpiredRateLimits, consumeInOrderParameters, consumeInOrderStatement, rateLimitUpsert } from "~/stores/rate-limits.store";
import type { Config } from "~/config.server";
import { hmacHex } from "~/security/crypto.server";

/**
 * Every rate limit in the portal, by name, on rate-limiter-flexible. Keys are HMACed with the
 * portal's key before storage so the limiter table holds no email addresses or phone numbers.
 * Limits are keyed on what was typed (normalised), never on whether an account exists, so an
 * unknown identifier is throttled at exactly the same count as a real one (REQ-05).
 *
 * The store is the portal's database (its `rate_limits` table, SQLite or PostgreSQL); with
 * REDIS_URL set, counters live in Redis. On PostgreSQL or Redis every app node shares them. On
 * SQLite the limiter works on the raw better-sqlite3 handle, so each call is a transaction of its
 * own (`connection.rawTransaction`, a unit of the group commit) and never lands inside another
 * request's transaction; for the same reason, never call a limit from inside a transaction body.
 */
export type LimitName =
  | "recovery_per_identifier"
  | "recovery_per_ip"
  | "messages_per_destination_hour"
  | "messages_per_destination_day"
  | "link_failures_per_ip"
  | "login_failures_per_ip"
  | "code_failures_per_account"
  | "sms_per_number_hour"
  | "sms_per_number_day"
  | "sms_global_hour"
  | "tickets_per_ip"
  | "tickets_per_contact"
  | "api_per_key";

export type LimitResult = { ok: true } | { ok: false; retryAfterSeconds: number };
export type Refusal = { name: LimitName; retryAfterSeconds: number };

export type Limits = {
  /** Counts one event; refuses once the budget for the window is spent. */
  consume(name: LimitName, key: string, points?: number): Promise<LimitResult>;
  /**
   * Counts one event against each limit in order and stops at the first that refuses, so a
   * refused request spends nothing on the limits after it. On SQLite all of it is one write
   * transaction (one commit instead of one per limit), on PostgreSQL one statement (one round trip
   * instead of one per limit). Returns that refusal, or null.
   */
  consumeEach(checks: readonly (readonly [LimitName, string])[]): Promise<Refusal | null>;
  /** Reads without counting: would one more event be refused? */
  check(name: LimitName, key: string): Promise<LimitResult>;
  /** Gives back points consumed up front for an attempt that turned out fine (M6). */
  refund(name: LimitName, key: string, points?: number): Promise<void>;
  reset(name: LimitName, key: string): Promise<void>;
  store: "sqlite" | "postgres" | "redis";
  /** For /readyz: Redis answers PING (throws otherwise); a database store is checked with the database. */
  ping(): Promise<void>;
  close(): Promise<void>;
};

const HOUR_MS = 3_600_000;
/** How often expired rows are cleared on PostgreSQL (as rate-limiter-flexible did). */
const CLEAR_EVERY_MS = 5 * 60_000;

/** A row's window end when a consume starts a window at `now`, as rate-limiter-flexible sets it (none without a duration). */
const windowEnd = (spec: { duration: number }, now: number): number | null => (spec.duration > 0 ? now + spec.duration * 1000 : null);
/** The library's `msBeforeNext` for a row's window end (-1 for a window without an end). */
const msBeforeNext = (expire: number | null, now: number): number => (expire ? Math.max(expire - now, 0) : -1);
/** A refusal's Retry-After: whole seconds until the window ends, at least one. */
const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** The order in which callers list a request's limits (and PostgreSQL's one statement locks their rows). */
const LOCK_ORDER: readonly LimitName[] = ["recovery_per_ip", "recovery_per_identifier", "messages_per_destination_hour", "messages_per_destination_day"];

export function createLimits(connection: Connection, config: Config): Limits {
  const l = config.limits;
  const specs: Record<LimitName, { points: number; duration: number }> = {
    recovery_per_identifier: { points: l.requestsPerIdentifierPerHour, duration: 3600 },
    recovery_per_ip: { points: l.requestsPerIpPer15Min, duration: 900 },
    messages_per_destination_hour: { points: l.messagesPerDestinationPerHour, duration: 3600 },
    messages_per_destination_day: { points: l.messagesPerDestinationPerDay, duration: 86_400 },
    link_failures_per_ip: { points: l.linkFailuresPerIpPer15Min, duration: 900 },
    login_failures_per_ip: { points: l.loginFailuresPerIpPerMinute, duration: 60 },
    code_failures_per_account: { points: config.recovery.accountCodeFailuresPerDay, duration: 86_400 },
    sms_per_number_hour: { points: config.sms.perNumberPerHour, duration: 3600 },
    sms_per_number_day: { points: config.sms.perNumberPerDay, duration: 86_400 },
    sms_global_hour: { points: config.sms.hourlyBudget, duration: 3600 },
    tickets_per_ip: { points: config.tickets.perIpPerHour, duration: 3600 },
    tickets_per_contact: { points: config.tickets.perContactPerDay, duration: 86_400 },
    // Provisioning API: every request with a valid key, keyed on the key id (issue 17).
    api_per_key: { points: config.api.perKeyPerMinute, duration: 60 },
  };
  // ioredis is loaded only when REDIS_URL asks for it (about 1 MiB of every process otherwise).
  const Redis = config.redisUrl ? (createRequire(import.meta.url)("ioredis") as { Redis: typeof RedisClient }).Redis : null;
  const redis = Redis ? new Redis(config.redisUrl!, { enableOfflineQueue: true, maxRetriesPerRequest: 2, lazyConnect: false }) : null;
  const sqliteClient = connection.engine === "sqlite" && !redis ? singleStatementClient(connection) : null;
  const limiters = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `portal:${name}`, points: spec.points, duration: spec.duration })
        : connection.engine === "postgres"
          ? // The table comes from the migrations; the library's named statements are prepared once per pooled client.
            new RateLimiterPostgres({
              storeClient: connection.pool,
              storeType: "pool",
              tableName: "rate_limits",
              tableCreated: true,
              keyPrefix: name,
              points: spec.points,
              duration: spec.duration,
              // Expired rows are cleared below, without waiting on rows a request holds.
              clearExpiredByTimeout: false,
            })
          : new RateLimiterSQLite({
            storeClient: sqliteClient,
            storeType: "better-sqlite3",
            tableName: "rate_limits",
            tableCreated: true,
            keyPrefix: name,
            points: spec.points,
            duration: spec.duration,
          }),
    ]),
  ) as unknown as Record<LimitName, RateLimiterAbstract>;

  const hashed = (key: string) => hmacHex(config.secretKey, key).slice(0, 40);
  // Redis needs no lock; the SQLite store shares the portal's one connection.
  const sqlite = !redis && connection.engine === "sqlite" ? connection : null;
  const held = <T>(fn: () => Promise<T>): Promise<T> => (sqlite ? sqlite.rawTransaction(fn) : fn());
  const refused = (res: unknown): LimitResult => {
    if (res instanceof RateLimiterRes) return { ok: false, retryAfterSeconds: retryAfterSeconds(res.msBeforeNext) };
    throw res; // a store error, not a refusal
  };

  // On SQLite a consume is rate-limiter-flexible's own upsert run directly (`sqliteConsumer`).
  const consumeSqlite = sqliteClient ? sqliteConsumer(sqliteClient) : null;
  const consumeNow = async (name: LimitName, hashedKey: string, points: number): Promise<LimitResult> => {
    if (consumeSqlite) return consumeSqlite(name, hashedKey, points, specs[name]);
    try {
      await limiters[name].consume(hashedKey, points);
      return { ok: true };
    } catch (res) {
      return refused(res);
    }
  };
  // A request's limits often share a key (a destination per hour and per day): one HMAC each.
  const hashedEach = (checks: readonly (readonly [LimitName, string])[]): string[] => {
    let lastKey: string | undefined;
    let lastHashed = "";
    return checks.map(([, key]) => (key === lastKey ? lastHashed : ((lastKey = key), (lastHashed = hashed(key)))));
  };
  const inOrder = async (checks: readonly (readonly [LimitName, string])[]): Promise<Refusal | null> => {
    const keys = hashedEach(checks);
    for (const [i, [name]] of checks.entries()) {
      const verdict = await consumeNow(name, keys[i]!, 1);
      if (!verdict.ok) return { name, retryAfterSeconds: verdict.retryAfterSeconds };
    }
    return null;
  };

  // On PostgreSQL (without Redis) a request's limits are one statement: one round trip instead of
  // one per limit (docs/decisions/0040).
  const pool = !redis && connection.engine === "postgres" ? connection.pool : null;
  const statements = new Map<number, { name: string; text: string }>();
  const inOneStatement = async (pg: NonNullable<typeof pool>, checks: readonly (readonly [LimitName, string])[]): Promise<Refusal | null> => {
    const now = Date.now();
    const keys = hashedEach(checks);
    const steps = checks.map(([name], i) => {
      const spec = specs[name];
      return { key: `${name}:${keys[i]}`, points: 1, expire: windowEnd(spec, now), budget: spec.points };
    });
    let statement = statements.get(steps.length);
    if (!statement) statements.set(steps.length, (statement = consumeInOrderStatement(steps.length)));
    const row = (await pg.query<Record<string, number | null>>({ ...statement, values: consumeInOrderParameters(now, steps) })).rows[0]!;
    for (let i = 0; i < steps.length; i++) {
      const points = row[`points_${i}`];
      if (points === null || points === undefined) throw new Error(`rate limit step ${i} did not run although none refused before it`);
      if (points <= steps[i]!.budget) continue;
      return { name: checks[i]![0], retryAfterSeconds: retryAfterSeconds(msBeforeNext(row[`expire_${i}`] ?? null, now)) };
    }
    return null;
  };
  // The library's own clean-up (each PostgreSQL limiter's, every 5 minutes) deleted every row
  // expired an hour ago, locking them in the table's order: against a request's statement, which
  // holds its rows in LOCK_ORDER, that could deadlock. This one skips the rows a request holds.
  const clearing = pool ? setInterval(() => void clearExpiredRateLimits(pool, Date.now() - HOUR_MS).catch(() => undefined), CLEAR_EVERY_MS) : null;
  clearing?.unref();

  // The statement holds its rows' locks until it ends: two requests must take shared rows in one
  // order, or they could deadlock. A list in LOCK_ORDER (each name after the one before) takes them
  // so, and never names one row twice, which one statement cannot change twice. Any other list
  // goes one limit at a time.
  const inLockOrder = (checks: readonly (readonly [LimitName, string])[]) =>
    checks.every(([name], i) => LOCK_ORDER.includes(name) && (i === 0 || LOCK_ORDER.indexOf(name) > LOCK_ORDER.indexOf(checks[i - 1]![0])));

  return {
    consume: (name, key, points = 1) => held(() => consumeNow(name, hashed(key), points)),
    consumeEach(checks) {
      if (pool && checks.length > 0 && inLockOrder(checks)) return inOneStatement(pool, checks);
      // Redis: each limit is one atomic command of its own.
      if (!sqlite) return inOrder(checks);
      // One transaction for every limit of the request; the connection is held throughout, so
      // nothing else can run inside this transaction.
      return held(() => inOrder(checks));
    },
    async check(name, key) {
      const res = await held(() => limiters[name].get(hashed(key)));
      if (res && res.consumedPoints >= specs[name].points) {
        return { ok: false, retryAfterSeconds: retryAfterSeconds(res.msBeforeNext) };
      }
      return { ok: true };
    },
    async refund(name, key, points = 1) {
      await held(() => limiters[name].reward(hashed(key), points));
    },
    async reset(name, key) {
      await held(() => limiters[name].delete(hashed(key)));
    },
    store: redis ? "redis" : connection.engine,
    async ping() {
      if (redis) await redis.ping();
    },
    async close() {
      if (clearing) clearInterval(clearing);
      await redis?.quit().catch(() => undefined);
    },
  };
}

/**
 * `consume` on the SQLite store without the library's machinery around it: the same upsert on the
 * same row (`<limit name>:<hashed key>`, `rateLimitUpsert`), the same verdict as
 * rate-limiter-flexible's (refused once the points in the window exceed the budget, retry after the
 * window's end). The library built a promise, a `RateLimiterRes` and, on a refusal, a rejection for
 * each of a reset request's four limits: about a tenth of the request's allocation and 10 µs of
 * its CPU (docs/decisions/0037). `check`, `refund` and `reset` still go through the library, on the
 * same rows; tests/unit/limits-sqlite.test.ts holds the two to the same answers.
 */
function sqliteConsumer(client: SingleStatementClient) {
  const upsert = rateLimitUpsert(client);
  return (name: LimitName, hashedKey: string, points: number, spec: { points: number; duration: number }): LimitResult => {
    const now = Date.now();
    const row = upsert(`${name}:${hashedKey}`, points, windowEnd(spec, now), now);
    if (row.points <= spec.points) return { ok: true };
    return { ok: false, retryAfterSeconds: retryAfterSeconds(msBeforeNext(row.expire, now)) };
  };
}

/**
 * A guessable lookup (a link token): one point of the client's `link_failures_per_ip` budget is
 * spent before the lookup and given back when what was looked up turned out to be real, so a
 * parallel burst of guesses is held to the budget like sequential ones (TOK-09, M6, L7).
 * Returns null when the client's budget is spent.
 */
export async function guardedLookup<T>(
  limits: Limits,
  clientKey: string,
  lookup: () => Promise<T>,
  real: (found: T) => boolean,
): Promise<{ found: T } | null> {
  if (!(await limits.consume("link_failures_per_ip", clientKey)).ok) return null;
  const found = await lookup();
  if (real(found)) await limits.refund("link_failures_per_ip", clientKey);
  return { found };
}

/** `limits.consumeEach`, for call sites that read better with the limits first. */
export function consumeEach(limits: Limits, checks: readonly (readonly [LimitName, string])[]): Promise<Refusal | null> {
  return limits.consumeEach(checks);
}
