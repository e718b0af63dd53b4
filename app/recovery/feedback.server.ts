import type { RequestContext } from "~/context.server";
import type { User } from "~/accounts/accounts.server";
import { hasTotp, listPasskeys, recoveryCodesLeft } from "~/factors/factors.server";
import { clearCookie, readCookie, serializeCookie } from "~/http/cookies.server";
import { hmacHex, randomId, safeEqual } from "~/security/crypto.server";
import * as store from "~/stores/feedback.store";
import type { Hold } from "./journey.server";
import type { Purpose } from "./flows.server";

/**
 * After recovery (issue 15): the "make it easier next time" panel and the "How easy was this?"
 * feedback of the reset and unlock done pages and of the ticket-closed e-mail.
 *
 * - The done page learns what the account lacks from a short-lived cookie signed with SECRET_KEY
 *   that only the browser that finished the recovery receives (set on the redirect to the done
 *   page). It names no account: only the purpose, the missing items and the feedback token.
 * - A feedback token is a value signed with SECRET_KEY naming the subject (the recovery flow or
 *   the ticket), the method and the purpose, with an expiry. It is embedded in the done page's form
 *   or in the e-mail's link; no sign-in is needed. One answer per subject: the feedback table's
 *   UNIQUE (kind, subject_id) constraint decides, so a second submission changes nothing.
 */

// ---- what the account lacks ---------------------------------------------------------------

export const NEXT_TIME_ITEMS = {
  passkey: {
    text: "A passkey: sign in with your fingerprint, face or screen lock, with no password to forget.",
    button: "Add a passkey",
    next: "/account/security",
  },
  totp: {
    text: "An authenticator app: a code on your phone that proves it's you, even without signal.",
    button: "Set up an authenticator app",
    next: "/account/totp",
  },
  codes: {
    text: "Recovery codes: backup codes you save or print, for when your phone is lost.",
    button: "Get recovery codes",
    next: "/account/security",
  },
  phone: {
    text: "A verified phone number: we can text you a code when your email is out of reach.",
    button: "Add a phone number",
    next: "/account/phone",
  },
} as const;
export type NextTimeItem = keyof typeof NEXT_TIME_ITEMS;
const ITEM_KEYS = Object.keys(NEXT_TIME_ITEMS) as NextTimeItem[];

/** What this account lacks among a passkey, an authenticator app, recovery codes and a verified phone. */
export async function missingItems(context: RequestContext, user: User): Promise<NextTimeItem[]> {
  const { db } = context.services;
  const have: Record<NextTimeItem, boolean> = {
    passkey: (await listPasskeys(db, user.id)).length > 0,
    totp: await hasTotp(db, user.id),
    codes: (await recoveryCodesLeft(db, user.id)) > 0,
    phone: Boolean(user.phone) && user.phone_verified === 1,
  };
  return ITEM_KEYS.filter((k) => !have[k]);
}

// ---- how the recovery was proven ----------------------------------------------------------

/** The methods a feedback row may name. */
export const FEEDBACK_METHODS = {
  link: "E-mail link",
  code: "E-mail code",
  sms: "SMS",
  passkey: "Passkey",
  "sign-in": "Password change at sign-in",
  assisted: "Support (web form)",
  phone: "Support (phone)",
} as const;
export type FeedbackMethod = keyof typeof FEEDBACK_METHODS;

const ENTRY_EVENTS = ["password_reset_passkey_verified", "password_change_required", "account_unlock_link_verified", "account_unlock_code_verified"] as const;
/** A passkey's audit event is written just after its flow opens. */
const ENTRY_SLACK_MS = 60_000;

/**
 * How the hold's flow was proven, read from the flow itself before it is consumed: a support
 * approval's link (no code), an SMS channel, a spent code, or else the link. A flow that started
 * already verified (channel none, no link) takes the latest entry event of the account.
 */
export async function recoveryMethod(context: RequestContext, hold: Hold, purpose: Purpose): Promise<{ method: FeedbackMethod; purpose: Purpose }> {
  const { flow, user } = hold;
  if (flow.link_token_hash !== null && flow.code_expires_at <= flow.created_at) return { method: "assisted", purpose };
  if (flow.channel === "sms") return { method: "sms", purpose };
  if (flow.channel === "email") return { method: flow.code_hash === null ? "code" : "link", purpose };
  const event = await store.latestAuditEvent(context.services.db, user.id, ENTRY_EVENTS, flow.created_at + ENTRY_SLACK_MS);
  if (event === "password_reset_passkey_verified") return { method: "passkey", purpose };
  if (event === "password_change_required") return { method: "sign-in", purpose };
  // An unlock that went on to "choose a new password": one recovery, started as an unlock.
  if (event === "account_unlock_code_verified") return { method: "code", purpose: "unlock" };
  return { method: "link", purpose: event === "account_unlock_link_verified" ? "unlock" : purpose };
}

// ---- signed feedback tokens ---------------------------------------------------------------

export type FeedbackPurpose = Purpose | "ticket";
export type FeedbackSubject = { kind: store.FeedbackKind; subjectId: string; method: FeedbackMethod; purpose: FeedbackPurpose; expiresAt: number };

const DAY_MS = 86_400_000;
/** How long a done page's form and a ticket e-mail's link accept an answer. */
export const FEEDBACK_TTL_MS = { recovery: DAY_MS, ticket: 30 * DAY_MS } as const;

const KIND_CODE = { recovery: "r", ticket: "t" } as const;
const TOKEN_RE = /^([rt])\.([a-z2-7]{8,40})\.([a-z-]{2,12})\.(reset|unlock|ticket)\.([0-9a-z]{1,12})\.([0-9a-f]{64})$/;

function sign(context: RequestContext, body: string): string {
  return hmacHex(context.services.config.secretKey, `feedback:${body}`);
}

export function feedbackToken(context: RequestContext, subject: Omit<FeedbackSubject, "expiresAt">): string {
  const expiresAt = context.services.clock.now() + FEEDBACK_TTL_MS[subject.kind];
  const body = `${KIND_CODE[subject.kind]}.${subject.subjectId}.${subject.method}.${subject.purpose}.${expiresAt.toString(36)}`;
  return `${body}.${sign(context, body)}`;
}

/** The subject a token names; null when it is malformed or forged, "expired" when too old. */
export function readFeedbackToken(context: RequestContext, token: string): FeedbackSubject | "expired" | null {
  const m = TOKEN_RE.exec(token);
  if (!m) return null;
  const body = token.slice(0, token.lastIndexOf("."));
  if (!safeEqual(sign(context, body), m[6])) return null;
  if (!(m[3] in FEEDBACK_METHODS)) return null;
  const kind = m[1] === "r" ? "recovery" : "ticket";
  if ((kind === "ticket") !== (m[4] === "ticket")) return null;
  const expiresAt = parseInt(m[5], 36);
  if (context.services.clock.now() >= expiresAt) return "expired";
  return { kind, subjectId: m[2], method: m[3] as FeedbackMethod, purpose: m[4] as FeedbackPurpose, expiresAt };
}

/** The link in the ticket-closed e-mail. */
export function ticketFeedbackUrl(context: RequestContext, ticket: { id: string; channel: string }): string {
  const token = feedbackToken(context, { kind: "ticket", subjectId: ticket.id, method: ticket.channel === "phone" ? "phone" : "assisted", purpose: "ticket" });
  return `${context.services.config.appOrigin}/feedback/${token}`;
}

export const COMMENT_MAX = 1000;

export type FeedbackOutcome =
  | { ok: true }
  | { ok: false; reason: "invalid" | "expired" | "answered" }
  | { ok: false; reason: "input"; errors: { score?: string; comment?: string } };

/** Whether this token's subject has an answer already (for the page that shows the form). */
export async function feedbackState(context: RequestContext, token: string): Promise<"open" | "answered" | "expired" | "invalid"> {
  const subject = readFeedbackToken(context, token);
  if (subject === null) return "invalid";
  if (subject === "expired") return "expired";
  return (await store.hasFeedback(context.services.db, subject.kind, subject.subjectId)) ? "answered" : "open";
}

/** Stores one answer for the token's subject; a second one for the same subject changes nothing. */
export async function submitFeedback(context: RequestContext, token: string, input: { score: string; comment: string }): Promise<FeedbackOutcome> {
  const subject = readFeedbackToken(context, token);
  if (subject === null) return { ok: false, reason: "invalid" };
  if (subject === "expired") return { ok: false, reason: "expired" };
  const errors: { score?: string; comment?: string } = {};
  if (!/^[1-5]$/.test(input.score)) errors.score = "Choose how easy it was, from 1 to 5.";
  const comment = input.comment.trim();
  if ([...comment].length > COMMENT_MAX) errors.comment = `Keep the comment to ${COMMENT_MAX} characters or fewer.`;
  if (errors.score || errors.comment) return { ok: false, reason: "input", errors };
  const stored = await store.insertFeedback(context.services.db, {
    id: randomId(),
    kind: subject.kind,
    subject_id: subject.subjectId,
    method: subject.method,
    purpose: subject.purpose,
    score: Number(input.score),
    comment: comment.length > 0 ? comment : null,
    created_at: context.services.clock.now(),
  });
  if (!stored) return { ok: false, reason: "answered" };
  return { ok: true };
}

// ---- what the done page knows -------------------------------------------------------------

export const DONE_COOKIE = "recovery_done";
const DONE_MAX_AGE_S = 3600;

/**
 * The cookie for the redirect to a done page, made from the hold before the flow is consumed:
 * the purpose, what the account lacks and the feedback token, signed. Read only by readDone.
 */
export async function doneCookie(context: RequestContext, hold: Hold, purpose: Purpose): Promise<string> {
  const missing = await missingItems(context, hold.user);
  const how = await recoveryMethod(context, hold, purpose);
  const token = feedbackToken(context, { kind: "recovery", subjectId: hold.flow.id, method: how.method, purpose: how.purpose });
  const payload = Buffer.from([purpose, missing.join(","), token].join("|")).toString("base64url");
  const value = `${payload}.${hmacHex(context.services.config.secretKey, `done:${payload}`)}`;
  return serializeCookie(DONE_COOKIE, value, { secure: context.services.config.secureCookies, sameSite: "Strict", maxAgeSeconds: DONE_MAX_AGE_S });
}

export function clearDoneCookie(context: RequestContext): string {
  return clearCookie(DONE_COOKIE, { secure: context.services.config.secureCookies, sameSite: "Strict" });
}

export type DonePageData = { missing: { key: NextTimeItem; text: string; button: string; href: string }[]; feedback: { token: string; state: "open" | "answered" | "expired" } | null };

/** What the done page of `purpose` may show this browser; nothing for any other browser. */
export async function readDone(context: RequestContext, request: Request, purpose: Purpose): Promise<DonePageData> {
  const none: DonePageData = { missing: [], feedback: null };
  const value = readCookie(request, DONE_COOKIE, context.services.config.secureCookies);
  if (!value) return none;
  const [payload, mac] = value.split(".");
  if (!payload || !mac || !/^[0-9a-f]{64}$/.test(mac) || !safeEqual(hmacHex(context.services.config.secretKey, `done:${payload}`), mac)) return none;
  const [cookiePurpose, missingText, token] = Buffer.from(payload, "base64url").toString("utf8").split("|");
  if (cookiePurpose !== purpose || token === undefined) return none;
  const missing = (missingText ? missingText.split(",") : []).filter((k): k is NextTimeItem => k in NEXT_TIME_ITEMS);
  const state = await feedbackState(context, token);
  return {
    missing: missing.map((key) => ({ key, text: NEXT_TIME_ITEMS[key].text, button: NEXT_TIME_ITEMS[key].button, href: `/login?next=${NEXT_TIME_ITEMS[key].next}` })),
    feedback: state === "invalid" ? null : { token, state },
  };
}
