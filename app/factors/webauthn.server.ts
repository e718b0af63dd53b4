import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { findUserById, type User } from "~/accounts/accounts.server";
import { clearCookie, readCookie, serializeCookie } from "~/http/cookies.server";
import { recordEvent } from "~/audit/events.server";
import { randomId } from "~/security/crypto.server";
import { inTransaction, type RequestContext } from "~/context.server";
import { findPasskey, insertChallenge, insertPasskey, recordPasskeyUse, takeChallenge as takeChallengeRow } from "~/stores/factors.store";
import { endOtherAccess, listPasskeys, notifyFactorChange, type PasskeyRow } from "./factors.server";

/**
 * Passkeys with @simplewebauthn/server. The relying party id and origin come from APP_ORIGIN.
 * Challenges are 32 random bytes kept server-side, tied to the browser by an HttpOnly cookie,
 * valid for 5 minutes and deleted on first use (MFA-05). User verification is required.
 */

export type Purpose = "register" | "sign_in" | "second_factor" | "reset";
const CHALLENGE_COOKIE = "webauthn";
const CHALLENGE_MS = 5 * 60_000;

/**
 * @simplewebauthn/server, loaded on first use: with the ASN.1 packages it pulls in, importing it
 * was about 0.3 s of every start-up, for pages most customers never open (docs/decisions/0039).
 */
let library: Promise<typeof import("@simplewebauthn/server")> | undefined;
const simpleWebAuthn = () => (library ??= import("@simplewebauthn/server"));

function rp(context: RequestContext) {
  const url = new URL(context.services.config.appOrigin);
  return { rpID: url.hostname, origin: url.origin, rpName: context.services.config.appName };
}

async function storeChallenge(context: RequestContext, purpose: Purpose, challenge: string, userId: string | null): Promise<string> {
  const { db, clock, config } = context.services;
  const id = randomId();
  const now = clock.now();
  await insertChallenge(db, { id, challenge, purpose, user_id: userId, created_at: now, expires_at: now + CHALLENGE_MS });
  return serializeCookie(CHALLENGE_COOKIE, id, { secure: config.secureCookies, sameSite: "Strict", maxAgeSeconds: CHALLENGE_MS / 1000 });
}

/**
 * Takes the browser's challenge out of the store: it can be used once only. Whoever's DELETE
 * removes it gets it, so of two parallel uses of one challenge only one goes on to verify.
 */
async function takeChallenge(context: RequestContext, request: Request, purpose: Purpose): Promise<{ challenge: string; userId: string | null } | null> {
  const { db, clock, config } = context.services;
  const id = readCookie(request, CHALLENGE_COOKIE, config.secureCookies);
  if (!id || !/^[a-z2-7]{24}$/.test(id)) return null;
  const row = await takeChallengeRow(db, id);
  if (!row || row.purpose !== purpose || row.expires_at <= clock.now()) return null;
  return { challenge: row.challenge, userId: row.user_id };
}

export function clearChallengeCookie(context: RequestContext): string {
  return clearCookie(CHALLENGE_COOKIE, { secure: context.services.config.secureCookies, sameSite: "Strict" });
}

const transportsOf = (p: PasskeyRow) => JSON.parse(p.transports) as string[];

export async function registrationOptions(context: RequestContext, user: User) {
  const { rpID, rpName } = rp(context);
  const { generateRegistrationOptions } = await simpleWebAuthn();
  const options = await generateRegistrationOptions({
    rpName,
    rpID,
    userName: user.username,
    userID: new TextEncoder().encode(user.id),
    attestationType: "none",
    excludeCredentials: (await listPasskeys(context.services.db, user.id)).map((p) => ({ id: p.id, transports: transportsOf(p) })),
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
  });
  return { options, cookie: await storeChallenge(context, "register", options.challenge, user.id) };
}

/** Adds a passkey; every other session of the account ends and its recovery flows are cancelled (SES-02). */
export async function verifyRegistration(
  context: RequestContext,
  request: Request,
  user: User,
  response: RegistrationResponseJSON,
  name: string,
  currentSessionId: string,
) {
  const { clock } = context.services;
  const stored = await takeChallenge(context, request, "register");
  if (!stored || stored.userId !== user.id) return false;
  const { rpID, origin } = rp(context);
  const { verifyRegistrationResponse } = await simpleWebAuthn();
  let verification;
  try {
    verification = await verifyRegistrationResponse({ response, expectedChallenge: stored.challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: true });
  } catch {
    return false;
  }
  if (!verification.verified) return false;
  const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
  const now = clock.now();
  // Verified above, outside the transaction; only the database work runs inside.
  await inTransaction(context, async (tx) => {
    await insertPasskey(tx.services.db, {
      id: credential.id,
      user_id: user.id,
      public_key: Buffer.from(credential.publicKey),
      counter: credential.counter,
      transports: JSON.stringify(credential.transports ?? []),
      device_type: credentialDeviceType,
      backed_up: credentialBackedUp ? 1 : 0,
      name: name.trim().slice(0, 60) || "Passkey",
      created_at: now,
    });
    const sessions = await endOtherAccess(tx, user.id, currentSessionId);
    await recordEvent(tx, { event: "passkey_added", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: sessions } });
    await notifyFactorChange(tx, user, { change: "passkeyAdded" });
  });
  return true;
}

/**
 * Options for an assertion. With a user (second factor) only that user's passkeys are allowed;
 * without one (sign-in, reset) the browser offers its discoverable credentials.
 */
export async function authenticationOptions(context: RequestContext, purpose: Exclude<Purpose, "register">, user: User | null) {
  const { rpID } = rp(context);
  const { generateAuthenticationOptions } = await simpleWebAuthn();
  const options = await generateAuthenticationOptions({
    rpID,
    userVerification: "required",
    allowCredentials: user ? (await listPasskeys(context.services.db, user.id)).map((p) => ({ id: p.id, transports: transportsOf(p) })) : [],
  });
  return { options, cookie: await storeChallenge(context, purpose, options.challenge, user?.id ?? null) };
}

/** Verifies an assertion and returns the account it proves, or null. */
export async function verifyAuthentication(
  context: RequestContext,
  request: Request,
  purpose: Exclude<Purpose, "register">,
  response: AuthenticationResponseJSON,
): Promise<User | null> {
  const { db, clock } = context.services;
  // Before anything is looked up: the first use's import is then the same for every credential.
  const { verifyAuthenticationResponse } = await simpleWebAuthn();
  const stored = await takeChallenge(context, request, purpose);
  if (!stored || typeof response?.id !== "string") return null;
  const passkey = await findPasskey(db, response.id);
  if (!passkey || (stored.userId && passkey.user_id !== stored.userId)) {
    await recordEvent(context, { event: "passkey_failed", outcome: "failure", userId: stored.userId, details: { purpose } });
    return null;
  }
  const { rpID, origin } = rp(context);
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: stored.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: true,
      credential: { id: passkey.id, publicKey: new Uint8Array(passkey.public_key), counter: passkey.counter, transports: transportsOf(passkey) },
    });
    if (!result.verified || !result.authenticationInfo.userVerified) throw new Error("not verified");
    await recordPasskeyUse(db, passkey.id, result.authenticationInfo.newCounter, clock.now());
  } catch {
    await recordEvent(context, { event: "passkey_failed", outcome: "failure", userId: passkey.user_id, details: { purpose } });
    return null;
  }
  const user = await findUserById(db, passkey.user_id);
  if (!user || user.status !== "active") return null;
  await recordEvent(context, { event: "passkey_used", outcome: "success", userId: user.id, details: { purpose } });
  return user;
}
