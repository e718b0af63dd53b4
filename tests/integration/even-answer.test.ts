import { describe, expect, test } from "vitest";
import { customers } from "../helpers/customer";
import { usePortal } from "../helpers/portal";

/**
 * REQ-02: a recovery request's answer leaves a fixed time after its work began
 * (RECOVERY_ANSWER_MS, 5 ms by default), whatever the identifier matched, so the small extra work
 * for a real account (its message built and queued) cannot be timed. Here the floor is 400 ms, far
 * above the work, so the test sees it: without it these answers take a few milliseconds.
 * `npm run bench` measures the real thing (2,000 interleaved requests, Mann-Whitney).
 */

const FLOOR = 400;

const { app, mail } = usePortal({
  env: { TRUST_PROXY: "loopback", RECOVERY_ANSWER_MS: String(FLOOR), LIMIT_REQUESTS_PER_IDENTIFIER_PER_HOUR: "2" },
  accounts: [
    { username: "evenreal", email: "evenreal@example.test" },
    { username: "eventhrottle", email: "eventhrottle@example.test" },
  ],
});
const { client } = customers(() => ({ app, mail }), { ip: "10.61" });

async function timed(path: string, identifier: string) {
  const t0 = performance.now();
  const res = await client().post(path, path === "/forgot-username" ? { contact: identifier } : { identifier });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0 };
}

describe("REQ-02 even answers", () => {
  test("REQ-02 reset, unlock and username requests answer no sooner than the floor, for real and unknown identifiers alike", async () => {
    const cases: [string, string, number][] = [
      ["/forgot-password", "evenreal", 303],
      ["/forgot-password", "even-nobody", 303],
      ["/unlock", "evenreal@example.test", 303],
      ["/unlock", "even-nobody@example.test", 303],
    ];
    for (const [path, identifier, status] of cases) {
      const answer = await timed(path, identifier);
      expect(answer.status, `${path} ${identifier}`).toBe(status);
      expect(answer.ms, `${path} ${identifier}`).toBeGreaterThanOrEqual(FLOOR);
    }
    for (const identifier of ["evenreal@example.test", "even-nobody@example.test"]) {
      const answer = await timed("/forgot-username", identifier);
      expect(answer.status, identifier).toBe(303);
      expect(answer.ms, identifier).toBeGreaterThanOrEqual(FLOOR);
    }
    // The real account's messages were still queued and sent.
    await expect.poll(() => mail.messages.filter((m) => m.to.includes("evenreal@example.test")).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  });

  test("REQ-02 REQ-05 a throttled answer waits for the floor too, for real and unknown identifiers", async () => {
    for (const identifier of ["eventhrottle", "even-ghost"]) {
      // The per-identifier budget is 2 here: the third request is throttled.
      for (let i = 0; i < 2; i++) expect((await timed("/forgot-password", identifier)).status).toBe(303);
      const throttled = await timed("/forgot-password", identifier);
      expect(throttled.status, identifier).toBe(429);
      expect(throttled.ms, identifier).toBeGreaterThanOrEqual(FLOOR);
    }
  });
});
