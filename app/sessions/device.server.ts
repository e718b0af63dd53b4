import type { RequestContext } from "~/context.server";
import { readCookie, serializeCookie } from "~/http/cookies.server";
import { hmacHex, randomId, safeEqual } from "~/security/crypto.server";

/**
 * Device cookies (OWASP "Slow down online guessing attacks with device cookies"): a browser that
 * has fully signed in to an account gets a long-lived signed token for it. Recovery messages to an
 * account's contact are flood-limited per destination; a browser that proves it signed in to that
 * account before gets a budget of its own, so strangers who spend the shared budget cannot stop
 * the owner recovering from their own device (M9). The cookie names no account: each entry is a
 * random nonce and an HMAC over the account id and the nonce.
 */
const DEVICE_COOKIE = "device";
const MAX_ENTRIES = 5;
const DEVICE_TTL_SECONDS = 365 * 86_400;

type Entry = { nonce: string; mac: string };

function entries(request: Request, context: RequestContext): Entry[] {
  const value = readCookie(request, DEVICE_COOKIE, context.services.config.secureCookies);
  if (!value) return [];
  return value
    .split("~")
    .slice(0, MAX_ENTRIES)
    .map((e) => e.split("."))
    .filter((p): p is [string, string] => p.length === 2 && /^[a-z2-7]{24}$/.test(p[0]) && /^[0-9a-f]{32}$/.test(p[1]))
    .map(([nonce, mac]) => ({ nonce, mac }));
}

function macFor(context: RequestContext, userId: string, nonce: string): string {
  return hmacHex(context.services.config.secretKey, `device:${userId}:${nonce}`).slice(0, 32);
}

/** The nonce under which this browser signed in to `userId` before, or null. */
export function knownDevice(request: Request | undefined, context: RequestContext, userId: string): string | null {
  if (!request) return null;
  const hit = entries(request, context).find((e) => safeEqual(e.mac, macFor(context, userId, e.nonce)));
  return hit?.nonce ?? null;
}

/** The device cookie after a full sign-in to `userId` (this account first, oldest dropped). */
export function deviceCookie(request: Request, context: RequestContext, userId: string): string {
  const kept = entries(request, context).filter((e) => !safeEqual(e.mac, macFor(context, userId, e.nonce)));
  const nonce = knownDevice(request, context, userId) ?? randomId();
  const list = [{ nonce, mac: macFor(context, userId, nonce) }, ...kept].slice(0, MAX_ENTRIES);
  return serializeCookie(DEVICE_COOKIE, list.map((e) => `${e.nonce}.${e.mac}`).join("~"), {
    secure: context.services.config.secureCookies,
    sameSite: "Strict",
    maxAgeSeconds: DEVICE_TTL_SECONDS,
  });
}
