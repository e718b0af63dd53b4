import { inTransaction, withActor, type RequestContext } from "~/context.server";
import { findUserById } from "~/accounts/accounts.server";
import { recordEvent } from "~/audit/events.server";
import { listLocks, liftLocks, openLocks } from "~/lockout/lockout.server";
import { lockAccountByStaff } from "~/notices/account-locks.server";
import { getTicket } from "~/tickets/tickets.server";
import { afterLift, needsFourEyes, requestApproval } from "./approvals.server";
import type { Staff } from "./staff.server";

/**
 * The console's account view (issue 14): an account's summary and its lock records (who or what
 * locked it, why, when, until when, who ended it), a manual lock (reason `staff`, the customer told
 * by the same path as the CLI's `user lock`) and a lift per lock with a note. A reported-compromise
 * lock under four eyes is lifted through an approval on the customer's ticket. Every view and
 * action is audited.
 */

const validNote = (note: string) => note.length >= 3 && note.length <= 2000;

export async function accountView(context: RequestContext, staff: Staff, userId: string, ticketId: string | null) {
  const { db, clock } = context.services;
  const user = /^[A-Za-z0-9_-]{1,64}$/.test(userId) ? await findUserById(db, userId) : undefined;
  if (!user) return null;
  await recordEvent(context, { event: "account_viewed", outcome: "success", actorType: "staff", actorId: staff.id, userId: user.id, details: { via: "console" } });
  const open = new Set((await openLocks(db, user.id, clock.now())).map((l) => l.id));
  const ticket = ticketId ? await getTicket(db, ticketId) : undefined;
  return {
    account: {
      id: user.id,
      username: user.username,
      email: user.email,
      emailVerified: user.email_verified === 1,
      phone: user.phone,
      phoneVerified: user.phone_verified === 1,
      status: user.status,
      createdAt: user.created_at,
    },
    ticket: ticket && ticket.matched_user_id === user.id ? { id: ticket.id, reference: ticket.reference } : null,
    compromiseNeedsApproval: needsFourEyes(context, "lift_compromise_lock"),
    locks: (await listLocks(db, user.id, 50)).map((l) => ({ ...l, open: open.has(l.id) })),
  };
}

export type ConsoleLockOutcome = { ok: true; created: boolean } | { ok: false; reason: "no-account" | "bad-note" };

/** A manual lock from the console: the CLI's `user lock` path, acting as this staff member. */
export async function consoleLock(context: RequestContext, staff: Staff, userId: string, noteRaw: string): Promise<ConsoleLockOutcome> {
  const user = await findUserById(context.services.db, userId);
  if (!user) return { ok: false, reason: "no-account" };
  const note = noteRaw.trim();
  if (!validNote(note)) return { ok: false, reason: "bad-note" };
  const { created } = await lockAccountByStaff(withActor(context, { type: "staff", id: staff.id }), user.username, note);
  return { ok: true, created };
}

export type ConsoleLiftOutcome =
  | { ok: true; ended: number; requested: boolean }
  | { ok: false; reason: "no-account" | "bad-note" | "no-lock" | "needs-ticket" | "already-pending" | "finished" };

/** Lifts one lock in force with a note; a compromise lock under four eyes becomes a request on the ticket. */
export async function consoleLift(context: RequestContext, staff: Staff, userId: string, input: { lockId: string; note: string; ticketId: string | null }): Promise<ConsoleLiftOutcome> {
  const { db, clock } = context.services;
  const user = await findUserById(db, userId);
  if (!user) return { ok: false, reason: "no-account" };
  const note = input.note.trim();
  if (!validNote(note)) return { ok: false, reason: "bad-note" };
  const lock = (await openLocks(db, user.id, clock.now())).find((l) => l.id === input.lockId);
  if (!lock) return { ok: false, reason: "no-lock" };
  if (lock.reason === "reported_compromise" && needsFourEyes(context, "lift_compromise_lock")) {
    const ticket = input.ticketId ? await getTicket(db, input.ticketId) : undefined;
    if (!ticket || ticket.matched_user_id !== user.id) return { ok: false, reason: "needs-ticket" };
    const requested = await requestApproval(context, staff, ticket.id, { action: "lift_compromise_lock", note, detail: { lockId: lock.id } });
    if (!requested.ok) return { ok: false, reason: requested.reason === "already-pending" || requested.reason === "finished" ? requested.reason : "needs-ticket" };
    return { ok: true, ended: 0, requested: true };
  }
  const now = clock.now();
  const ended = await inTransaction(context, async (tx) => {
    const n = await liftLocks(tx.services.db, user.id, now, `staff:${staff.id}`, { reasons: [lock.reason], lockId: lock.id });
    await afterLift(tx, staff, user, n, { lock_id: lock.id, reason: lock.reason, note });
    return n;
  });
  return ended ? { ok: true, ended, requested: false } : { ok: false, reason: "no-lock" };
}
