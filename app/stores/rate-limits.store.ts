import type { SingleStatementClient } from "~/db/db.server";

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
