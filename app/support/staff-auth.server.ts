import { data, redirect, type AppLoadContext } from "@remix-run/node";
import { readForm } from "~/http/forms.server";
import { findStaffByEmail, findStaffById, type Staff } from "~/accounts/accounts.server";
import { dummyHash, verifyPassword } from "~/accounts/password-hash.server";
import { decryptSecret, encryptSecret, newTotpSecret, verifyTotp } from "~/factors/totp.server";
import { clearCookie, readCookie, serializeCookie } from "~/http/cookies.server";
import { recordEvent } from "~/recovery/events.server";
import { hmacHex, safeEqual } from "~/security/crypto.server";
import { createSession, deleteSession, sessionIdFromToken, validateSession, type Session } from "~/sessions/sessions.server";

/**
 * Staff sign-in for /support: password, then always an authenticator code (TOTP). A staff
 * member without an authenticator is sent to set one up before anything else. Between the two
 * steps the browser holds a short signed "password passed" cookie, not a session.
 */

export const STAFF_COOKIE = "staff_session";
const PENDING_COOKIE = "staff_pending";
const PENDING_MS = 5 * 60_000;

function pendingValue(context: AppLoadContext, staffId: string, expires: number): string {
  const mac = hmacHex(context.services.config.secretKey, `staff-pending:${staffId}:${expires}`);
  return `${staffId}.${expires}.${mac}`;
}

export function pendingStaff(request: Request, context: AppLoadContext): Staff | null {
  const { config, db, clock } = context.services;
  const value = readCookie(request, PENDING_COOKIE, config.secureCookies);
  if (!value) return null;
  const [id, expires, mac] = value.split(".");
  if (!id || !expires || !mac || Number(expires) < clock.now()) return null;
  if (!safeEqual(mac, hmacHex(config.secretKey, `staff-pending:${id}:${expires}`))) return null;
  return findStaffById(db, id) ?? null;
}

export type PasswordStep = { ok: true; next: "/support/verify" | "/support/setup"; cookie: string } | { ok: false; status: 400 | 429; message: string };

export async function staffPasswordStep(context: AppLoadContext, email: string, password: string): Promise<PasswordStep> {
  const { db, clock, config, limits } = context.services;
  const budget = await limits.check("login_failures_per_ip", `staff:${context.clientIp}`);
  if (!budget.ok) return { ok: false, status: 429, message: "Too many attempts. Wait a minute and try again." };
  const staff = findStaffByEmail(db, email);
  const ok = staff?.password_hash ? await verifyPassword(staff.password_hash, password) : (await verifyPassword(await dummyHash(), password), false);
  if (!staff || !ok) {
    await limits.consume("login_failures_per_ip", `staff:${context.clientIp}`);
    recordEvent(context, { event: "staff_sign_in", outcome: "failure", actorType: "staff", actorId: staff?.id ?? null, details: { step: "password" } });
    return { ok: false, status: 400, message: "That email and password don't match." };
  }
  const expires = clock.now() + PENDING_MS;
  return {
    ok: true,
    next: staff.totp_confirmed_at ? "/support/verify" : "/support/setup",
    cookie: serializeCookie(PENDING_COOKIE, pendingValue(context, staff.id, expires), {
      secure: config.secureCookies,
      sameSite: "Strict",
      maxAgeSeconds: PENDING_MS / 1000,
    }),
  };
}

/** The authenticator secret being set up (created on first view, kept until confirmed). */
export function setupSecret(context: AppLoadContext, staff: Staff): string {
  const { db, config } = context.services;
  if (staff.totp_secret && !staff.totp_confirmed_at) return decryptSecret(config.secretKey, staff.totp_secret);
  const secret = newTotpSecret();
  db.prepare("UPDATE staff SET totp_secret = ?, totp_confirmed_at = NULL, totp_last_step = 0 WHERE id = ?").run(encryptSecret(config.secretKey, secret), staff.id);
  return secret;
}

/**
 * Second step: a current code from the authenticator (setup confirms it the same way). Starts a
 * staff session and returns its cookies, or null for a wrong or replayed code.
 */
export async function staffTotpStep(context: AppLoadContext, request: Request, staff: Staff, code: string): Promise<string[] | null> {
  const { db, clock, config, limits } = context.services;
  const budget = await limits.check("login_failures_per_ip", `staff-totp:${staff.id}`);
  if (!budget.ok || !staff.totp_secret) return null;
  const secret = decryptSecret(config.secretKey, staff.totp_secret);
  const step = await verifyTotp(secret, code.replace(/\s/g, ""), clock.now(), staff.totp_last_step);
  if (step === null) {
    await limits.consume("login_failures_per_ip", `staff-totp:${staff.id}`);
    recordEvent(context, { event: "staff_sign_in", outcome: "failure", actorType: "staff", actorId: staff.id, details: { step: "totp" } });
    return null;
  }
  const setup = !staff.totp_confirmed_at;
  db.prepare("UPDATE staff SET totp_last_step = ?, totp_confirmed_at = COALESCE(totp_confirmed_at, ?) WHERE id = ?").run(step, clock.now(), staff.id);
  const old = readCookie(request, STAFF_COOKIE, config.secureCookies);
  if (old) deleteSession(db, sessionIdFromToken(old));
  const { token } = createSession(db, { type: "staff", id: staff.id }, clock.now(), config.session, { ip: context.clientIp, userAgent: context.userAgent });
  recordEvent(context, { event: setup ? "staff_totp_enrolled" : "staff_sign_in", outcome: "success", actorType: "staff", actorId: staff.id });
  return [
    serializeCookie(STAFF_COOKIE, token, { secure: config.secureCookies, sameSite: "Strict" }),
    clearCookie(PENDING_COOKIE, { secure: config.secureCookies, sameSite: "Strict" }),
  ];
}

export function requireStaff(request: Request, context: AppLoadContext): { staff: Staff; session: Session } {
  const { db, clock, config } = context.services;
  const token = readCookie(request, STAFF_COOKIE, config.secureCookies);
  const session = token ? validateSession(db, token, clock.now(), config.session) : null;
  const staff = session?.subject_type === "staff" ? findStaffById(db, session.subject_id) : undefined;
  if (!session || !staff || !staff.totp_confirmed_at) throw redirect("/support/login");
  return { staff, session };
}

export function endStaffSession(request: Request, context: AppLoadContext): string {
  const { db, config } = context.services;
  const token = readCookie(request, STAFF_COOKIE, config.secureCookies);
  if (token) deleteSession(db, sessionIdFromToken(token));
  return clearCookie(STAFF_COOKIE, { secure: config.secureCookies, sameSite: "Strict" });
}

/**
 * The POST of /support/setup (confirming a new authenticator) and /support/verify (signing in):
 * both take a code after the password step and, when it is right, start the staff session.
 */
export async function staffCodeAction(request: Request, context: AppLoadContext, step: "setup" | "verify") {
  const staff = pendingStaff(request, context);
  if (!staff || Boolean(staff.totp_confirmed_at) !== (step === "verify")) throw redirect("/support/login");
  const form = await readForm(request);
  const cookies = await staffTotpStep(context, request, staff, String(form.get("code") ?? "").slice(0, 16));
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
