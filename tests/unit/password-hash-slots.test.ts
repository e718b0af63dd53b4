import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test, vi } from "vitest";

/**
 * Issue 12: Argon2id runs on at most one core fewer than the machine has (at least one), so the
 * event loop keeps a core; the others wait their turn and all complete. The Argon2 package is replaced by a timed stand-in that records how many
 * run at once (the real one is exercised by every sign-in and reset test).
 */
const running = { now: 0, peak: 0 };
vi.mock("@node-rs/argon2", () => {
  const work = async (result: unknown) => {
    running.now++;
    running.peak = Math.max(running.peak, running.now);
    await sleep(20);
    running.now--;
    return result;
  };
  return {
    hash: (password: string) => work(`hashed:${password}`),
    verify: (stored: string, password: string) => (stored === "boom" ? Promise.reject(new Error("bad hash")) : work(stored === `hashed:${password}`)),
  };
});

const { hashPassword, verifyPassword, HASH_SLOTS } = await import("~/accounts/password-hash.server");

describe("Argon2id slots", () => {
  test("no more Argon2id runs at once than the machine has cores less one (at least one); every caller gets its answer", async () => {
    const slots = Math.max(1, os.availableParallelism() - 1);
    expect(HASH_SLOTS).toBe(slots);
    const callers = slots * 3 + 1;
    const answers = await Promise.all(
      Array.from({ length: callers }, (_, i) => (i % 2 ? verifyPassword(`hashed:pw${i}`, `pw${i}`) : hashPassword(`pw${i}`))),
    );
    expect(running.peak).toBe(slots);
    expect(running.now).toBe(0);
    answers.forEach((a, i) => expect(a).toBe(i % 2 ? true : `hashed:pw${i}`));
  });

  test("a failing verification frees its slot and answers false", async () => {
    running.peak = 0;
    const slots = HASH_SLOTS;
    const answers = await Promise.all([
      ...Array.from({ length: slots * 2 }, () => verifyPassword("boom", "x")),
      ...Array.from({ length: slots * 2 }, (_, i) => verifyPassword(`hashed:ok${i}`, `ok${i}`)),
    ]);
    expect(answers.slice(0, slots * 2).every((a) => a === false)).toBe(true);
    expect(answers.slice(slots * 2).every((a) => a === true)).toBe(true);
    expect(running.peak).toBeLessThanOrEqual(slots);
  });
});
