import type { AppLoadContext } from "@remix-run/node";
import type { Db } from "~/db/db.server";
import { findUserById, findUsersByLogin, findUsersByVerifiedPhone, type User } from "~/accounts/accounts.server";
import { looksLikePhone, normalisePhone } from "~/accounts/phone";
import { smsAllowed } from "~/delivery/sms-guard.server";
import { normaliseIdentifier } from "~/accounts/identifiers";
import { clearCookie, readCookie, serializeCookie } from "~/http/cookies.server";
import { hmacHex, randomDigits, randomId, randomToken, safeEqual, sha256Bytes, sha256Hex } from "~/security/crypto.server";
import { knownDevice } from "~/sessions/device.server";
import { guardedLookup } from "~/limits/limits.server";
import { cancelFlowsForUser } from "~/stores/recovery-flows.store";
import { recordEvent } from "~/audit/events.server";

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

export type Purpose = "reset" | "unlock";
export const RECOVERY_COOKIE = "recovery";

export type Flow = {
  id: string;
  purpose: Purpose;
  identifier_key: string;
  user_id: string | null;
  channel: "email" | "sms" | "none";
  link_token_hash: string | null;
  code_hash: string | null;
  code_attempts: number;
  failed_count: number;
  status: "active" | "consumed" | "cancelled";
  created_at: number;
  expires_at: number;
  code_expires_at: number;
  last_sent_at: number;
  consumed_at: number | null;
  requested_via: "email" | "phone";
};

export type RecoverySession = {
  id: string;
  flow_id: string;
  state: "pending" | "verified" | "second_factor_verified";
  created_at: number;
  expires_at: number;
};

const CODE_TTL_MS = 10 * 60_000; // OTP-04: codes live at most 10 minutes, whatever the link's lifetime.

export const PURPOSES: Record<Purpose, { linkPath: string; template: "password-reset" | "account-unlock"; event: string }> = {
  reset: { linkPath: "/reset/", template: "password-reset", event: "password_reset" },
  unlock: { linkPath: "/unlock/", template: "account-unlock", event: "account_unlock" },
};

/**
 * The key of what was typed, from its canonical form (E.164 for a phone number, lower case for a
 * username or e-mail), so that spellings of one number share one flow key and one budget (M4, L4).
 */
function identifierKey(context: AppLoadContext, purpose: Purpose, identifier: string): string {
  const canonical = typedPhone(identifier) ? (normalisePhone(identifier, context.services.config.defaultPhoneRegion) ?? identifier) : identifier;
  return hmacHex(context.services.config.secretKey, `${purpose}:${canonical}`);
}

function codeHash(context: AppLoadContext, flowId: string, code: string): string {
  // Six digits are guessable offline from a plain hash, so the code is keyed with the portal's
  // secret and bound to its flow (OTP-02, OTP-03).
  return hmacHex(context.services.config.secretKey, `code:${flowId}:${code}`);
}

export function typedPhone(identifier: string): boolean {
  return looksLikePhone(identifier) && !identifier.includes("@");
}

type Resolved = { user: User | null; ambiguous: User[]; channel: "email" | "sms"; destination: string | null };

/**
 * Which account an identifier names: exactly one active account with a verified email (for a
 * username or email), or with that verified phone (for a phone number; OTP-08).
 */
function resolveAccount(context: AppLoadContext, identifier: string): Resolved {
  const { db, config } = context.services;
  if (typedPhone(identifier)) {
    const e164 = normalisePhone(identifier, config.defaultPhoneRegion);
    const matches = e164 ? findUsersByVerifiedPhone(db, e164).filter((u) => u.status === "active") : [];
    return { user: matches.length === 1 ? matches[0] : null, ambiguous: matches.length > 1 ? matches : [], channel: "sms", destination: e164 };
  }
  const matches = findUsersByLogin(db, identifier).filter((u) => u.status === "active" && u.email_verified === 1);
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
  context: AppLoadContext,
  request: Request,
  purpose: Purpose,
  rawIdentifier: string,
  options: { bot?: boolean } = {},
): Promise<RequestOutcome> {
  const { db, clock, config, limits, metrics } = context.services;
  const identifier = normaliseIdentifier(rawIdentifier);
  const key = identifierKey(context, purpose, identifier);

  // Limits are keyed on what was typed and on the client, never on whether it matched (REQ-05).
  for (const [name, limitKey] of [
    ["recovery_per_ip", `${purpose}:${context.clientKey}`],
    ["recovery_per_identifier", key],
  ] as const) {
    const verdict = await limits.consume(name, limitKey);
    if (!verdict.ok) {
      metrics.recoveryRequests.inc({ purpose, outcome: "throttled" });
      metrics.throttled.inc({ limit: name });
      recordEvent(context, { event: `${PURPOSES[purpose].event}_throttled`, outcome: "failure", details: { limit: name } });
      return { ok: false, retryAfterSeconds: verdict.retryAfterSeconds };
    }
  }

  const now = clock.now();
  const resolved: Resolved = options.bot
    ? { user: null, ambiguous: [], channel: "email", destination: null }
    : resolveAccount(context, identifier);
  const { user, ambiguous } = resolved;
  const via = typedPhone(identifier) ? "phone" : "email";
  const token = randomToken();
  const flowId = randomId();
  const code = randomDigits(6);
  const sessionId = randomId();
  const sessionSecret = randomId();
  // Unknown identifiers are counted against themselves, so every branch does the same work.
  const destinationOk = await destinationAllowed(context, resolved.destination ?? identifier, resolved.channel, Boolean(user || ambiguous.length), {
    request,
    userId: user?.id ?? null,
  });
  // A new request replaces this browser's own earlier request (TOK-06, OTP-06), and nothing else:
  // what happens to a flow never depends on whether an account matched, and a stranger's request
  // cannot cancel the owner's link or code (M4, L14). Finishing a reset ends every flow.
  const previous = currentRecovery(context, request, purpose);

  db.transaction(() => {
    if (previous) db.prepare("UPDATE recovery_flows SET status = 'cancelled', code_hash = NULL WHERE id = ? AND status = 'active'").run(previous.flow.id);
    db.prepare(
      `INSERT INTO recovery_flows (id, purpose, identifier_key, user_id, channel, link_token_hash, code_hash, created_at, expires_at, code_expires_at, last_sent_at, requested_via)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      flowId,
      purpose,
      key,
      user?.id ?? null,
      user ? resolved.channel : "none",
      sha256Hex(token),
      codeHash(context, flowId, code),
      now,
      now + config.recovery.linkTtlMs,
      now + Math.min(CODE_TTL_MS, config.recovery.linkTtlMs),
      now,
      via,
    );
    insertRecoverySession(db, sessionId, sessionSecret, flowId, "pending", now, now + config.recovery.linkTtlMs);
    if (user && destinationOk) {
      queueFlowMessage(context, purpose, user, resolved.channel, token, code);
    } else if (ambiguous.length > 0 && destinationOk) {
      // Several accounts share this address or number: say which usernames, and ask for one.
      context.services.send({
        channel: resolved.channel,
        to: resolved.destination!,
        template: "recovery-ambiguous",
        payload: { appName: config.appName, purpose, usernames: ambiguous.map((u) => u.username), origin: config.appOrigin },
      });
    }
    recordEvent(context, {
      event: `${PURPOSES[purpose].event}_requested`,
      outcome: "info",
      userId: user?.id ?? null,
      details: { matched: Boolean(user), ambiguous: ambiguous.length > 1, sent: Boolean((user || ambiguous.length) && destinationOk), bot: Boolean(options.bot) },
    });
  }).immediate();
  metrics.recoveryRequests.inc({ purpose, outcome: "accepted" });

  return { ok: true, cookie: recoveryCookie(context, sessionId, sessionSecret, config.recovery.linkTtlMs) };
}

/**
 * Inbox-flooding guard: at most N messages per destination per hour and per day (OTP-07); for a
 * real SMS destination also the toll-fraud checks.
 */
async function destinationAllowed(
  context: AppLoadContext,
  destination: string,
  channel: "email" | "sms",
  real: boolean,
  asker: { request?: Request; userId: string | null },
): Promise<boolean> {
  const { limits, metrics } = context.services;
  // A browser that signed in to this account before has a budget of its own, so strangers who
  // spend the shared one cannot silence the owner (M9). Strangers never hold such a cookie, so
  // for them every branch is the same.
  const device = asker.userId ? knownDevice(asker.request, context, asker.userId) : null;
  const key = device ? `dest:${destination}:device:${device}` : `dest:${destination}`;
  for (const name of ["messages_per_destination_hour", "messages_per_destination_day"] as const) {
    const verdict = await limits.consume(name, key);
    if (!verdict.ok) {
      metrics.throttled.inc({ limit: name });
      recordEvent(context, { event: "message_suppressed", outcome: "failure", details: { limit: name } });
      return false;
    }
  }
  if (channel === "sms" && real) return smsAllowed(context, destination);
  return true;
}

function queueFlowMessage(context: AppLoadContext, purpose: Purpose, user: User, channel: "email" | "sms", token: string, code: string) {
  const { config } = context.services;
  context.services.send({
    channel,
    to: channel === "sms" ? user.phone! : user.email,
    template: PURPOSES[purpose].template,
    payload: {
      appName: config.appName,
      username: user.username,
      link: `${config.appOrigin}${PURPOSES[purpose].linkPath}${token}`,
      code,
      minutes: Math.round(config.recovery.linkTtlMs / 60_000),
      codeMinutes: Math.round(Math.min(CODE_TTL_MS, config.recovery.linkTtlMs) / 60_000),
      supportUrl: `${config.appOrigin}/assisted-recovery`,
    },
  });
}

function insertRecoverySession(
  db: Db,
  id: string,
  secret: string,
  flowId: string,
  state: RecoverySession["state"],
  now: number,
  expiresAt: number,
) {
  db.prepare(
    "INSERT INTO recovery_sessions (id, secret_hash, flow_id, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
  ).run(id, Buffer.from(sha256Bytes(secret)), flowId, state, now, expiresAt);
}

function recoveryCookie(context: AppLoadContext, id: string, secret: string, ttlMs: number): string {
  const { config } = context.services;
  return serializeCookie(RECOVERY_COOKIE, `${id}.${secret}`, {
    secure: config.secureCookies,
    sameSite: "Strict",
    maxAgeSeconds: ttlMs / 1000,
  });
}

export function clearRecoveryCookie(context: AppLoadContext): string {
  return clearCookie(RECOVERY_COOKIE, { secure: context.services.config.secureCookies, sameSite: "Strict" });
}

export type Current = { session: RecoverySession; flow: Flow; user: User | null };

/** The flow this browser holds for `purpose`, if its cookie is genuine and nothing has expired. */
export function currentRecovery(context: AppLoadContext, request: Request, purpose: Purpose): Current | null {
  const { db, clock, config } = context.services;
  const value = readCookie(request, RECOVERY_COOKIE, config.secureCookies);
  if (!value) return null;
  const [id, secret] = value.split(".");
  if (!id || !secret || !/^[a-z2-7]{24}$/.test(id) || !/^[a-z2-7]{24}$/.test(secret)) return null;
  const row = db.prepare("SELECT * FROM recovery_sessions WHERE id = ?").get(id) as (RecoverySession & { secret_hash: Buffer }) | undefined;
  if (!row || !safeEqual(sha256Bytes(secret), new Uint8Array(row.secret_hash))) return null;
  if (clock.now() >= row.expires_at) return null;
  const flow = db.prepare("SELECT * FROM recovery_flows WHERE id = ?").get(row.flow_id) as Flow | undefined;
  if (!flow || flow.purpose !== purpose) return null;
  const { secret_hash: _omit, ...session } = row;
  void _omit;
  return { session, flow, user: flow.user_id ? (findUserById(db, flow.user_id) ?? null) : null };
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
export async function verifyCode(context: AppLoadContext, request: Request, purpose: Purpose, code: string): Promise<CodeOutcome> {
  const { db, clock, config, limits } = context.services;
  const current = currentRecovery(context, request, purpose);
  if (!current) return { ok: false, reason: "no-flow" };
  const { flow, session } = current;
  const now = clock.now();
  const userRef = { userId: flow.user_id };
  if (flow.status !== "active") return { ok: false, reason: "replaced" };
  if (now >= flow.code_expires_at || now >= flow.expires_at) {
    recordEvent(context, { event: `${PURPOSES[purpose].event}_code_expired`, outcome: "failure", ...userRef });
    return { ok: false, reason: "expired" };
  }
  const claimed = db
    .prepare("UPDATE recovery_flows SET code_attempts = code_attempts + 1 WHERE id = ? AND status = 'active' AND code_attempts < ? RETURNING code_attempts")
    .get(flow.id, config.recovery.codeMaxAttempts) as { code_attempts: number } | undefined;
  if (!claimed) return { ok: false, reason: "dead" };
  const attempts = claimed.code_attempts;
  const budgetKey = `otp:${purpose}:${flow.user_id ?? flow.identifier_key}`;
  const budget = await limits.consume("code_failures_per_account", budgetKey);

  const expected = flow.code_hash ?? "";
  const matches = budget.ok && /^\d{6}$/.test(code) && flow.user_id !== null && safeEqual(codeHash(context, flow.id, code), expected);
  // A code works once: only the request that clears it wins (OTP-03).
  const won = matches && db.prepare("UPDATE recovery_flows SET code_hash = NULL WHERE id = ? AND code_hash = ?").run(flow.id, expected).changes === 1;
  if (!won) {
    db.prepare("UPDATE recovery_flows SET failed_count = failed_count + 1 WHERE id = ?").run(flow.id);
    recordEvent(context, { event: `${PURPOSES[purpose].event}_code_failed`, outcome: "failure", ...userRef, details: { attempts, budget: budget.ok ? "ok" : "spent" } });
    if (attempts >= config.recovery.codeMaxAttempts) return { ok: false, reason: "dead" };
    return { ok: false, reason: "wrong", attemptsLeft: config.recovery.codeMaxAttempts - attempts };
  }
  await limits.refund("code_failures_per_account", budgetKey);
  // Move this browser to a fresh verified hold (SES-03).
  const newId = randomId();
  const newSecret = randomId();
  db.transaction(() => {
    db.prepare("DELETE FROM recovery_sessions WHERE id = ?").run(session.id);
    insertRecoverySession(db, newId, newSecret, flow.id, "verified", now, Math.min(flow.expires_at, now + config.recovery.resetSessionMs));
    recordEvent(context, { event: `${PURPOSES[purpose].event}_code_verified`, outcome: "success", ...userRef });
  }).immediate();
  return { ok: true, cookie: recoveryCookie(context, newId, newSecret, config.recovery.resetSessionMs) };
}

export type ResendOutcome = { ok: true } | { ok: false; reason: "cooldown"; waitSeconds: number } | { ok: false; reason: "no-flow" };

/**
 * Sends a fresh link and code for the flow this browser holds. The old link and code stop
 * working (OTP-06); the flow's failure count carries on (OTP-05).
 */
export async function resend(
  context: AppLoadContext,
  request: Request,
  purpose: Purpose,
  options: { viaSms?: boolean } = {},
): Promise<ResendOutcome> {
  const { db, clock, config } = context.services;
  const current = currentRecovery(context, request, purpose);
  if (!current || current.flow.status !== "active" || current.session.state !== "pending") return { ok: false, reason: "no-flow" };
  const { flow, user } = current;
  const now = clock.now();
  // Someone who knows at once they can't reach their email may switch to SMS without waiting,
  // once per request; the rule depends only on the flow, never on the account.
  const firstSwitch = options.viaSms && flow.requested_via === "email" && flow.last_sent_at === flow.created_at;
  const wait = flow.last_sent_at + config.recovery.resendCooldownMs - now;
  if (wait > 0 && !firstSwitch) return { ok: false, reason: "cooldown", waitSeconds: Math.ceil(wait / 1000) };

  // Resends count against the same per-identifier and per-client limits as requests.
  for (const [name, limitKey] of [
    ["recovery_per_ip", `${purpose}:${context.clientKey}`],
    ["recovery_per_identifier", flow.identifier_key],
  ] as const) {
    const verdict = await context.services.limits.consume(name, limitKey);
    if (!verdict.ok) return { ok: false, reason: "cooldown", waitSeconds: verdict.retryAfterSeconds };
  }
  const token = randomToken();
  const code = randomDigits(6);
  // "Text me a code instead" goes to the account's verified phone, never a number typed here.
  const channel: "email" | "sms" = options.viaSms || flow.requested_via === "phone" ? "sms" : "email";
  const target = user && user.status === "active" ? (channel === "sms" ? (user.phone_verified ? user.phone : null) : user.email) : null;
  const destinationOk = await destinationAllowed(context, target ?? flow.identifier_key, channel, target !== null, { request, userId: user?.id ?? null });
  // Switching to SMS replaces only the code: the emailed link keeps working.
  const keepLink = options.viaSms && flow.requested_via === "email";
  db.transaction(() => {
    db.prepare(
      `UPDATE recovery_flows SET link_token_hash = ?, code_hash = ?, code_attempts = 0, last_sent_at = ?, expires_at = ?, code_expires_at = ?, channel = ?
       WHERE id = ?`,
    ).run(
      keepLink ? flow.link_token_hash : sha256Hex(token),
      codeHash(context, flow.id, code),
      now,
      keepLink ? flow.expires_at : now + config.recovery.linkTtlMs,
      now + Math.min(CODE_TTL_MS, config.recovery.linkTtlMs),
      user ? channel : "none",
      flow.id,
    );
    db.prepare("UPDATE recovery_sessions SET expires_at = ? WHERE id = ?").run(now + config.recovery.linkTtlMs, current.session.id);
    if (user && target && destinationOk) queueFlowMessage(context, purpose, user, channel, token, code);
    recordEvent(context, { event: `${PURPOSES[purpose].event}_resent`, outcome: "info", userId: flow.user_id, details: { channel } });
  }).immediate();
  return { ok: true };
}

export type LinkStatus = "valid" | "expired" | "used" | "invalid";

function flowForToken(context: AppLoadContext, purpose: Purpose, token: string): Flow | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const flow = context.services.db.prepare("SELECT * FROM recovery_flows WHERE link_token_hash = ?").get(sha256Hex(token)) as Flow | undefined;
  // A token is bound to its purpose: an unlock link never opens a reset (TOK-03).
  return flow && flow.purpose === purpose ? flow : undefined;
}

function linkStatus(context: AppLoadContext, flow: Flow | undefined): LinkStatus {
  if (!flow || !flow.user_id) return "invalid";
  if (flow.status !== "active") return "used";
  if (context.services.clock.now() >= flow.expires_at) return "expired";
  return "valid";
}

/**
 * Looks at a link without changing anything: GET and HEAD from mail scanners are harmless
 * (TOK-10). Invalid tokens still count against the client's guessing budget (TOK-09).
 */
export async function inspectLink(context: AppLoadContext, purpose: Purpose, token: string): Promise<LinkStatus | "throttled"> {
  const looked = await guardedLookup(
    context.services.limits,
    context.clientKey,
    () => linkStatus(context, flowForToken(context, purpose, token)),
    (status) => status !== "invalid",
  );
  return looked ? looked.found : "throttled";
}

export type AcceptOutcome = { ok: true; cookie: string } | { ok: false; status: Exclude<LinkStatus, "valid"> | "throttled" };

/**
 * The Continue button: gives *this* browser a verified hold on the flow and leaves the token
 * usable until the flow completes, so a scanner that submits the form cannot burn the link.
 */
export async function acceptLink(context: AppLoadContext, purpose: Purpose, token: string): Promise<AcceptOutcome> {
  const { db, clock, config, limits } = context.services;
  const looked = await guardedLookup(limits, context.clientKey, () => flowForToken(context, purpose, token), (found) => linkStatus(context, found) !== "invalid");
  if (!looked) return { ok: false, status: "throttled" };
  const flow = looked.found;
  const status = linkStatus(context, flow);
  if (status !== "valid" || !flow) {
    recordEvent(context, { event: `${PURPOSES[purpose].event}_link_refused`, outcome: "failure", userId: flow?.user_id ?? null, details: { status } });
    return { ok: false, status: status === "valid" ? "invalid" : status };
  }
  const id = randomId();
  const secret = randomId();
  const now = clock.now();
  db.transaction(() => {
    insertRecoverySession(db, id, secret, flow.id, "verified", now, Math.min(flow.expires_at, now + config.recovery.resetSessionMs));
    recordEvent(context, { event: `${PURPOSES[purpose].event}_link_verified`, outcome: "success", userId: flow.user_id });
  }).immediate();
  return { ok: true, cookie: recoveryCookie(context, id, secret, config.recovery.resetSessionMs) };
}

/**
 * Ends a flow for good, inside the caller's transaction: consumes its token atomically and kills
 * every other flow, code and browser hold of the account (TOK-04, TOK-06). Returns false when
 * another request completed it first.
 */
export function consumeFlow(db: Db, flow: Flow, now: number): boolean {
  const won = db
    .prepare("UPDATE recovery_flows SET status = 'consumed', consumed_at = ?, code_hash = NULL WHERE id = ? AND status = 'active' AND expires_at > ?")
    .run(now, flow.id, now).changes === 1;
  if (!won) return false;
  if (flow.user_id) cancelFlowsForUser(db, flow.user_id);
  return true;
}

/** Recent recovery attempts of an account, without secrets (for support staff). */
export function recentFlows(db: Db, userId: string, limit = 20) {
  return db
    .prepare("SELECT id, purpose, channel, status, failed_count, created_at, expires_at, consumed_at FROM recovery_flows WHERE user_id = ? ORDER BY created_at DESC LIMIT ?")
    .all(userId, limit) as Pick<Flow, "id" | "purpose" | "channel" | "status" | "failed_count" | "created_at" | "expires_at" | "consumed_at">[];
}

/**
 * A flow that starts already verified, for a browser that has just proven control some other
 * way (an unlock link or code, later a passkey). No message is sent; the cookie is returned.
 */
export function startVerifiedFlow(
  context: AppLoadContext,
  purpose: Purpose,
  user: User,
  state: "verified" | "second_factor_verified" = "verified",
): string {
  const { db, clock, config } = context.services;
  const now = clock.now();
  const flowId = randomId();
  const id = randomId();
  const secret = randomId();
  db.prepare(
    `UPDATE recovery_flows SET status = 'cancelled', code_hash = NULL WHERE purpose = ? AND status = 'active' AND user_id = ?`,
  ).run(purpose, user.id);
  db.prepare(
    `INSERT INTO recovery_flows (id, purpose, identifier_key, user_id, channel, link_token_hash, code_hash, created_at, expires_at, code_expires_at, last_sent_at)
     VALUES (?, ?, ?, ?, 'none', NULL, NULL, ?, ?, ?, ?)`,
  ).run(flowId, purpose, identifierKey(context, purpose, user.username), user.id, now, now + config.recovery.resetSessionMs, now, now);
  insertRecoverySession(db, id, secret, flowId, state, now, now + config.recovery.resetSessionMs);
  return recoveryCookie(context, id, secret, config.recovery.resetSessionMs);
}

/**
 * A reset started for a customer by support staff after checking who they are (AR-04): the
 * ordinary link goes to a contact the account has already verified. Staff never see it.
 */
export function startRecoveryForUser(context: AppLoadContext, user: User, channel: "email" | "sms"): void {
  const { db, clock, config } = context.services;
  const now = clock.now();
  const token = randomToken();
  const flowId = randomId();
  db.prepare("UPDATE recovery_flows SET status = 'cancelled', code_hash = NULL WHERE purpose = 'reset' AND status = 'active' AND user_id = ?").run(user.id);
  db.prepare(
    `INSERT INTO recovery_flows (id, purpose, identifier_key, user_id, channel, link_token_hash, code_hash, created_at, expires_at, code_expires_at, last_sent_at)
     VALUES (?, 'reset', ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
  ).run(flowId, identifierKey(context, "reset", user.username), user.id, channel, sha256Hex(token), now, now + config.recovery.linkTtlMs, now, now);
  context.services.send({
    channel,
    to: channel === "sms" ? user.phone! : user.email,
    template: "password-reset-link",
    payload: {
      appName: config.appName,
      username: user.username,
      link: `${config.appOrigin}${PURPOSES.reset.linkPath}${token}`,
      minutes: Math.round(config.recovery.linkTtlMs / 60_000),
      supportUrl: `${config.appOrigin}/assisted-recovery`,
    },
  });
}
