import { setTimeout as sleep } from "node:timers/promises";

/**
 * REQ-02: the answer to "send me a link" must not say, by when it leaves, whether an account
 * matched. Every branch already does the same work in the same order, but a matching account still
 * costs a little more (its message is built and queued, its contact checked): tens of microseconds,
 * which 2,000 interleaved requests can detect (`npm run bench`, timing oracle). So the answer
 * waits until a fixed time after the work began; the work takes far less than that on a healthy
 * server, and the wait is a timer, not CPU (docs/decisions/0015).
 *
 * The timer is armed when the work begins, before anyone knows whether an account matched, and
 * only awaited at the end. Computing the remaining wait at the end (`floor − elapsed`) looked the
 * same but was not: Node's timers run on a whole-millisecond clock, so how early or late a
 * fractional wait fires depends on that fraction, that is on how long the work took. Measured: a
 * 0.4 ms difference in work came out as a 0.4 ms difference in answer time instead of none.
 */
export function evenAnswer(floorMs: number): () => Promise<void> {
  const timer = floorMs > 0 ? sleep(floorMs) : Promise.resolve();
  return () => timer;
}
