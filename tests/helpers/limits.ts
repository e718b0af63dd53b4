import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { LimitResult } from "~/limits/limits.server";

/**
 * rate-limiter-flexible's verdict for one consume, as the portal turned it into a LimitResult when
 * it consumed through the library: the reference the portal's own statements are held to.
 */
export async function libraryConsume(limiter: RateLimiterAbstract, key: string): Promise<LimitResult> {
  try {
    await limiter.consume(key, 1);
    return { ok: true };
  } catch (res) {
    if (!(res instanceof RateLimiterRes)) throw res;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
  }
}
