import crypto from "node:crypto";
import { encodeBase32LowerCaseNoPadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";

/** 32 random bytes (256 bits) from the CSPRNG as base64url: link tokens (TOK-01). */
export function randomToken(bytes = 32): string {
  return encodeBase64urlNoPadding(crypto.randomBytes(bytes));
}

/** A random id that is safe to show and to put in URLs (120 bits, base32 lower-case). */
export function randomId(bytes = 15): string {
  return encodeBase32LowerCaseNoPadding(crypto.randomBytes(bytes));
}

/** A random numeric code with leading zeros kept, from crypto.randomInt (OTP-01). */
export function randomDigits(length = 6): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String(crypto.randomInt(0, 10));
  return out;
}

export function sha256Hex(value: string): string {
  return Buffer.from(sha256(new TextEncoder().encode(value))).toString("hex");
}

export function sha256Bytes(value: string): Uint8Array {
  return sha256(new TextEncoder().encode(value));
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
