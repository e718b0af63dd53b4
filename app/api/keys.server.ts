import crypto from "node:crypto";
import { inTransaction, actorVia, type RequestContext } from "~/context.server";
import { recordEvent } from "~/audit/events.server";
import { randomId, randomToken, safeEqual, sha256Hex } from "~/security/crypto.server";
import * as store from "~/stores/api-keys.store";
import { SCOPES, type Scope } from "./schemas.server";

/**
 * API keys for the provisioning API (docs/decisions/0021-provisioning-api.md):
 * `rp_live_<id>_<secret>`, where id (16 base32 characters) names the key in logs, the audit log
 * and `api-key list`, and secret is 32 bytes from the CSPRNG (base64url). Only SHA-256 of the
 * whole key is stored (the key has 256 bits of entropy, so a plain hash is enough and it survives
 * a SECRET_KEY rotation); the key is shown once, at creation.
 */

const KEY_RE = /^rp_live_([a-z2-7]{16})_([A-Za-z0-9_-]{43})$/;

export class ApiKeyError extends Error {}

export function parseScopes(raw: string): Scope[] {
  const scopes = [...new Set(raw.split(",").map((s) => s.trim()).filter(Boolean))];
  if (scopes.length === 0) throw new ApiKeyError(`--scopes needs at least one of ${SCOPES.join(", ")}`);
  for (const s of scopes) if (!(SCOPES as readonly string[]).includes(s)) throw new ApiKeyError(`unknown scope "${s}" (known: ${SCOPES.join(", ")})`);
  return scopes as Scope[];
}

export async function createApiKey(context: RequestContext, input: { name: string; scopes: string }): Promise<{ id: string; key: string; scopes: Scope[] }> {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100 || [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new ApiKeyError("--name must be 1–100 printable characters");
  const scopes = parseScopes(input.scopes);
  // 10 bytes is exactly 16 base32 characters.
  const id = randomId(10);
  const key = `rp_live_${id}_${randomToken(32)}`;
  const now = context.services.clock.now();
  await inTransaction(context, async (tx) => {
    await store.insertApiKey(tx.services.db, { id, name, key_hash: sha256Hex(key), scopes: scopes.join(","), created_at: now, last_used_at: null, revoked_at: null });
    // Never the key itself (LOG-02).
    await recordEvent(tx, { event: "api_key_created", outcome: "success", details: { api_key: id, scopes: scopes.join(","), via: actorVia(context.actor) } });
  });
  return { id, key, scopes };
}

export async function revokeApiKey(context: RequestContext, id: string): Promise<boolean> {
  return inTransaction(context, async (tx) => {
    const revoked = await store.revokeApiKey(tx.services.db, id, context.services.clock.now());
    if (revoked) await recordEvent(tx, { event: "api_key_revoked", outcome: "success", details: { api_key: id, via: actorVia(context.actor) } });
    return revoked;
  });
}

export async function listApiKeys(context: RequestContext): Promise<{ id: string; name: string; scopes: string; createdAt: number; lastUsedAt: number | null; revokedAt: number | null }[]> {
  return (await store.listApiKeys(context.services.db)).map((k) => ({ id: k.id, name: k.name, scopes: k.scopes, createdAt: k.created_at, lastUsedAt: k.last_used_at, revokedAt: k.revoked_at }));
}

export type AuthenticatedKey = { id: string; scopes: Scope[] };

/** The key an `Authorization: Bearer …` header carries, if it is live; null otherwise (unknown, wrong, revoked). */
export async function authenticateApiKey(context: RequestContext, authorization: string | null): Promise<AuthenticatedKey | null> {
  const m = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
  const presented = m?.[1] ?? "";
  const parts = KEY_RE.exec(presented);
  // Hash whatever was presented, so a malformed key costs the same as a wrong one.
  const hash = sha256Hex(presented);
  if (!parts) return null;
  const row = await store.findApiKey(context.services.db, parts[1]!);
  if (!row || !safeEqual(row.key_hash, hash) || row.revoked_at !== null) return null;
  await store.touchApiKey(context.services.db, row.id, context.services.clock.now());
  return { id: row.id, scopes: row.scopes.split(",") as Scope[] };
}

/** A stable hash of a request body, for idempotency (key order and whitespace do not matter). */
export function requestHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return crypto.createHash("sha256").update(JSON.stringify(canonical(value))).digest("hex");
}
