import { inTransaction, type RequestContext } from "~/context.server";
import { isInHistory, storePasswordHash, type User } from "~/accounts/accounts.server";
import { hashPassword } from "~/accounts/password-hash.server";
import { checkPassword, loadPasswordLanguage } from "~/accounts/password-policy";
import { describeBrowser } from "~/http/user-agent";
import { approximateNetwork } from "~/http/network.server";
import { recordEvent } from "~/audit/events.server";
import { sendSecurityNotice } from "~/notices/notices.server";
import { deleteOtherSessions, type Session } from "~/sessions/sessions.server";
import { signIn } from "~/sign-in/sign-in.server";
import { signInRefusal } from "~/sign-in/messages";
import { passwordSettings } from "~/recovery/reset.server";
import { eventsForUserSince } from "~/stores/audit.store";
import { cancelFlows } from "~/stores/recovery-flows.store";
import { deleteSessionOf, listSessionsWithClient } from "~/stores/sessions.store";
import { setNewDeviceNotices } from "~/stores/users.store";
import type { AccountSecurityData } from "~/ui/account-security";

/**
 * The account security page (issue 15): recent activity from the audit log, the account's
 * sessions ("devices"), changing the password while signed in, and the new-device notice setting.
 * Addresses are only ever shown approximately (approximateNetwork), never in full.
 */

export const ACTIVITY_DAYS = 30;
const ACTIVITY_LIMIT = 100;

/** The audit events a customer sees, in plain words (success / failure / info wording). */
const WORDS: Record<string, Partial<Record<"success" | "failure" | "info", string>>> = {
  sign_in: { success: "Signed in", failure: "Failed sign-in attempt" },
  password_reset_requested: { info: "Password reset requested", success: "Password reset requested" },
  password_reset_completed: { success: "Password reset" },
  password_changed: { success: "Password changed" },
  account_unlock_requested: { info: "Unlock requested", success: "Unlock requested" },
  account_unlocked: { success: "Account unlocked" },
  account_locked: { info: "Account locked", success: "Account locked" },
  email_changed: { success: "Email address changed" },
  phone_changed: { success: "Phone number changed" },
  email_restored: { success: "Email address put back after a report" },
  phone_restored: { success: "Phone number put back after a report" },
  totp_enabled: { success: "Authenticator app added" },
  totp_disabled: { success: "Authenticator app removed" },
  passkey_added: { success: "Passkey added" },
  passkey_removed: { success: "Passkey removed" },
  recovery_codes_generated: { success: "New recovery codes created" },
  recovery_code_used: { success: "Recovery code used" },
  factors_removed: { success: "Second factors removed by support" },
  compromise_reported: { success: "Reported with a \"This wasn't me\" link" },
  activity_reported: { success: "You reported activity as not yours" },
  other_sessions_ended: { success: "Signed out every other device" },
  session_ended: { success: "Signed out a device" },
};
const EVENTS = Object.keys(WORDS);

/**
 * One entry, as the security page shows it (its type lives with the page, like the other views);
 * `what` and `device` are the English words (kept for the console and logs), `kind`, `detail` and
 * `by` say the same as codes so a customer page can say it in its own language.
 */
export type ActivityEntry = AccountSecurityData["activity"][number];

/** The last 30 days of this account's security events, newest first. */
export async function recentActivity(context: RequestContext, userId: string): Promise<ActivityEntry[]> {
  const { db, clock } = context.services;
  const rows = await eventsForUserSince(db, userId, EVENTS, clock.now() - ACTIVITY_DAYS * 86_400_000, ACTIVITY_LIMIT);
  const out: ActivityEntry[] = [];
  for (const row of rows) {
    const what = WORDS[row.event]?.[row.outcome as "success" | "failure" | "info"];
    if (!what) continue;
    const details = safeDetails(row.details);
    const suffix =
      row.event === "sign_in" && details.method === "passkey" ? " with a passkey" :
      row.event === "sign_in" && details.reason === "delayed" ? " (held back after repeated failures)" :
      row.event === "account_locked" && typeof details.reason === "string" ? ` (${String(details.reason).replace(/_/g, " ")})` : "";
    const fromStaff = row.actor_type === "staff" || row.actor_type === "operator";
    // The company's own systems (the provisioning API) act like the portal itself, not a browser.
    const fromSystem = (row.actor_type === "system" && !row.user_agent) || row.actor_type === "api_key";
    out.push({
      seq: Number(row.seq),
      at: new Date(Number(row.at)).toISOString(),
      what: what + suffix,
      kind: `${row.event}.${row.outcome}`,
      detail:
        row.event === "sign_in" && details.method === "passkey" ? "passkey" :
        row.event === "sign_in" && details.reason === "delayed" ? "delayed" :
        row.event === "account_locked" && typeof details.reason === "string" ? "lock" : null,
      lockReason: row.event === "account_locked" && typeof details.reason === "string" ? String(details.reason) : null,
      by: fromStaff ? "staff" : fromSystem ? "system" : null,
      failed: row.outcome === "failure",
      device: fromStaff ? "our support team" : fromSystem ? "automatic" : describeBrowser(row.user_agent ?? ""),
      network: fromStaff || fromSystem ? "—" : approximateNetwork(row.ip),
    });
  }
  return out;
}

function safeDetails(json: string | null): Record<string, unknown> {
  try {
    const v = JSON.parse(json ?? "{}");
    return v && typeof v === "object" ? v : {};
  } catch {
    return {};
  }
}

export type DeviceEntry = { id: string; createdAt: string; lastSeenAt: string; device: string; network: string; current: boolean };

/** The account's live sessions, this one first and marked. */
export async function listDevices(context: RequestContext, userId: string, currentId: string): Promise<DeviceEntry[]> {
  const { db, clock, config } = context.services;
  const now = clock.now();
  const rows = (await listSessionsWithClient(db, { type: "user", id: userId })).filter(
    (s) => now < s.absolute_expires_at && now < s.last_seen_at + config.session.idleMs,
  );
  const list = rows.map((s) => ({
    id: s.id,
    createdAt: new Date(s.created_at).toISOString(),
    lastSeenAt: new Date(s.last_seen_at).toISOString(),
    device: describeBrowser(s.user_agent ?? ""),
    network: approximateNetwork(s.ip),
    current: s.id === currentId,
  }));
  return [...list.filter((d) => d.current), ...list.filter((d) => !d.current)];
}

/** Ends one other session of this account. The id comes from a form: only this account's sessions match. */
export async function signOutDevice(context: RequestContext, user: User, current: Session, id: string): Promise<"ended" | "current" | "unknown"> {
  if (id === current.id) return "current";
  if (!/^[a-z2-7]{24}$/.test(id)) return "unknown";
  return inTransaction(context, async (tx) => {
    const ended = await deleteSessionOf(tx.services.db, { type: "user", id: user.id }, id);
    await recordEvent(tx, {
      event: "session_ended",
      outcome: ended ? "success" : "failure",
      userId: user.id,
      actorType: "user",
      actorId: user.id,
      details: { by: "owner", found: ended },
    });
    return ended ? "ended" : "unknown";
  });
}

/** Ends every session of this account but this one. Returns how many ended. */
export async function signOutOtherDevices(context: RequestContext, user: User, current: Session): Promise<number> {
  return inTransaction(context, async (tx) => {
    const n = await deleteOtherSessions(tx.services.db, { type: "user", id: user.id }, current.id);
    await recordEvent(tx, { event: "other_sessions_ended", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { sessions_revoked: n } });
    return n;
  });
}

export async function setNewDeviceNoticesFor(context: RequestContext, user: User, on: boolean): Promise<void> {
  await inTransaction(context, async (tx) => {
    await setNewDeviceNotices(tx.services.db, user.id, on);
    await recordEvent(tx, { event: "new_device_notices_changed", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { on } });
  });
}

export type ChangePasswordOutcome =
  | { ok: true; sessionsEnded: number }
  | { ok: false; reason: "current"; status: 400 | 429; message: string; retryAfter?: number }
  | { ok: false; reason: "policy"; reasons: string[]; suggestions: string[] }
  | { ok: false; reason: "mismatch" }
  | { ok: false; reason: "history"; remembered: number };

/**
 * Changing the password while signed in: the same policy and history as a reset, the current
 * password checked exactly like a sign-in (a wrong one is counted against the account and the
 * client and can lock it), then one transaction stores the hash, ends every other session,
 * cancels open recovery flows and queues the "password changed" notice with "This wasn't me".
 * An account without a password (passkey only) has no current password: the route requires a
 * sign-in from the last 10 minutes instead (/account/confirm, at the account's strongest level).
 */
export async function changePassword(
  context: RequestContext,
  user: User,
  current: Session,
  input: { current: string; password: string; confirm: string },
): Promise<ChangePasswordOutcome> {
  const { db, config, clock } = context.services;
  const password = input.password.normalize("NFC");
  await loadPasswordLanguage(context.locale);
  const verdict = checkPassword(password, await passwordSettings(context, user), { username: user.username, email: user.email, appName: config.appName }, context.locale);
  if (!verdict.ok) return { ok: false, reason: "policy", reasons: verdict.reasons, suggestions: verdict.suggestions };
  if (input.confirm.normalize("NFC") !== password) return { ok: false, reason: "mismatch" };
  if (user.password_hash) {
    const outcome = await signIn(context, user.username, input.current.slice(0, 4096));
    if (!outcome.ok || outcome.user.id !== user.id) {
      const refusal = outcome.ok ? { status: 400 as const, message: "That isn't your current password." } : signInRefusal(outcome);
      return { ok: false, reason: "current", status: refusal.status, message: refusal.status === 400 ? "That isn't your current password." : refusal.message, retryAfter: "retryAfter" in refusal ? refusal.retryAfter : undefined };
    }
  }
  if (config.password.history > 0 && (await isInHistory(db, user.id, password, config.password.history))) {
    return { ok: false, reason: "history", remembered: config.password.history };
  }
  const hash = await hashPassword(password);
  const now = clock.now();
  const sessionsEnded = await inTransaction(context, async (tx) => {
    const trx = tx.services.db;
    await storePasswordHash(trx, user.id, hash, now);
    const n = await deleteOtherSessions(trx, { type: "user", id: user.id }, current.id);
    await cancelFlows(trx, { userId: user.id });
    await recordEvent(tx, { event: "password_changed", outcome: "success", userId: user.id, actorType: "user", actorId: user.id, details: { via: "account", sessions_revoked: n } });
    await sendSecurityNotice(tx, user, { template: "password-changed", event: "password_changed", extra: { signedInHere: true } });
    return n;
  });
  return { ok: true, sessionsEnded };
}

/** Everything the account security sections of /account/security show. */
export async function accountSecurity(context: RequestContext, user: User, current: Session, done: string | null) {
  return {
    activity: await recentActivity(context, user.id),
    activityDays: ACTIVITY_DAYS,
    devices: await listDevices(context, user.id, current.id),
    newDeviceNotices: user.new_device_notices !== 0,
    hasPassword: Boolean(user.password_hash),
    done: done && /^[a-z-]{1,20}$/.test(done) ? done : null,
  };
}
