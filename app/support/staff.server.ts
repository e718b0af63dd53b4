import { serializeOn, transaction, type Db } from "~/db/db.server";
import { AccountError } from "~/accounts/accounts.server";
import { hashPassword } from "~/accounts/password-hash.server";
import { checkPassword, loadPasswordLanguage, type PolicySettings } from "~/accounts/password-policy";
import { FALLBACK_LOCALE } from "~/i18n/config";
import { isValidEmail, normaliseEmail } from "~/accounts/identifiers";
import { randomId, randomToken, sha256Hex } from "~/security/crypto.server";
import { guardedLookup } from "~/limits/limits.server";
import * as store from "~/stores/staff.store";
import { STAFF_ROLES, type Staff, type StaffEvent, type StaffRole } from "~/stores/staff.store";
import { actorVia, inTransaction, type Actor, type RequestContext } from "~/context.server";
import { recordEvent } from "~/audit/events.server";
import { deleteAllSessions } from "~/sessions/sessions.server";

/**
 * Support staff accounts: who they are, whether they may enter, and the history of their locks
 * and status changes. Customers' accounts are app/accounts/; the rows are app/stores/staff.store.ts.
 */

export type { Staff, StaffEvent, StaffRole } from "~/stores/staff.store";
export { STAFF_ROLES } from "~/stores/staff.store";

export function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === "string" && (STAFF_ROLES as readonly string[]).includes(value);
}

/** Does `staff` hold at least `minimum` (agent < supervisor < admin)? */
export function staffHasRole(staff: Pick<Staff, "role">, minimum: StaffRole): boolean {
  return STAFF_ROLES.indexOf(staff.role) >= STAFF_ROLES.indexOf(minimum);
}

export async function createStaff(
  db: Db,
  input: { email: string; name: string; password?: string | null; role?: StaffRole },
  options: { now: number; policy: PolicySettings; appName: string },
): Promise<Staff> {
  const email = normaliseEmail(input.email);
  if (!isValidEmail(email)) throw new AccountError(`invalid email "${input.email}"`);
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100 || /[\r\n<>]/.test(name)) {
    throw new AccountError("invalid name: 1–100 characters, no line breaks or angle brackets");
  }
  const role = input.role ?? "agent";
  if (!isStaffRole(role)) throw new AccountError(`unknown role "${String(role)}": agent, supervisor or admin`);
  let passwordHash: string | null = null;
  if (input.password != null) {
    await loadPasswordLanguage(FALLBACK_LOCALE);
    const verdict = checkPassword(input.password, options.policy, { email, appName: options.appName });
    if (!verdict.ok) throw new AccountError(`password rejected: ${verdict.reasons[0]}`);
    passwordHash = await hashPassword(input.password);
  }
  const staff: Staff = {
    id: randomId(),
    email,
    name,
    password_hash: passwordHash,
    totp_secret: null,
    totp_confirmed_at: null,
    totp_last_step: 0,
    created_at: options.now,
    status: "active",
    role,
    failed_password_count: 0,
    password_delay_until: 0,
    password_failed_at: 0,
    failed_code_count: 0,
    locked_at: null,
    locked_reason: null,
    locked_ip: null,
    totp_setup_nonce: null,
  };
  await transaction(db, async (trx) => {
    if (await store.findStaffByEmail(trx, email)) throw new AccountError(`staff member "${email}" already exists`);
    await store.insertStaff(trx, staff);
  });
  return staff;
}

export async function findStaffByEmail(db: Db, email: string): Promise<Staff | undefined> {
  return store.findStaffByEmail(db, normaliseEmail(email));
}

export async function findStaffById(db: Db, id: string): Promise<Staff | undefined> {
  return store.findStaffById(db, id);
}

/** May this staff member hold or start a session now? (Not disabled, not locked.) */
export function staffMayEnter(staff: Pick<Staff, "status" | "locked_at">): boolean {
  return staff.status === "active" && staff.locked_at === null;
}

export async function listStaff(db: Db): Promise<Staff[]> {
  return store.listStaff(db);
}

export async function recordStaffEvent(db: Db, input: Omit<StaffEvent, "id">): Promise<void> {
  await store.insertStaffEvent(db, input);
}

export async function listStaffEvents(db: Db, staffId?: string, limit = 50): Promise<StaffEvent[]> {
  return store.listStaffEvents(db, staffId, limit);
}

/**
 * Disabling or demoting an admin takes the same key, so two admins demoting each other at the same
 * moment cannot both succeed (docs/decisions/0017, rule 3).
 */
const STAFF_ADMINS = "staff_admins";

/** Refuses to take away the last active admin: nobody could manage staff from the console after. */
export class LastAdminError extends AccountError {}

async function keepAnAdmin(db: Db, staff: Staff): Promise<void> {
  if (staff.role !== "admin" || staff.status !== "active") return;
  if ((await store.countOtherActiveAdmins(db, staff.id)) === 0) {
    throw new LastAdminError(`${staff.email} is the last active admin: make another staff member admin first`);
  }
}

/**
 * `staff disable|enable`: a disabled staff member cannot sign in and loses every session at once
 * (the caller deletes them in the same transaction). Throws AccountError for an unknown e-mail.
 */
export async function setStaffStatus(db: Db, email: string, status: Staff["status"], now: number, actor: string): Promise<Staff> {
  return transaction(db, async (trx) => {
    await serializeOn(trx, STAFF_ADMINS);
    const staff = await findStaffByEmail(trx, email);
    if (!staff) throw new AccountError(`no staff member "${email}"`);
    if (status === "disabled" && staff.status === "active") await keepAnAdmin(trx, staff);
    await store.updateStaffStatus(trx, staff.id, status);
    await recordStaffEvent(trx, { staff_id: staff.id, at: now, actor, action: status === "disabled" ? "disabled" : "enabled", note: null });
    return { ...staff, status };
  });
}

/**
 * Lifts a wrong-code lock and forgets both failure counters. Returns false when the staff member
 * was not locked (nothing changes then).
 */
export async function unlockStaff(db: Db, staffId: string, now: number, actor: string, note: string | null): Promise<boolean> {
  return transaction(db, async (trx) => {
    if (!(await store.liftStaffLock(trx, staffId))) return false;
    await recordStaffEvent(trx, { staff_id: staffId, at: now, actor, action: "unlocked", note });
    return true;
  });
}

/** The actor as staff_events.actor names it ("staff:<id>", "operator:cli"); the console shows it. */
function eventActor(actor: Actor): string {
  return `${actor.type}:${actor.id ?? "-"}`;
}

/**
 * `staff disable|enable` as the context's actor: the status change, its history row, the end of
 * every session of a disabled member and the audit row commit together.
 */
export async function changeStaffStatus(context: RequestContext, email: string, status: Staff["status"]): Promise<Staff> {
  return inTransaction(context, async (tx) => {
    const staff = await setStaffStatus(tx.services.db, email, status, tx.services.clock.now(), eventActor(context.actor));
    // A disabled staff member keeps no way in: every session ends now.
    const ended = status === "disabled" ? await deleteAllSessions(tx.services.db, { type: "staff", id: staff.id }) : 0;
    await recordEvent(tx, { event: status === "disabled" ? "staff_disabled" : "staff_enabled", outcome: "success", details: { staff_id: staff.id, sessions_ended: ended } });
    return staff;
  });
}

/**
 * Lifts a staff member's wrong-code lock as the context's actor (an operator at the CLI, or a
 * colleague in the console: see unlockColleague for the console's rules). Audited when it
 * unlocked; false when the member was not locked.
 */
export async function liftStaffLock(context: RequestContext, staffId: string, note: string | null): Promise<boolean> {
  return inTransaction(context, async (tx) => {
    const ok = await unlockStaff(tx.services.db, staffId, tx.services.clock.now(), eventActor(context.actor), note);
    if (ok) await recordEvent(tx, { event: "staff_unlocked", outcome: "success", details: { staff_id: staffId, via: actorVia(context.actor) } });
    return ok;
  });
}

/**
 * `staff role` and the console's role change, as the context's actor: the new role and its audit
 * row (actor, target, from, to) commit together. False when the member already had that role
 * (nothing written). Throws AccountError for an unknown role.
 */
export async function changeStaffRole(context: RequestContext, staffId: string, role: StaffRole): Promise<boolean> {
  if (!isStaffRole(role)) throw new AccountError(`unknown role "${String(role)}": agent, supervisor or admin`);
  return inTransaction(context, async (tx) => {
    // Read-then-write (0017 rule 3): the "from" in the audit row is the role this change replaced.
    await serializeOn(tx.services.db, STAFF_ADMINS, `staff_role:${staffId}`);
    const staff = await store.findStaffById(tx.services.db, staffId);
    if (!staff) throw new AccountError(`no staff member "${staffId}"`);
    if (role !== "admin") await keepAnAdmin(tx.services.db, staff);
    if (!(await store.updateStaffRole(tx.services.db, staffId, role))) return false;
    await recordEvent(tx, { event: "staff_role_changed", outcome: "success", details: { staff_id: staffId, from: staff.role, to: role, via: actorVia(context.actor) } });
    return true;
  });
}

/**
 * Forgets a staff member's authenticator (they set one up again at their next sign-in) and ends
 * every session they have, as the context's actor; audited with the count of sessions ended.
 * False when they had no authenticator (nothing changes then).
 */
export async function resetStaffAuthenticator(context: RequestContext, staffId: string): Promise<boolean> {
  return inTransaction(context, async (tx) => {
    if (!(await store.clearStaffTotp(tx.services.db, staffId))) return false;
    const ended = await deleteAllSessions(tx.services.db, { type: "staff", id: staffId });
    await recordEvent(tx, { event: "staff_authenticator_reset", outcome: "success", details: { staff_id: staffId, sessions_ended: ended, via: actorVia(context.actor) } });
    return true;
  });
}

// ---- invitations ---------------------------------------------------------------------------------

/** How long an invitation's set-up link works. */
export const STAFF_INVITE_HOURS = 72;

/**
 * An admin invites a new staff member by e-mail: the staff row (the chosen role, no password), a
 * one-time set-up link (only its hash is stored) and the e-mail carrying it, and the audit row,
 * commit together. Throws AccountError for a bad e-mail or name, or one already on the staff.
 */
export async function inviteStaff(context: RequestContext, input: { email: string; name: string; role: StaffRole }, invitedBy: Staff): Promise<Staff> {
  const { config, clock } = context.services;
  const token = randomToken();
  const now = clock.now();
  return inTransaction(context, async (tx) => {
    const staff = await createStaff(tx.services.db, { email: input.email, name: input.name, password: null, role: input.role }, { now, policy: config.password, appName: config.appName });
    await issueInvite(tx, staff, invitedBy, token, now, false);
    return staff;
  });
}

/** Inside the caller's transaction: the invitation row, its audit row and the e-mail with the link. */
async function issueInvite(tx: RequestContext, staff: Staff, invitedBy: Staff, token: string, now: number, resent: boolean): Promise<void> {
  const { config } = tx.services;
  await store.insertStaffInvite(tx.services.db, { token_hash: sha256Hex(token), staff_id: staff.id, created_by: eventActor(tx.actor), created_at: now, expires_at: now + STAFF_INVITE_HOURS * 3_600_000 });
  await recordEvent(tx, { event: "staff_invited", outcome: "success", details: { staff_id: staff.id, role: staff.role, via: actorVia(tx.actor), ...(resent ? { resent: true } : {}) } });
  await tx.services.send({
    channel: "email",
    to: staff.email,
    template: "staff-invite",
    payload: {
      appName: config.appName,
      staffName: staff.name,
      role: staff.role,
      invitedBy: invitedBy.name,
      link: new URL(`/support/invite/${token}`, config.appOrigin).toString(),
      expiresHours: STAFF_INVITE_HOURS,
    },
  });
}

/**
 * A new set-up link for an invited staff member who has not chosen a password yet (the first
 * expired or was lost): every earlier link of theirs stops working. False when they already have
 * a password (nothing changes then).
 */
export async function reinviteStaff(context: RequestContext, staffId: string, invitedBy: Staff): Promise<boolean> {
  const token = randomToken();
  const now = context.services.clock.now();
  return inTransaction(context, async (tx) => {
    const db = tx.services.db;
    await serializeOn(db, `staff_invite:${staffId}`);
    const staff = await store.findStaffById(db, staffId);
    if (!staff || staff.password_hash !== null) return false;
    await store.retireStaffInvites(db, staffId, now);
    await issueInvite(tx, staff, invitedBy, token, now, true);
    return true;
  });
}

/**
 * The invited staff member behind a set-up link, if it still works (unspent, unexpired). Each
 * lookup spends a point of the client's link-guessing budget, given back for a real link: null
 * when that budget is spent.
 */
export async function openStaffInvite(context: RequestContext, token: string): Promise<{ staff: Staff | undefined } | null> {
  const { db, clock, limits } = context.services;
  const looked = await guardedLookup(
    limits,
    context.clientKey,
    async () => {
      const invite = token.length > 10 && token.length < 100 ? await store.findUsableStaffInvite(db, sha256Hex(token), clock.now()) : undefined;
      return invite ? await store.findStaffById(db, invite.staff_id) : undefined;
    },
    (staff) => staff !== undefined && staff.password_hash === null,
  );
  if (!looked) return null;
  return { staff: looked.found?.password_hash === null ? looked.found : undefined };
}

export type InviteAcceptance = { ok: true; email: string } | { ok: false; reason: "invalid" } | { ok: false; reason: "weak"; message: string };

/**
 * Choosing the first password from a set-up link: checked against the policy and hashed first,
 * then the link is spent and the password set in one transaction (one conditional UPDATE each:
 * of two requests with the same link, one wins). Audited as the new staff member.
 */
export async function acceptStaffInvite(context: RequestContext, staff: Staff, token: string, password: string): Promise<InviteAcceptance> {
  const { config, clock } = context.services;
  await loadPasswordLanguage(FALLBACK_LOCALE);
  const verdict = checkPassword(password, config.password, { email: staff.email, appName: config.appName });
  if (!verdict.ok) return { ok: false, reason: "weak", message: verdict.reasons[0] };
  const passwordHash = await hashPassword(password);
  try {
    return await inTransaction(context, async (tx): Promise<InviteAcceptance> => {
      const db = tx.services.db;
      if (!(await store.spendStaffInvite(db, sha256Hex(token), clock.now()))) return { ok: false, reason: "invalid" };
      // Never over an existing password; throwing rolls the spent link back with it.
      if (!(await store.setFirstStaffPassword(db, staff.id, passwordHash))) throw new AccountError("already set up");
      await recordEvent(tx, { event: "staff_invite_accepted", outcome: "success", actorType: "staff", actorId: staff.id, details: { staff_id: staff.id } });
      return { ok: true, email: staff.email };
    });
  } catch (err) {
    if (err instanceof AccountError) return { ok: false, reason: "invalid" };
    throw err;
  }
}
