import { data, redirect } from "@remix-run/node";
import { readForm } from "~/http/forms.server";
import { inTransaction, type RequestContext } from "~/context.server";
import { serializeOn, transaction } from "~/db/db.server";
import * as staffStore from "~/stores/staff.store";
import { findStaffByEmail, findStaffById, recordStaffEvent, staffHasRole, staffMayEnter, type Staff, type StaffRole } from "./staff.server";
import { normaliseEmail } from "~/accounts/identifiers";
import { dummyHash, verifyPassword } from "~/accounts/password-hash.server";
import { decryptSecret, encryptSecret, newTotpSecret, verifyTotp } from "~/factors/totp.server";
import { clearCookie, readCookie, serializeCookie } from "~/http/cookies.server";
import { recordEvent } from "~/audit/events.server";
import { hmacHex, randomId, safeEqual } from "~/security/crypto.server";
import { utcMinute } from "~/ui/format";
import { createSession, deleteAllSessions, deleteSession, sessionIdFromToken, validateSession, type Session } from "~/sessions/sessions.server";

/**
 * Staff sign-in for /support: password, then always an authenticator code (TOTP). A staff
 * member without an authenticator is sent to set one up before anything else. Between the two
 * steps the browser holds a short signed "password passed" cookie, not a session.
 *
 * Guessing is bounded per staff member, across client addresses and pending cookies (H2, RL-01,
 * MFA-04):
 * - the client address's budget (`login_failures_per_ip`, key `staff:<ip>`) is spent before the
 *   password hash is checked, one point per attempt, so a parallel burst is held to it (M6);
 * - wrong passwords for one e-mail are counted (the staff row, or a keyed-hash row for an e-mail
 *   that names nobody, so both answer alike); from the 5th in a row each attempt must wait a
 *   growing delay (30 s doubling, capped at 15 min). The attempt is counted before the hash check
 *   and forgotten on success;
 * - wrong codes are counted the same way; the 10th in a row locks the staff member (no password
 *   and no code accepted, the same answers as a wrong password or code), ends their sessions and
 *   e-mails them and SUPPORT_EMAIL. Only another staff member (/support/staff) or the CLI
 *   (`staff unlock`) lifts it. A right code forgets both counters.
 * A code is accepted once: the step it matched is written with an atomic
 * `UPDATE … WHERE totp_last_step < ?`, and only the request that changed the row wins (L1).
 */

export const STAFF_COOKIE = "staff_session";
const PENDING_COOKIE = "staff_pending";
const PENDING_MS = 5 * 60_000;

export const STAFF_PASSWORD_DELAY_AFTER = 5;
const STAFF_PASSWORD_DELAY_MS = 30_000;
const STAFF_PASSWORD_DELAY_MAX_MS = 15 * 60_000;
/** A run of wrong passwords with no attempt for a day is forgotten (known and unknown e-mails alike). */
const STAFF_PASSWORD_FORGET_MS = 86_400_000;
export const STAFF_CODE_LOCK_AFTER = 10;


// ---- the "password passed" cookie ------------------------------------------------------------

type Pending = { staffId: string; nonce: string };

function pendingMac(context: RequestContext, staffId: string, expires: number, nonce: string): string {
  return hmacHex(context.services.config.secretKey, `staff-pending:${staffId}:${expires}:${nonce}`);
}

/** The signed cookie alone (no database read): who passed the password step, and which visit. */
function readPending(request: Request, context: RequestContext): Pending | null {
  const { config, clock } = context.services;
  const value = readCookie(request, PENDING_COOKIE, config.secureCookies);
  if (!value) return null;
  const [staffId, expires, nonce, mac] = value.split(".");
  if (!staffId || !expires || !nonce || !mac || Number(expires) < clock.now()) return null;
  if (!safeEqual(mac, pendingMac(context, staffId, Number(expires), nonce))) return null;
  return { staffId, nonce };
}

/** The staff member behind a valid pending cookie, read fresh from the database. */
export async function pendingStaff(request: Request, context: RequestContext): Promise<(Pending & { staff: Staff }) | null> {
  const pending = readPending(request, context);
  const staff = pending ? await findStaffById(context.services.db, pending.staffId) : undefined;
  return pending && staff ? { ...pending, staff } : null;
}

// ---- password step -----------------------------------------------------------------------------

export type PasswordStep =
  | { ok: true; then: "verify" | "setup"; cookie: string }
  | { ok: false; reason: "failed" }
  | { ok: false; reason: "throttled"; retryAfterSeconds: number };


type PasswordSlot = { ok: true } | { ok: false; waitSeconds: number };

/**
 * Counts one password attempt for the typed e-mail before the hash is checked (refunded on
 * success), or refuses while a delay runs. Read and written in one IMMEDIATE transaction, so
 * parallel attempts (in this process or another) claim their counts one at a time.
 */
async function reservePasswordAttempt(context: RequestContext, staff: Staff | undefined, email: string, now: number): Promise<PasswordSlot> {
  const { db, config } = context.services;
  const key = hmacHex(config.secretKey, `staff-login:${normaliseEmail(email)}`).slice(0, 40);
  return transaction(db, async (trx): Promise<PasswordSlot> => {
    await serializeOn(trx, staff ? `staff_password:${staff.id}` : `staff_password:${key}`);
    const row = staff ? await staffStore.staffPasswordFailures(trx, staff.id) : await staffStore.unknownLoginFailures(trx, key);
    if (row && row.delay_until > now) return { ok: false, waitSeconds: Math.ceil((row.delay_until - now) / 1000) };
    const previous = row && now - row.updated_at < STAFF_PASSWORD_FORGET_MS ? row.failures : 0;
    const failures = previous + 1;
    const delayUntil =
      failures >= STAFF_PASSWORD_DELAY_AFTER
        ? now + Math.min(STAFF_PASSWORD_DELAY_MS * 2 ** (failures - STAFF_PASSWORD_DELAY_AFTER), STAFF_PASSWORD_DELAY_MAX_MS)
        : 0;
    if (staff) await staffStore.setStaffPasswordFailures(trx, staff.id, failures, delayUntil, now);
    else await staffStore.setUnknownLoginFailures(trx, key, failures, delayUntil, now, now - STAFF_PASSWORD_FORGET_MS);
    return { ok: true };
  });
}

export async function staffPasswordStep(context: RequestContext, email: string, password: string): Promise<PasswordStep> {
  const { db, clock, config, limits } = context.services;
  // Spent before the hash is checked, whatever the outcome (M6): a burst from one address is held
  // to the budget however many requests run at once.
  const budget = await limits.consume("login_failures_per_ip", `staff:${context.clientKey}`);
  if (!budget.ok) return { ok: false, reason: "throttled", retryAfterSeconds: budget.retryAfterSeconds };
  const found = await findStaffByEmail(db, email);
  const slot = await reservePasswordAttempt(context, found, email, clock.now());
  if (!slot.ok) {
    await recordEvent(context, { event: "staff_sign_in", outcome: "failure", actorType: "staff", actorId: found?.id ?? null, details: { step: "password", reason: "delayed" } });
    return { ok: false, reason: "throttled", retryAfterSeconds: slot.waitSeconds };
  }
  const ok = found?.password_hash ? await verifyPassword(found.password_hash, password) : (await verifyPassword(await dummyHash(), password), false);
  // Read again after the hash: a lock or a disable during the check still counts.
  const staff = found ? await findStaffById(db, found.id) : undefined;
  if (!staff || !ok || !staffMayEnter(staff)) {
    // A locked or disabled staff member gets exactly the wrong-password answer (no oracle).
    await recordEvent(context, {
      event: "staff_sign_in",
      outcome: "failure",
      actorType: "staff",
      actorId: staff?.id ?? null,
      details: { step: "password", ...(staff && ok ? { reason: staff.status === "active" ? "locked" : "disabled" } : {}) },
    });
    return { ok: false, reason: "failed" };
  }
  await staffStore.clearStaffPasswordFailures(db, staff.id);
  const expires = clock.now() + PENDING_MS;
  const nonce = randomId();
  return {
    ok: true,
    then: staff.totp_confirmed_at ? "verify" : "setup",
    cookie: serializeCookie(PENDING_COOKIE, `${staff.id}.${expires}.${nonce}.${pendingMac(context, staff.id, expires, nonce)}`, {
      secure: config.secureCookies,
      sameSite: "Strict",
      maxAgeSeconds: PENDING_MS / 1000,
    }),
  };
}

// ---- authenticator set-up ----------------------------------------------------------------------

/**
 * The authenticator secret being set up, shown only to the one "password passed" cookie it was
 * made for (L12): the first view from a new password step makes a fresh secret (replacing any
 * unconfirmed one), reloads and a wrong code show the same one again, and only that cookie can
 * confirm it. Whoever merely knows the password never sees a secret someone else was shown.
 * Null once the staff member has an authenticator or may not sign in.
 */
export async function setupSecret(context: RequestContext, pending: Pending): Promise<string | null> {
  const { db, config } = context.services;
  // Made before the transaction, and used only if this visit has no secret yet.
  const fresh = newTotpSecret();
  const sealedFresh = encryptSecret(config.secretKey, fresh);
  const kept = await transaction(db, async (trx): Promise<{ sealed: string } | "fresh" | null> => {
    await serializeOn(trx, `staff_totp_setup:${pending.staffId}`);
    const staff = await findStaffById(trx, pending.staffId);
    if (!staff || staff.totp_confirmed_at || !staffMayEnter(staff)) return null;
    if (staff.totp_secret && staff.totp_setup_nonce === pending.nonce) return { sealed: staff.totp_secret };
    await staffStore.setSetupSecret(trx, staff.id, sealedFresh, pending.nonce);
    return "fresh";
  });
  if (kept === null) return null;
  return kept === "fresh" ? fresh : decryptSecret(config.secretKey, kept.sealed);
}

// ---- code step -----------------------------------------------------------------------------------

/** Locks after the 10th wrong code in a row: sessions end, the staff member and support are told. */
async function lockIfExhausted(context: RequestContext, staffId: string): Promise<void> {
  const { clock, config } = context.services;
  const now = clock.now();
  const locked = await inTransaction(context, async (tx): Promise<Staff | null> => {
    const db = tx.services.db;
    if (!(await staffStore.lockStaffIfExhausted(db, staffId, now, context.clientIp, STAFF_CODE_LOCK_AFTER))) return null;
    const staff = (await findStaffById(db, staffId))!;
    await deleteAllSessions(db, { type: "staff", id: staffId });
    await recordStaffEvent(db, { staff_id: staffId, at: now, actor: "system", action: "locked", note: null });
    await recordEvent(tx, { event: "staff_locked", outcome: "info", actorType: "system", actorId: null, details: { staff_id: staffId, failures: staff.failed_code_count } });
    const payload = {
      appName: config.appName,
      staffName: staff.name,
      staffEmail: staff.email,
      when: utcMinute(now),
      ip: context.clientIp,
      failures: staff.failed_code_count,
      staffPageUrl: new URL("/support/staff", config.appOrigin).toString(),
      supportEmail: config.supportEmail,
    };
    for (const to of new Set([staff.email, config.supportEmail])) await tx.services.send({ channel: "email", to, template: "staff-locked", payload });
    return staff;
  });
  if (locked) context.services.logger.warn({ event: "staff_locked", staffId, ip: context.clientIp }, "staff member locked after repeated wrong authenticator codes");
}

/**
 * Second step: a current code from the authenticator (setup confirms it the same way). Starts a
 * staff session and returns its cookies, or null for a wrong or replayed code, or for a staff
 * member who may not sign in (locked, disabled) — all answered alike.
 */
export async function staffTotpStep(context: RequestContext, request: Request, pending: Pending, step: "setup" | "verify", code: string): Promise<string[] | null> {
  const { db, clock, config } = context.services;
  // Count the attempt before checking it (refunded by a right code), and never more than the
  // lock allows, however many requests run at once.
  const reserved = await staffStore.reserveCodeAttempt(db, pending.staffId, STAFF_CODE_LOCK_AFTER);
  // The row is read after the request body has arrived and after the reservation (L1).
  const staff = await findStaffById(db, pending.staffId);
  const fail = async (reason: string) => {
    await recordEvent(context, { event: "staff_sign_in", outcome: "failure", actorType: "staff", actorId: pending.staffId, details: { step, reason, failures: staff?.failed_code_count ?? 0 } });
    if (reserved) await lockIfExhausted(context, pending.staffId);
    return null;
  };
  if (!reserved || !staff) return fail("refused");
  const usable = staff.totp_secret && (step === "verify" ? staff.totp_confirmed_at : !staff.totp_confirmed_at && staff.totp_setup_nonce === pending.nonce);
  if (!usable) return fail("no_authenticator");
  const secret = decryptSecret(config.secretKey, staff.totp_secret!);
  const matched = await verifyTotp(secret, code.replace(/\s/g, ""), clock.now(), staff.totp_last_step);
  if (matched === null) return fail("wrong_code");
  // The replay check and the success are one atomic write: of two requests with the same code,
  // only the one that moves totp_last_step forward gets a session.
  const won = await staffStore.spendTotpStep(db, staff.id, matched, staff.totp_secret!, clock.now());
  if (!won) return fail("replayed");
  const old = readCookie(request, STAFF_COOKIE, config.secureCookies);
  if (old) await deleteSession(db, sessionIdFromToken(old));
  const { token } = await createSession(db, { type: "staff", id: staff.id }, clock.now(), config.session, { ip: context.clientIp, userAgent: context.userAgent });
  await recordEvent(context, { event: step === "setup" ? "staff_totp_enrolled" : "staff_sign_in", outcome: "success", actorType: "staff", actorId: staff.id });
  return [
    serializeCookie(STAFF_COOKIE, token, { secure: config.secureCookies, sameSite: "Strict" }),
    clearCookie(PENDING_COOKIE, { secure: config.secureCookies, sameSite: "Strict" }),
  ];
}

// ---- sessions ----------------------------------------------------------------------------------

/** The signed-in staff member, or a redirect to sign in (also for a disabled or locked one). */
export async function requireStaff(request: Request, context: RequestContext): Promise<{ staff: Staff; session: Session }> {
  const { db, clock, config } = context.services;
  const token = readCookie(request, STAFF_COOKIE, config.secureCookies);
  const session = token ? await validateSession(db, token, clock.now(), config.session) : null;
  const staff = session?.subject_type === "staff" ? await findStaffById(db, session.subject_id) : undefined;
  if (session && staff && !staffMayEnter(staff)) await deleteSession(db, session.id);
  if (!session || !staff || !staff.totp_confirmed_at || !staffMayEnter(staff)) throw redirect("/support/login");
  return { staff, session };
}

/** What a signed-in staff member without the role a page needs is told (403). */
export const ROLE_REFUSAL: Record<Exclude<StaffRole, "agent">, string> = {
  supervisor: "This page is for supervisors and admins. Ask a supervisor if you need something done here.",
  admin: "This page is for admins. Ask an admin if you need something done here.",
};

/**
 * The signed-in staff member, who must hold at least `minimum` (agent < supervisor < admin), read
 * fresh on every request: a redirect to sign in as requireStaff, a 403 page for a lower role.
 */
export async function requireStaffRole(request: Request, context: RequestContext, minimum: Exclude<StaffRole, "agent">): Promise<{ staff: Staff; session: Session }> {
  const signedIn = await requireStaff(request, context);
  if (!staffHasRole(signedIn.staff, minimum)) {
    await recordEvent(context, {
      event: "staff_access_refused",
      outcome: "failure",
      actorType: "staff",
      actorId: signedIn.staff.id,
      details: { path: new URL(request.url).pathname, role: signedIn.staff.role, needed: minimum },
    });
    throw data(ROLE_REFUSAL[minimum], { status: 403 });
  }
  return signedIn;
}

export async function endStaffSession(request: Request, context: RequestContext): Promise<string> {
  const { db, clock, config } = context.services;
  const token = readCookie(request, STAFF_COOKIE, config.secureCookies);
  if (token) {
    const session = await validateSession(db, token, clock.now(), config.session);
    await deleteSession(db, sessionIdFromToken(token));
    if (session?.subject_type === "staff") await recordEvent(context, { event: "staff_sign_out", outcome: "success", actorType: "staff", actorId: session.subject_id });
  }
  return clearCookie(STAFF_COOKIE, { secure: config.secureCookies, sameSite: "Strict" });
}

/**
 * The POST of /support/setup (confirming a new authenticator) and /support/verify (signing in):
 * both take a code after the password step and, when it is right, start the staff session.
 */
export async function staffCodeAction(request: Request, context: RequestContext, step: "setup" | "verify") {
  const pending = readPending(request, context);
  if (!pending) throw redirect("/support/login");
  const form = await readForm(request);
  // Only now, with the whole body in, is the staff row read (L1).
  const staff = await findStaffById(context.services.db, pending.staffId);
  if (!staff || Boolean(staff.totp_confirmed_at) !== (step === "verify")) throw redirect("/support/login");
  const cookies = await staffTotpStep(context, request, pending, step, String(form.get("code") ?? "").slice(0, 16));
  if (!cookies) {
    const error =
      step === "setup"
        ? "That code isn't right. Check the app shows this account and try the newest code."
        : "That code isn't right, or was already used. Wait for the next code and try again.";
    return data({ error }, { status: 400 });
  }
  const headers = new Headers();
  for (const c of cookies) headers.append("Set-Cookie", c);
  throw redirect("/support", { status: 303, headers });
}
