import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { EMAIL_THREAD_SEMI_SPACE_MB, withSemiSpace } from "~/delivery/email-thread.server";

// Allocates enough short-lived objects, with some surviving, for V8 to grow a thread's young
// generation to its limit, then reports the young generation's size (both semi-spaces) in MiB.
const CHURN = `
const v8 = require("node:v8");
const kept = [];
for (let round = 0; round < 200; round++) {
  for (let i = 0; i < 20000; i++) kept.push({ i, s: "x" + i });
  if (kept.length > 100000) kept.splice(0, 50000);
}
const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
require("node:worker_threads").parentPort.postMessage(young.space_size / 1048576);
`;

function youngGenerationMb(worker: Worker): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  }).finally(() => worker.terminate());
}

const online = (worker: Worker) => new Promise<void>((resolve) => worker.once("online", () => resolve()));

describe("the e-mail thread's heap (0030)", () => {
  it("a thread started through withSemiSpace keeps its young generation at the cap under churn", async () => {
    const capped = withSemiSpace(EMAIL_THREAD_SEMI_SPACE_MB, () => new Worker(CHURN, { eval: true }));
    expect(await youngGenerationMb(capped)).toBeLessThanOrEqual(2 * EMAIL_THREAD_SEMI_SPACE_MB);
  });

  it("the process's own setting is back once the thread is online, and after a thread that failed to start", async () => {
    const first = withSemiSpace(EMAIL_THREAD_SEMI_SPACE_MB, () => new Worker(CHURN, { eval: true }));
    const isOnline = online(first);
    const firstMb = youngGenerationMb(first);
    await isOnline;
    // Started after the capped one is online: V8's (or the process's) larger young generation.
    expect(await youngGenerationMb(new Worker(CHURN, { eval: true }))).toBeGreaterThan(2 * EMAIL_THREAD_SEMI_SPACE_MB);
    expect(await firstMb).toBeLessThanOrEqual(2 * EMAIL_THREAD_SEMI_SPACE_MB);

    expect(() =>
      withSemiSpace(EMAIL_THREAD_SEMI_SPACE_MB, () => {
        throw new Error("no thread");
      }),
    ).toThrow("no thread");
    expect(await youngGenerationMb(new Worker(CHURN, { eval: true }))).toBeGreaterThan(2 * EMAIL_THREAD_SEMI_SPACE_MB);
  });
});
