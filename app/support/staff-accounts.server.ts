import { withActor, type RequestContext } from "~/context.server";
import {
  changeStaffRole,
  changeStaffStatus,
  findStaffById,
  inviteStaff,
  reinviteStaff,
  isStaffRole,
  LastAdminError,
  liftStaffLock,
  listStaff,
  listStaffEvents,
  resetStaffAuthenticator,
  type Staff,
  type StaffRole,
} from "./staff.server";
import { recordEvent } from "~/audit/events.server";
import { AccountError } from "~/accounts/accounts.server";

/**
 * Staff accounts as the console shows them (H2, L12): each one's role, who is active, disabled or
 * locked after wrong authenticator codes, and the history of locks and unlocks. Admins only.
 */
export async function staffOverview(context: RequestContext) {
  const { db } = context.services;
  const all = await listStaff(db);
  const emails = new Map(all.map((s) => [s.id, s.email]));
  return {
    staff: all.map((s) => ({
      id: s.id,
      name: s.name,
      email: s.email,
      role: s.role,
      status: s.status,
      enrolled: Boolean(s.totp_confirmed_at),
      invited: s.password_hash === null,
      lockedAt: s.locked_at,
      lockedIp: s.locked_ip,
      failedCodes: s.failed_code_count,
    })),
    events: (await listStaffEvents(db)).map((e) => ({
      id: e.id,
      at: e.at,
      staff: emails.get(e.staff_id) ?? e.staff_id,
      actor: e.actor.startsWith("staff:") ? (emails.get(e.actor.slice(6)) ?? e.actor) : e.actor,
      action: e.action,
      note: e.note,
    })),
  };
}

export type ColleagueUnlock = { ok: true; email: string } | { ok: false; reason: "no-staff" | "self" | "no-note" | "not-locked"; email?: string };

/**
 * A locked staff member is unlocked by ANOTHER staff member, with a note saying how they checked
 * it was really them (the CLI's `staff unlock` is the operator's way). Audited either way.
 */
export async function unlockColleague(context: RequestContext, me: Staff, targetId: string, note: string): Promise<ColleagueUnlock> {
  const { db } = context.services;
  const target = await findStaffById(db, targetId);
  if (!target) return { ok: false, reason: "no-staff" };
  if (target.id === me.id) {
    await recordEvent(context, { event: "staff_unlocked", outcome: "failure", actorType: "staff", actorId: me.id, details: { staff_id: target.id, reason: "self" } });
    return { ok: false, reason: "self" };
  }
  if (!note) return { ok: false, reason: "no-note" };
  const unlocked = await liftStaffLock(withActor(context, { type: "staff", id: me.id }), target.id, note);
  return unlocked ? { ok: true, email: target.email } : { ok: false, reason: "not-locked", email: target.email };
}

export type StaffChange =
  | { ok: true; action: "role"; email: string; role: StaffRole; changed: boolean }
  | { ok: true; action: "disable" | "enable"; email: string }
  | { ok: true; action: "reset_totp"; email: string; changed: boolean }
  | { ok: true; action: "reinvite"; email: string; changed: boolean }
  | { ok: false; reason: "no-staff" | "bad-role" | "self-demote" | "self-disable" | "self-reset" | "last-admin" };

/**
 * An admin's change to another staff member from the console: a role, disable (every session of
 * theirs ends at once, as with the CLI) or enable, or an authenticator reset (set up again at the
 * next sign-in; sessions end). Each is audited with the admin as actor and the target's id. An
 * admin cannot demote, disable or reset themselves (refused, audited); another admin or the CLI can.
 */
export async function changeColleague(
  context: RequestContext,
  me: Staff,
  input: { action: "role" | "disable" | "enable" | "reset_totp" | "reinvite"; targetId: string; role?: string },
): Promise<StaffChange> {
  const { db } = context.services;
  const target = await findStaffById(db, input.targetId);
  if (!target) return { ok: false, reason: "no-staff" };
  const asMe = withActor(context, { type: "staff", id: me.id });
  const self = target.id === me.id;
  const refuse = async (reason: "self-demote" | "self-disable" | "self-reset" | "bad-role" | "last-admin") => {
    const event = { role: "staff_role_changed", disable: "staff_disabled", enable: "staff_enabled", reset_totp: "staff_authenticator_reset", reinvite: "staff_invited" }[input.action];
    await recordEvent(asMe, { event, outcome: "failure", details: { staff_id: target.id, reason, via: "console" } });
    return { ok: false as const, reason };
  };
  switch (input.action) {
    case "role": {
      if (!isStaffRole(input.role)) return refuse("bad-role");
      if (self && input.role !== me.role) return refuse("self-demote");
      try {
        const changed = await changeStaffRole(asMe, target.id, input.role);
        return { ok: true, action: "role", email: target.email, role: input.role, changed };
      } catch (err) {
        if (err instanceof LastAdminError) return refuse("last-admin");
        throw err;
      }
    }
    case "disable":
    case "enable": {
      if (self) return refuse("self-disable");
      try {
        await changeStaffStatus(asMe, target.email, input.action === "disable" ? "disabled" : "active");
      } catch (err) {
        if (err instanceof LastAdminError) return refuse("last-admin");
        throw err;
      }
      return { ok: true, action: input.action, email: target.email };
    }
    case "reset_totp": {
      if (self) return refuse("self-reset");
      return { ok: true, action: "reset_totp", email: target.email, changed: await resetStaffAuthenticator(asMe, target.id) };
    }
    case "reinvite":
      return { ok: true, action: "reinvite", email: target.email, changed: await reinviteStaff(asMe, target.id, me) };
  }
}

export type StaffInvitation = { ok: true; email: string } | { ok: false; message: string };

/**
 * An admin invites someone by e-mail (name, role): they get a one-time link to choose a password,
 * then set up their authenticator at the first sign-in. A refusal (bad or known e-mail, bad name
 * or role) says why and is audited.
 */
export async function inviteColleague(context: RequestContext, me: Staff, input: { email: string; name: string; role: string }): Promise<StaffInvitation> {
  const asMe = withActor(context, { type: "staff", id: me.id });
  const refuse = async (message: string, reason: string) => {
    await recordEvent(asMe, { event: "staff_invited", outcome: "failure", details: { reason, via: "console" } });
    return { ok: false as const, message };
  };
  if (!isStaffRole(input.role)) return refuse("Choose a role: agent, supervisor or admin.", "bad-role");
  try {
    const staff = await inviteStaff(asMe, { email: input.email, name: input.name, role: input.role }, me);
    return { ok: true, email: staff.email };
  } catch (err) {
    if (!(err instanceof AccountError)) throw err;
    const message = /already exists/.test(err.message)
      ? "That e-mail address is already on the staff."
      : /invalid email/.test(err.message)
        ? "Enter a valid e-mail address."
        : "Enter a name of 1 to 100 characters, without line breaks or angle brackets.";
    return refuse(message, /already exists/.test(err.message) ? "exists" : /invalid email/.test(err.message) ? "bad-email" : "bad-name");
  }
}
