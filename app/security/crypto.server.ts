import crypto from "node:crypto";
import { constantTimeEqual } from "@oslojs/crypto/subtle";

/*
 * Encodings and hashes are Node's own (native) where Node has them: @oslojs's pure-JavaScript
 * SHA-256 and its BigInt base32 were about a tenth of the allocation of a reset request
 * (docs/decisions/0024). The output is the same, byte for byte (tests/unit/crypto.test.ts).
 */

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let taken = 0;

/**
 * `bytes` fresh bytes from the CSPRNG, drawn from a pool that is refilled 4 KiB at a time (as
 * Node's own UUID and `randomInt` helpers do). Each call into OpenSSL cost about 6 µs on the
 * request thread under load, and a known reset request made five of them (docs/decisions/0029).
 * Every byte is handed out once, as a copy, and wiped from the pool as it leaves.
 */
export function randomBytesFromPool(bytes: number): Buffer {
  if (bytes > POOL_BYTES / 16) return crypto.randomBytes(bytes);
  if (taken + bytes > pool.length) {
    pool = crypto.randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    taken = 0;
  }
  const out = Buffer.from(pool.subarray(taken, taken + bytes));
  pool.fill(0, taken, taken + bytes);
  taken += bytes;
  return out;
}

/** 32 random bytes (256 bits) from the CSPRNG as base64url: link tokens (TOK-01). */
export function randomToken(bytes = 32): string {
  // Node's base64url has no padding, as the tokens never had.
  return randomBytesFromPool(bytes).toString("base64url");
}

/** A random id that is safe to show and to put in URLs (120 bits, base32 lower-case). */
export function randomId(bytes = 15): string {
  return base32LowerCaseNoPadding(randomBytesFromPool(bytes));
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

// The same 32 characters in ASCII order, so that a prefix written with them sorts as its number.
const BASE32_SORTED = "234567abcdefghijklmnopqrstuvwxyz";

/**
 * An id shaped like `randomId()` (24 characters of [a-z2-7]) whose first 10 characters are the
 * time in milliseconds, written so that ids sort by time, and whose last 14 are random (70 bits).
 * For rows that every reset request inserts: a random key dirties a different index leaf per
 * request, one more WAL frame each at commit; keys in time order share the right-most leaf
 * (docs/decisions/0035). Not for secrets: the time is readable, and 70 bits only keep ids apart.
 */
export function timeOrderedId(now: number): string {
  let time = "";
  let t = Math.max(0, Math.floor(now));
  for (let i = 0; i < 10; i++) {
    time = BASE32_SORTED[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + base32LowerCaseNoPadding(randomBytesFromPool(9)).slice(0, 14);
}

/** RFC 4648 base32, lower case, no padding: what @oslojs/encoding's encodeBase32LowerCaseNoPadding gives. */
export function base32LowerCaseNoPadding(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** A random numeric code with leading zeros kept, from crypto.randomInt (OTP-01). */
export function randomDigits(length = 6): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String(crypto.randomInt(0, 10));
  return out;
}

export function sha256Hex(value: string): string {
  return crypto.createHash("sha256").update(value, "utf8").digest("hex");
}

export function sha256Bytes(value: string): Uint8Array {
  return new Uint8Array(crypto.createHash("sha256").update(value, "utf8").digest());
}

/** HMAC-SHA256 with the portal's key, for short secrets (codes) that a plain hash would not protect. */
export function hmacHex(key: Buffer, value: string): string {
  return crypto.createHmac("sha256", key).update(value).digest("hex");
}

export function safeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const x = typeof a === "string" ? new TextEncoder().encode(a) : a;
  const y = typeof b === "string" ? new TextEncoder().encode(b) : b;
  return x.length === y.length && constantTimeEqual(x, y);
}

/**
 * A secret the portal must read back (an authenticator seed, a webhook signing secret), sealed with
 * AES-256-GCM under a key derived from SECRET_KEY for one `purpose` (HKDF info), so a copy of the
 * database alone reveals nothing and one purpose's key never opens another's. Stored form:
 * "v1.<iv>.<tag>.<ciphertext>", base64url.
 */
export function sealSecret(secretKey: Buffer, purpose: string, plain: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", purposeKey(secretKey, purpose), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

/** Opens what sealSecret sealed for the same purpose; throws on anything else. */
export function openSecret(secretKey: Buffer, purpose: string, stored: string): string {
  const [version, iv, tag, body] = stored.split(".");
  if (version !== "v1" || !iv || !tag || !body) throw new Error(`unreadable sealed secret (${purpose})`);
  const decipher = crypto.createDecipheriv("aes-256-gcm", purposeKey(secretKey, purpose), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}

function purposeKey(secretKey: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync("sha256", secretKey, Buffer.alloc(0), purpose, 32));
}
