import crypto from "node:crypto";
import { describe, expect, test } from "vitest";
import { encodeBase32LowerCaseNoPadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { sha256 } from "@oslojs/crypto/sha2";
import { base32LowerCaseNoPadding, randomId, randomToken, sha256Bytes, sha256Hex } from "~/security/crypto.server";

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

  test("SHA-256 of ASCII, Arabic, emoji and a lone surrogate", () => {
    for (const value of ["", "abc", "a".repeat(1000), "مرحبا", "😀 x", "\ud800", randomToken()]) {
      const oslo = sha256(new TextEncoder().encode(value));
      expect(sha256Hex(value)).toBe(Buffer.from(oslo).toString("hex"));
      expect(sha256Bytes(value)).toEqual(oslo);
    }
  });
});
