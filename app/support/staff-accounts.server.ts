import { withActor, type RequestContext } from "~/context.server";
import { findStaffById, liftStaffLock, listStaff, listStaffEvents, type Staff } from "./staff.server";
import { recordEvent } from "~/audit/events.server";

/**
 * Staff accounts as the console shows them (H2, L12): who is active, disabled or locked after
 * wrong authenticator codes, and the history of locks and unlocks. Disabling is the CLI's.
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
      status: s.status,
      enrolled: Boolean(s.totp_confirmed_at),
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
