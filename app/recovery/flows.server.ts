import type { Db } from "~/db/db.server";
import { inTransaction, type RequestContext } from "~/context.server";
import { findUserById, findUsersByLogin, findUsersByVerifiedPhone, type User } from "~/accounts/accounts.server";
import { looksLikePhone, normalisePhone } from "~/accounts/phone";
import { CHANNELS, type ChannelId } from "~/delivery/channels/index.server";
import { normaliseIdentifier } from "~/accounts/identifiers";
import { clearCookie, readCookie, serializeCookie } from "~/http/cookies.server";
import { hmacHex, randomDigits, randomId, randomToken, safeEqual, sha256Bytes, sha256Hex, timeOrderedId } from "~/security/crypto.server";
import { knownDevice } from "~/sessions/device.server";
import { consumeEach, guardedLookup, type LimitName } from "~/limits/limits.server";
import * as store from "~/stores/recovery-flows.store";
import type { Flow, RecoverySession } from "~/stores/recovery-flows.store";
import { recordEvent } from "~/audit/events.server";
import { codeProof } from "~/proofs/code.server";
import { evenAnswer } from "~/security/even-time.server";
import { accountsLocale } from "~/notices/message-locale";
import { networkTag, noteRecoveryRequest } from "./suspicious.server";

/**
 * Recovery flows: the server-side record behind "forgot password" and "unlock" (DESIGN.md §4).
 *
 * - A request always creates a flow, whether or not an account matched, and always answers the
 *   same way; only a matched, verified contact gets a message (REQ-01..03).
 * - The message carries a link token (32 random bytes) and a 6-digit code; only their hashes are
 *   stored (TOK-01, TOK-02, OTP-02).
 * - The code works in the browser that asked (recovery cookie). The link works in any browser:
 *   GET shows a page and changes nothing; its POST gives that browser a verified hold on the flow
 *   (TOK-10, TOK-11). The token is consumed only when the flow completes, atomically (TOK-04).
 */

export type Purpose = Flow["purpose"];
export type { Flow, RecoverySession };
export { recentFlows } from "~/stores/recovery-flows.store";
export const RECOVERY_COOKIE = "recovery";

const CODE_TTL_MS = 10 * 60_000; // OTP-04: codes live at most 10 minutes, whatever the link's lifetime.

export const PURPOSES: Record<Purpose, { linkPath: string; template: "password-reset" | "account-unlock"; event: string }> = {
  reset: { linkPath: "/reset/", template: "password-reset", event: "password_reset" },
  unlock: { linkPath: "/unlock/", template: "account-unlock", event: "account_unlock" },
};

/**
 * The key of what was typed, from its canonical form (E.164 for a phone number, lower case for a
 * username or e-mail), so that spellings of one number share one flow key and one budget (M4, L4).
 */
function identifierKey(context: RequestContext, purpose: Purpose, identifier: string): string {
  const canonical = typedPhone(identifier) ? (normalisePhone(identifier, context.services.config.defaultPhoneRegion) ?? identifier) : identifier;
  return hmacHex(context.services.config.secretKey, `${purpose}:${canonical}`);
}

function codeHash(context: RequestContext, flowId: string, code: string): string {
  // Six digits are guessable offline from a plain hash, so the code is keyed with the portal's
  // secret and bound to its flow (OTP-02, OTP-03).
  return hmacHex(context.services.config.secretKey, `code:${flowId}:${code}`);
}

export function typedPhone(identifier: string): boolean {
  return looksLikePhone(identifier) && !identifier.includes("@");
}

type Resolved = { user: User | null; ambiguous: User[]; channel: ChannelId; destination: string | null };

/**
 * Which account an identifier names: exactly one active account with a verified email (for a
 * username or email), or with that verified phone (for a phone number; OTP-08).
 */
async function resolveAccount(context: RequestContext, identifier: string): Promise<Resolved> {
  const { db, config } = context.services;
  if (typedPhone(identifier)) {
    const e164 = normalisePhone(identifier, config.defaultPhoneRegion);
    const matches = e164 ? (await findUsersByVerifiedPhone(db, e164)).filter((u) => u.status === "active") : [];
    return { user: matches.length === 1 ? matches[0] : null, ambiguous: matches.length > 1 ? matches : [], channel: "sms", destination: e164 };
  }
  const matches = (await findUsersByLogin(db, identifier)).filter((u) => u.status === "active" && u.email_verified === 1);
  return {
    user: matches.length === 1 ? matches[0] : null,
    ambiguous: matches.length > 1 ? matches : [],
    channel: "email",
    destination: matches[0]?.email ?? null,
  };
}

export type RequestOutcome = { ok: true; cookie: string } | { ok: false; retryAfterSeconds: number };

/**
 * Starts a flow for what was typed. Every branch does the same work in the same order and
 * returns the same shape; messages are queued, never sent inline (REQ-02).
 */
export async function requestRecovery(
  context: RequestContext,
  request: Request,
  purpose: Purpose,
  rawIdentifier: string,
  options: { bot?: boolean } = {},
): Promise<RequestOutcome> {
  const { clock, config, limits, metrics } = context.services;
  const evenOut = evenAnswer(config.recovery.answerFloorMs);
  const identifier = normaliseIdentifier(rawIdentifier);
  const key = identifierKey(context, purpose, identifier);

  const resolved: Resolved = options.bot
    ? { user: null, ambiguous: [], channel: "email", destination: null }
    : await resolveAccount(context, identifier);
  const { user, ambiguous } = resolved;
  const destination = resolved.destination ?? identifier;
  // Limits are keyed on what was typed and on the client, never on whether it matched (REQ-05).
  // The destination's budgets come last: a request refused before them spends nothing on them,
  // and unknown identifiers are counted against themselves, so every branch does the same work.
  const refused = await consumeEach(limits, [
    ["recovery_per_ip", `${purpose}:${context.clientKey}`],
    ["recovery_per_identifier", key],
    ...destinationLimits(context, request, destination, user?.id ?? null),
  ]);
  if (refused && REQUEST_LIMITS.includes(refused.name)) {
    metrics.recoveryRequests.inc({ purpose, outcome: "throttled" });
    metrics.throttled.inc({ limit: refused.name });
    await recordEvent(context, { event: `${PURPOSES[purpose].event}_throttled`, outcome: "failure", details: { limit: refused.name } });
    await evenOut();
    return { ok: false, retryAfterSeconds: refused.retryAfterSeconds };
  }
  if (refused) metrics.throttled.inc({ limit: refused.name });
  const real = Boolean(user || ambiguous.length);
  const destinationOk = !refused && (real ? await CHANNELS[resolved.channel].allowed(context, destination) : true);

  const now = clock.now();
  const via = typedPhone(identifier) ? "phone" : "email";
  const token = randomToken();
  const flowId = timeOrderedId(now);
  const code = randomDigits(6);
  const sessionId = timeOrderedId(now);
  const sessionSecret = randomId();
  // A new request replaces this browser's own earlier request (TOK-06, OTP-06), and nothing else:
  // what happens to a flow never depends on whether an account matched, and a stranger's request
  // cannot cancel the owner's link or code (M4, L14). Finishing a reset ends every flow.
  const previous = await currentRecovery(context, request, purpose);
  const tokenHash = sha256Hex(token);
  const hashedCode = codeHash(context, flowId, code);
  const network = networkTag(context);

  await inTransaction(context, async (tx) => {
    const db = tx.services.db;
    // The suspicious-activity rule counts the networks asking for this account (issue 14). First,
    // so its lock on the account's key is taken before the audit chain's, as everywhere (0017).
    if (user) await noteRecoveryRequest(tx, user, network, now);
    // The inbox-flooding guard held the message back (OTP-07); the page answers the same.
    if (refused) await recordEvent(tx, { event: "message_suppressed", outcome: "failure", details: { limit: refused.name } });
    if (previous) await store.cancelFlows(db, { flowId: previous.flow.id });
    await store.openFlow(db, {
      id: flowId,
      purpose,
      identifier_key: key,
      user_id: user?.id ?? null,
      channel: user ? resolved.channel : "none",
      link_token_hash: tokenHash,
      code_hash: hashedCode,
      created_at: now,
      expires_at: now + config.recovery.linkTtlMs,
      code_expires_at: now + Math.min(CODE_TTL_MS, config.recovery.linkTtlMs),
      last_sent_at: now,
      requested_via: via,
    });
    await insertRecoverySession(db, sessionId, sessionSecret, flowId, "pending", now, now + config.recovery.linkTtlMs);
    if (user && destinationOk) {
      await queueFlowMessage(tx, purpose, user, resolved.channel, token, code);
    } else if (ambiguous.length > 0 && destinationOk) {
      // Several accounts share this address or number: say which usernames, and ask for one.
      await tx.services.send({
        channel: resolved.channel,
        to: resolved.destination!,
        template: "recovery-ambiguous",
        payload: {
          appName: config.appName,
          purpose,
          usernames: ambiguous.map((u) => u.username),
          origin: config.appOrigin,
          locale: accountsLocale(ambiguous, config.defaultLocale),
        },
      });
    }
    await recordEvent(tx, {
      event: `${PURPOSES[purpose].event}_requested`,
      outcome: "info",
      userId: user?.id ?? null,
      details: { matched: Boolean(user), ambiguous: ambiguous.length > 1, sent: Boolean((user || ambiguous.length) && destinationOk), bot: Boolean(options.bot) },
    });
  });
  metrics.recoveryRequests.inc({ purpose, outcome: "accepted" });
  await evenOut();
  return { ok: true, cookie: recoveryCookie(context, sessionId, sessionSecret, config.recovery.linkTtlMs) };
}

const REQUEST_LIMITS: readonly LimitName[] = ["recovery_per_ip", "recovery_per_identifier"];

/**
 * Inbox-flooding guard: at most N messages per destination per hour and per day (OTP-07). A
 * browser that signed in to this account before has a budget of its own, so strangers who spend
 * the shared one cannot silence the owner (M9). Strangers never hold such a cookie, so for them
 * every branch is the same.
 */
function destinationLimits(context: RequestContext, request: Request | undefined, destination: string, userId: string | null): [LimitName, string][] {
  const device = userId ? knownDevice(request, context, userId) : null;
  const key = device ? `dest:${destination}:device:${device}` : `dest:${destination}`;
  return [
    ["messages_per_destination_hour", key],
    ["messages_per_destination_day", key],
  ];
}

/** The inbox-flooding guard on its own (for a resend), then the channel's own rules for a real destination. */
async function destinationAllowed(
  context: RequestContext,
  destination: string,
  channel: ChannelId,
  real: boolean,
  asker: { request?: Request; userId: string | null },
): Promise<boolean> {
  const { limits, metrics } = context.services;
  const refused = await consumeEach(limits, destinationLimits(context, asker.request, destination, asker.userId));
  if (refused) {
    metrics.throttled.inc({ limit: refused.name });
    await recordEvent(context, { event: "message_suppressed", outcome: "failure", details: { limit: refused.name } });
    return false;
  }
  return real ? CHANNELS[channel].allowed(context, destination) : true;
}

/** The verified contact a message for `user` goes to; callers have checked that there is one. */
function destination(user: User, channel: ChannelId): string {
  const to = CHANNELS[channel].destinationOf(user);
  if (!to) throw new Error(`account has no verified ${channel} contact`);
  return to;
}

/** Queues the link and code on the caller's transaction (pass its `tx`). */
async function queueFlowMessage(context: RequestContext, purpose: Purpose, user: User, channel: ChannelId, token: string, code: string) {
  const { config } = context.services;
  await context.services.send({
    channel,
    to: destination(user, channel),
    template: PURPOSES[purpose].template,
    payload: {
      appName: config.appName,
      username: user.username,
      link: `${config.appOrigin}${PURPOSES[purpose].linkPath}${token}`,
      code,
      minutes: Math.round(config.recovery.linkTtlMs / 60_000),
      codeMinutes: Math.round(Math.min(CODE_TTL_MS, config.recovery.linkTtlMs) / 60_000),
      supportUrl: `${config.appOrigin}/assisted-recovery`,
      locale: user.locale ?? config.defaultLocale,
    },
  });
}

function holdRow(id: string, secret: string, flowId: string, state: RecoverySession["state"], now: number, expiresAt: number): store.NewHold {
  return { id, secret_hash: Buffer.from(sha256Bytes(secret)), flow_id: flowId, state, created_at: now, expires_at: expiresAt };
}

async function insertRecoverySession(
  db: Db,
  id: string,
  secret: string,
  flowId: string,
  state: RecoverySession["state"],
  now: number,
  expiresAt: number,
): Promise<void> {
  await store.openHold(db, holdRow(id, secret, flowId, state, now, expiresAt));
}

function recoveryCookie(context: RequestContext, id: string, secret: string, ttlMs: number): string {
  const { config } = context.services;
  return serializeCookie(RECOVERY_COOKIE, `${id}.${secret}`, {
    secure: config.secureCookies,
    sameSite: "Strict",
    maxAgeSeconds: ttlMs / 1000,
  });
}

export function clearRecoveryCookie(context: RequestContext): string {
  return clearCookie(RECOVERY_COOKIE, { secure: context.services.config.secureCookies, sameSite: "Strict" });
}

export type Current = { session: RecoverySession; flow: Flow; user: User | null };

/** The flow this browser holds for `purpose`, if its cookie is genuine and nothing has expired. */
export async function currentRecovery(context: RequestContext, request: Request, purpose: Purpose): Promise<Current | null> {
  const { db, clock, config } = context.services;
  const value = readCookie(request, RECOVERY_COOKIE, config.secureCookies);
  if (!value) return null;
  const [id, secret] = value.split(".");
  if (!id || !secret || !/^[a-z2-7]{24}$/.test(id) || !/^[a-z2-7]{24}$/.test(secret)) return null;
  const row = await store.findHold(db, id);
  if (!row || !safeEqual(sha256Bytes(secret), new Uint8Array(row.secret_hash))) return null;
  if (clock.now() >= row.expires_at) return null;
  const flow = await store.findFlow(db, row.flow_id);
  if (!flow || flow.purpose !== purpose) return null;
  const { secret_hash: _omit, ...session } = row;
  void _omit;
  return { session, flow, user: flow.user_id ? ((await findUserById(db, flow.user_id)) ?? null) : null };
}

export type CodeOutcome =
  | { ok: true; cookie: string }
  | { ok: false; reason: "wrong"; attemptsLeft: number }
  | { ok: false; reason: "dead" | "expired" | "replaced" | "no-flow" };

/**
 * Checks a code typed in the browser that asked (OTP-03, OTP-05).
 *
 * The attempt is claimed before the comparison with one conditional UPDATE, so parallel guesses
 * each cost an attempt (L7). Wrong e-mail and SMS codes have a per-account daily budget of their
 * own, separate from the authenticator's and the recovery codes' (M2); reset and unlock keep
 * separate budgets for accounts as they do for unknown names, and a spent budget answers exactly
 * like a wrong code (M5), so it says nothing about the account.
 */
export async function verifyCode(context: RequestContext, request: Request, purpose: Purpose, code: string): Promise<CodeOutcome> {
  const { db, clock, config } = context.services;
  const current = await currentRecovery(context, request, purpose);
  if (!current) return { ok: false, reason: "no-flow" };
  const { flow, session } = current;
  const now = clock.now();
  const userRef = { userId: flow.user_id };
  if (flow.status !== "active") return { ok: false, reason: "replaced" };
  if (now >= flow.code_expires_at || now >= flow.expires_at) {
    await recordEvent(context, { event: `${PURPOSES[purpose].event}_code_expired`, outcome: "failure", ...userRef });
    return { ok: false, reason: "expired" };
  }
  const max = config.recovery.codeMaxAttempts;
  const proof = await codeProof.verify(
    context,
    {
      claimAttempt: (handle) => store.claimCodeAttempt(handle, flow.id, max),
      maxAttempts: max,
      expectedHash: flow.user_id !== null ? flow.code_hash : null,
      hashOf: (typed) => codeHash(context, flow.id, typed),
      budgetKey: `otp:${purpose}:${flow.user_id ?? flow.identifier_key}`,
    },
    code,
  );
  if (!proof.ok && !proof.counted) return { ok: false, reason: "dead" };
  // A code works once: only the request that clears it wins (OTP-03).
  const won = proof.ok && (await store.spendCode(db, flow.id, flow.code_hash ?? ""));
  if (!won) {
    const attempts = proof.attempts;
    await inTransaction(context, async (tx) => {
      await store.countCodeFailure(tx.services.db, flow.id);
      await recordEvent(tx, { event: `${PURPOSES[purpose].event}_code_failed`, outcome: "failure", ...userRef, details: { attempts, budget: proof.ok ? "ok" : proof.budget } });
    });
    if (attempts >= max) return { ok: false, reason: "dead" };
    return { ok: false, reason: "wrong", attemptsLeft: max - attempts };
  }
  // Move this browser to a fresh verified hold (SES-03).
  const newId = timeOrderedId(now);
  const newSecret = randomId();
  await inTransaction(context, async (tx) => {
    await store.dropHold(tx.services.db, session.id);
    await insertRecoverySession(tx.services.db, newId, newSecret, flow.id, "verified", now, Math.min(flow.expires_at, now + config.recovery.resetSessionMs));
    await recordEvent(tx, { event: `${PURPOSES[purpose].event}_code_verified`, outcome: "success", ...userRef });
  });
  return { ok: true, cookie: recoveryCookie(context, newId, newSecret, config.recovery.resetSessionMs) };
}

export type ResendOutcome = { ok: true } | { ok: false; reason: "cooldown"; waitSeconds: number } | { ok: false; reason: "no-flow" };

/**
 * Sends a fresh link and code for the flow this browser holds. The old link and code stop
 * working (OTP-06); the flow's failure count carries on (OTP-05).
 */
export async function resend(
  context: RequestContext,
  request: Request,
  purpose: Purpose,
  options: { viaSms?: boolean } = {},
): Promise<ResendOutcome> {
  const { clock, config } = context.services;
  const current = await currentRecovery(context, request, purpose);
  if (!current || current.flow.status !== "active" || current.session.state !== "pending") return { ok: false, reason: "no-flow" };
  const { flow, user } = current;
  const now = clock.now();
  // Someone who knows at once they can't reach their email may switch to SMS without waiting,
  // once per request; the rule depends only on the flow, never on the account.
  const firstSwitch = options.viaSms && flow.requested_via === "email" && flow.last_sent_at === flow.created_at;
  const wait = flow.last_sent_at + config.recovery.resendCooldownMs - now;
  if (wait > 0 && !firstSwitch) return { ok: false, reason: "cooldown", waitSeconds: Math.ceil(wait / 1000) };

  // Resends count against the same per-identifier and per-client limits as requests.
  const refused = await consumeEach(context.services.limits, [
    ["recovery_per_ip", `${purpose}:${context.clientKey}`],
    ["recovery_per_identifier", flow.identifier_key],
  ]);
  if (refused) return { ok: false, reason: "cooldown", waitSeconds: refused.retryAfterSeconds };
  const token = randomToken();
  const code = randomDigits(6);
  // "Text me a code instead" goes to the account's verified phone, never a number typed here.
  const channel: ChannelId = options.viaSms || flow.requested_via === "phone" ? "sms" : "email";
  const target = user && user.status === "active" ? CHANNELS[channel].destinationOf(user) : null;
  const destinationOk = await destinationAllowed(context, target ?? flow.identifier_key, channel, target !== null, { request, userId: user?.id ?? null });
  // Switching to SMS replaces only the code: the emailed link keeps working.
  const keepLink = options.viaSms && flow.requested_via === "email";
  const fresh = {
    link_token_hash: keepLink ? flow.link_token_hash : sha256Hex(token),
    code_hash: codeHash(context, flow.id, code),
    last_sent_at: now,
    expires_at: keepLink ? flow.expires_at : now + config.recovery.linkTtlMs,
    code_expires_at: now + Math.min(CODE_TTL_MS, config.recovery.linkTtlMs),
    channel: user ? channel : ("none" as const),
  };
  const reissued = await inTransaction(context, async (tx) => {
    // Only while the flow is open: a flow completed meanwhile gets no new link or code.
    const open = await store.reissueFlow(tx.services.db, flow.id, fresh);
    if (!open) return false;
    await store.extendHold(tx.services.db, current.session.id, now + config.recovery.linkTtlMs);
    if (user && target && destinationOk) await queueFlowMessage(tx, purpose, user, channel, token, code);
    await recordEvent(tx, { event: `${PURPOSES[purpose].event}_resent`, outcome: "info", userId: flow.user_id, details: { channel } });
    return true;
  });
  return reissued ? { ok: true } : { ok: false, reason: "no-flow" };
}

export type LinkStatus = "valid" | "expired" | "used" | "invalid";

async function flowForToken(context: RequestContext, purpose: Purpose, token: string): Promise<Flow | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const flow = await store.findFlowByTokenHash(context.services.db, sha256Hex(token));
  // A token is bound to its purpose: an unlock link never opens a reset (TOK-03).
  return flow && flow.purpose === purpose ? flow : undefined;
}

function linkStatus(context: RequestContext, flow: Flow | undefined): LinkStatus {
  if (!flow || !flow.user_id) return "invalid";
  if (flow.status !== "active") return "used";
  if (context.services.clock.now() >= flow.expires_at) return "expired";
  return "valid";
}

/**
 * Looks at a link without changing anything: GET and HEAD from mail scanners are harmless
 * (TOK-10). Invalid tokens still count against the client's guessing budget (TOK-09).
 */
export async function inspectLink(context: RequestContext, purpose: Purpose, token: string): Promise<LinkStatus | "throttled"> {
  const looked = await guardedLookup(
    context.services.limits,
    context.clientKey,
    async () => linkStatus(context, await flowForToken(context, purpose, token)),
    (status) => status !== "invalid",
  );
  return looked ? looked.found : "throttled";
}

export type AcceptOutcome = { ok: true; cookie: string } | { ok: false; status: Exclude<LinkStatus, "valid"> | "throttled" };

/**
 * The Continue button: gives *this* browser a verified hold on the flow and leaves the token
 * usable until the flow completes, so a scanner that submits the form cannot burn the link.
 */
export async function acceptLink(context: RequestContext, purpose: Purpose, token: string): Promise<AcceptOutcome> {
  const { clock, config, limits } = context.services;
  const looked = await guardedLookup(limits, context.clientKey, () => flowForToken(context, purpose, token), (found) => linkStatus(context, found) !== "invalid");
  if (!looked) return { ok: false, status: "throttled" };
  const flow = looked.found;
  const status = linkStatus(context, flow);
  if (status !== "valid" || !flow) {
    await recordEvent(context, { event: `${PURPOSES[purpose].event}_link_refused`, outcome: "failure", userId: flow?.user_id ?? null, details: { status } });
    return { ok: false, status: status === "valid" ? "invalid" : status };
  }
  const now = clock.now();
  const id = timeOrderedId(now);
  const secret = randomId();
  const accepted = await inTransaction(context, async (tx) => {
    // The hold is granted only while the flow is still open, in the same statement, so a link
    // whose flow another request has just completed cannot hand out a fresh hold (TOK-04).
    const hold = holdRow(id, secret, flow.id, "verified", now, Math.min(flow.expires_at, now + config.recovery.resetSessionMs));
    if (!(await store.openHoldOnLiveFlow(tx.services.db, hold, now))) return false;
    await recordEvent(tx, { event: `${PURPOSES[purpose].event}_link_verified`, outcome: "success", userId: flow.user_id });
    return true;
  });
  if (!accepted) {
    const late = now >= flow.expires_at ? "expired" : "used";
    await recordEvent(context, { event: `${PURPOSES[purpose].event}_link_refused`, outcome: "failure", userId: flow.user_id, details: { status: late } });
    return { ok: false, status: late };
  }
  return { ok: true, cookie: recoveryCookie(context, id, secret, config.recovery.resetSessionMs) };
}

/**
 * Ends a flow for good, inside the caller's transaction: consumes its token atomically and kills
 * every other flow, code and browser hold of the account (TOK-04, TOK-06). Returns false when
 * another request completed it first.
 */
export async function consumeFlow(db: Db, flow: Flow, now: number): Promise<boolean> {
  if (!(await store.consumeFlow(db, flow.id, now))) return false;
  if (flow.user_id) await store.cancelFlows(db, { userId: flow.user_id });
  return true;
}

/**
 * A flow that starts already verified, for a browser that has just proven control some other
 * way (an unlock link or code, later a passkey). No message is sent; the cookie is returned.
 */
export async function startVerifiedFlow(
  context: RequestContext,
  purpose: Purpose,
  user: User,
  state: "verified" | "second_factor_verified" = "verified",
): Promise<string> {
  const { clock, config } = context.services;
  const now = clock.now();
  const flowId = timeOrderedId(now);
  const id = timeOrderedId(now);
  const secret = randomId();
  const key = identifierKey(context, purpose, user.username);
  // Joins the caller's transaction when it passes its `tx`.
  await inTransaction(context, async (tx) => {
    const db = tx.services.db;
    await store.cancelFlows(db, { userId: user.id, purpose });
    await store.openFlow(db, {
      id: flowId,
      purpose,
      identifier_key: key,
      user_id: user.id,
      channel: "none",
      link_token_hash: null,
      code_hash: null,
      created_at: now,
      expires_at: now + config.recovery.resetSessionMs,
      code_expires_at: now,
      last_sent_at: now,
    });
    await insertRecoverySession(db, id, secret, flowId, state, now, now + config.recovery.resetSessionMs);
  });
  return recoveryCookie(context, id, secret, config.recovery.resetSessionMs);
}

/**
 * A reset started for a customer by support staff after checking who they are (AR-04): the
 * ordinary link goes to a contact the account has already verified. Staff never see it.
 */
export async function startRecoveryForUser(context: RequestContext, user: User, channel: ChannelId): Promise<void> {
  const { clock, config } = context.services;
  const now = clock.now();
  const token = randomToken();
  const flowId = timeOrderedId(now);
  const key = identifierKey(context, "reset", user.username);
  // Joins the caller's transaction when it passes its `tx`.
  await inTransaction(context, async (tx) => {
    await store.cancelFlows(tx.services.db, { userId: user.id, purpose: "reset" });
    await store.openFlow(tx.services.db, {
      id: flowId,
      purpose: "reset",
      identifier_key: key,
      user_id: user.id,
      channel,
      link_token_hash: sha256Hex(token),
      code_hash: null,
      created_at: now,
      expires_at: now + config.recovery.linkTtlMs,
      code_expires_at: now,
      last_sent_at: now,
    });
    await tx.services.send({
      channel,
      to: destination(user, channel),
      template: "password-reset-link",
      payload: {
        appName: config.appName,
        username: user.username,
        link: `${config.appOrigin}${PURPOSES.reset.linkPath}${token}`,
        minutes: Math.round(config.recovery.linkTtlMs / 60_000),
        supportUrl: `${config.appOrigin}/assisted-recovery`,
        locale: user.locale ?? config.defaultLocale,
      },
    });
  });
}
