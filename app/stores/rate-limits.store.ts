import type { PostgresConnection, SingleStatementClient } from "~/db/db.server";

/**
 * rate_limits: rate-limiter-flexible's table (0001), one row per limit and key, written by the
 * library and, for a consume on SQLite, by `rateLimitUpsert` (app/limits/limits.server.ts).
 */

/** rate-limiter-flexible's (11.4) `RateLimiterSQLite` upsert for a consume, as the library writes it. */
const UPSERT = `INSERT INTO rate_limits (key, points, expire)
         VALUES (?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET
           points = CASE WHEN expire IS NULL OR expire > ? THEN points + excluded.points ELSE excluded.points END,
           expire = CASE WHEN expire IS NULL OR expire > ? THEN expire ELSE excluded.expire END
         RETURNING points, expire`;

/**
 * Adds `points` to a key's count, or starts a new window (until `expire`) when the last one has
 * ended at `now`; returns the count and the window's end. Runs in the caller's transaction.
 */
export function rateLimitUpsert(client: SingleStatementClient) {
  const statement = client.prepare(UPSERT);
  return (key: string, points: number, expire: number | null, now: number) => statement.get(key, points, expire, now, now) as { points: number; expire: number | null };
}

/**
 * PostgreSQL: a request's limits counted in order in one statement, stopping at the first that
 * refuses, as the portal did with one round trip per limit. Each step is rate-limiter-flexible's
 * (11.4) `RateLimiterPostgres` upsert for a consume; a step runs only when the count the step
 * before returned is within that step's budget (`consumeInOrderParameters`). Returns
 * `points_i`/`expire_i` per step, null for a step not run.
 *
 * The statement holds the locks of its rows until it ends. The caller must list the limits in one
 * order shared by every caller, so that two statements cannot deadlock, and must not name one row
 * twice, which one statement cannot change twice (`createLimits` checks both).
 */
export function consumeInOrderStatement(steps: number): { name: string; text: string } {
  const step = (i: number) => {
    const p = 2 + i * 3;
    const row = `$${p}::text, $${p + 1}::bigint, $${p + 2}::bigint`;
    const source = i === 0 ? `VALUES (${row})` : `SELECT ${row} WHERE (SELECT points FROM c${i - 1}) <= $${2 + steps * 3 + i - 1}::bigint`;
    return `c${i} AS (
      INSERT INTO rate_limits AS r (key, points, expire) ${source}
      ON CONFLICT (key) DO UPDATE SET
        points = CASE WHEN r.expire <= $1::bigint THEN excluded.points ELSE r.points + excluded.points END,
        expire = CASE WHEN r.expire <= $1::bigint THEN excluded.expire ELSE r.expire END
      RETURNING points, expire)`;
  };
  const indexes = Array.from({ length: steps }, (_, i) => i);
  return {
    name: `portal-limits-in-order-${steps}`,
    text: `WITH ${indexes.map(step).join(",\n")}
      SELECT ${indexes.map((i) => `(SELECT points FROM c${i}) AS points_${i}, (SELECT expire FROM c${i}) AS expire_${i}`).join(", ")}`,
  };
}

/** The parameters of `consumeInOrderStatement(steps.length)`: `now`, each step's row, then the budgets of all but the last. */
export function consumeInOrderParameters(now: number, steps: readonly { key: string; points: number; expire: number | null; budget: number }[]): unknown[] {
  return [now, ...steps.flatMap((s) => [s.key, s.points, s.expire]), ...steps.slice(0, -1).map((s) => s.budget)];
}

/**
 * PostgreSQL: deletes the rows whose window ended before `before`, as rate-limiter-flexible's
 * `clearExpired` does, except those a request's statement holds at that moment (they are left for
 * the next run). It never waits on a row, so it cannot deadlock with `consumeInOrderStatement`.
 */
export async function clearExpiredRateLimits(pool: PostgresConnection["pool"], before: number): Promise<number> {
  const { rowCount } = await pool.query("DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE expire < $1 FOR UPDATE SKIP LOCKED)", [before]);
  return rowCount ?? 0;
}
