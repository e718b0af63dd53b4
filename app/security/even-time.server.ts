import { setTimeout as sleep } from "node:timers/promises";

/**
 * REQ-02: the answer to "send me a link" must not say, by when it leaves, whether an account
 * matched. Every branch already does the same work in the same order, but a matching account still
 * costs a little more (its message is built and queued, its contact checked): tens of microseconds,
 * which 2,000 interleaved requests can detect (`npm run bench`, timing oracle). So the answer
 * waits until a fixed time after the work began; the work takes far less than that on a healthy
 * server, and the wait is a timer, not CPU (docs/decisions/0015).
 */
export function evenAnswer(floorMs: number): () => Promise<void> {
  const start = performance.now();
  return async () => {
    const wait = start + floorMs - performance.now();
    if (wait > 0) await sleep(wait);
  };
}
