import crypto from "node:crypto";
import { describe, expect, test } from "vitest";
import { encodeBase32LowerCaseNoPadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { sha256 } from "@oslojs/crypto/sha2";
import { base32LowerCaseNoPadding, randomBytesFromPool, randomId, randomToken, sha256Bytes, sha256Hex, timeOrderedId } from "~/security/crypto.server";

/**
 * Issue 12: ids, tokens and hashes moved from @oslojs's JavaScript to Node's native code. Stored
 * hashes, ids in URLs and tokens in e-mails must not change format: each is compared with the
 * @oslojs function it replaced.
 */
describe("native encodings and hashes give what @oslojs gave", () => {
  test("base32 (lower case, no padding) for every length from 0 to 64 bytes, 50 random inputs each", () => {
    for (let length = 0; length <= 64; length++) {
      for (let i = 0; i < 50; i++) {
        const bytes = crypto.randomBytes(length);
        expect(base32LowerCaseNoPadding(bytes), bytes.toString("hex")).toBe(encodeBase32LowerCaseNoPadding(bytes));
      }
    }
    expect(base32LowerCaseNoPadding(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(encodeBase32LowerCaseNoPadding(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])));
  });

  test("randomId is 24 base32 characters (120 bits) and randomToken 43 base64url characters (256 bits)", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[a-z2-7]{24}$/);
    for (let i = 0; i < 200; i++) {
      const token = randomToken();
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, "base64url").length).toBe(32);
    }
    const bytes = crypto.randomBytes(32);
    expect(bytes.toString("base64url")).toBe(encodeBase64urlNoPadding(bytes));
  });

  test("TOK-01: pooled random bytes are each handed out once, as a copy, and stay uniform across refills of the pool", () => {
    // 4,000 draws of 16 bytes: about sixteen refills of the 4 KiB pool.
    const draws = Array.from({ length: 4000 }, () => randomBytesFromPool(16));
    expect(draws.every((d) => d.length === 16)).toBe(true);
    expect(new Set(draws.map((d) => d.toString("hex"))).size).toBe(4000);
    // Byte values over 64,000 bytes: each of the 256 within ±35 % of the expected 250 (a pool
    // handed out after being wiped, or twice, would fail this by far).
    const counts = new Array<number>(256).fill(0);
    for (const d of draws) for (const b of d) counts[b]++;
    expect(Math.min(...counts)).toBeGreaterThan(250 * 0.65);
    expect(Math.max(...counts)).toBeLessThan(250 * 1.35);
    // A copy: what the caller does with its bytes does not reach the next caller.
    const mine = randomBytesFromPool(32);
    mine.fill(0xaa);
    expect(randomBytesFromPool(32).equals(Buffer.alloc(32, 0xaa))).toBe(false);
    // Odd sizes straddle refills; large ones come from the CSPRNG directly.
    for (const size of [1, 7, 255, 256, 257, 5000]) expect(randomBytesFromPool(size).length).toBe(size);
  });

  test("SHA-256 of ASCII, Arabic, emoji and a lone surrogate", () => {
    for (const value of ["", "abc", "a".repeat(1000), "مرحبا", "😀 x", "\ud800", randomToken()]) {
      const oslo = sha256(new TextEncoder().encode(value));
      expect(sha256Hex(value)).toBe(Buffer.from(oslo).toString("hex"));
      expect(sha256Bytes(value)).toEqual(oslo);
    }
  });
});

/**
 * Ids of the rows every reset request inserts (flows, their holds, outbox messages) sort by time,
 * so inserts share the right-most index leaf instead of dirtying a random one each
 * (docs/decisions/0035). They keep `randomId()`'s shape, which the cookie and URL checks expect.
 */
describe("time-ordered ids", () => {
  test("24 base32 characters, like randomId, whose order is the order of their times", () => {
    const now = Date.now();
    const times = [0, 1, 31, 32, 33, 1023, 1024, 2 ** 35 - 1, 2 ** 35, now - 1, now, now + 1, now + 1000, 2 ** 45, 2 ** 48 - 1];
    const ids = times.map((t) => timeOrderedId(t));
    for (const id of ids) expect(id).toMatch(/^[a-z2-7]{24}$/);
    for (let i = 1; i < ids.length; i++) expect(ids[i - 1] < ids[i], `${times[i - 1]} → ${times[i]}`).toBe(true);
    // Every millisecond of a day, sampled: a later time always gives a later id.
    let previous = timeOrderedId(now);
    for (let t = now + 7; t < now + 86_400_000; t += 7919) {
      const id = timeOrderedId(t);
      expect(previous < id).toBe(true);
      previous = id;
    }
    // Fractions and negative clocks do not break the shape.
    expect(timeOrderedId(now + 0.5).slice(0, 10)).toBe(timeOrderedId(now).slice(0, 10));
    expect(timeOrderedId(-5)).toMatch(/^2{10}[a-z2-7]{14}$/);
  });

  test("SES-06: the last 14 characters are 70 fresh random bits: 1,000 ids of one millisecond are unique and their characters uniform", () => {
    const now = Date.now();
    const ids = Array.from({ length: 1000 }, () => timeOrderedId(now));
    expect(new Set(ids).size).toBe(1000);
    expect(new Set(ids.map((id) => id.slice(0, 10))).size).toBe(1);
    // 14,000 characters over 32 values: each within ±35 % of the expected 437.5.
    const counts = new Map<string, number>();
    for (const id of ids) for (const c of id.slice(10)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(32);
    expect(Math.min(...counts.values())).toBeGreaterThan(437.5 * 0.65);
    expect(Math.max(...counts.values())).toBeLessThan(437.5 * 1.35);
  });
});
