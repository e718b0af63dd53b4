import { inTransaction, type RequestContext } from "~/context.server";
import type { User } from "~/accounts/accounts.server";
import { describeBrowser } from "~/http/user-agent";
import { approximateNetwork } from "~/http/network.server";
import { recordEvent } from "~/audit/events.server";
import { deleteOtherSessions, type Session } from "~/sessions/sessions.server";
import { serializeOn } from "~/db/db.server";
import { eventsForUserSince, findUserAuditEvent } from "~/stores/audit.store";
import { cancelFlows } from "~/stores/recovery-flows.store";
import { openTicket } from "./tickets.server";

export type ActivityReportOutcome = { ok: true; reference: string; slaHours: number; sessionsEnded: number } | { ok: false; reason: "unknown" };

/**
 * "This wasn't me" on an entry of the account security page (issue 15). Unlike a report link from
 * an e-mail, the person pressing it is the signed-in owner (with a sign-in from the last 10
 * minutes), so the account is secured around them rather than locked: every OTHER session ends,
 * open recovery flows are cancelled, and support gets a high-priority "compromised" ticket naming
 * the event (contact confirmed when the account's e-mail is verified: only its owner signs in).
 * The owner is then sent to change the password. The account is not locked: that would lock out
 * the very person securing it; a report from an e-mail link still locks (report.server.ts).
 */
export async function reportActivity(context: RequestContext, user: User, current: Session, seq: number): Promise<ActivityReportOutcome> {
  const row = Number.isSafeInteger(seq) && seq > 0 ? await findUserAuditEvent(context.services.db, user.id, seq) : undefined;
  if (!row) return { ok: false, reason: "unknown" };
  const when = new Date(Number(row.at)).toUTCString();
  const details = [
    `The signed-in owner pressed "This wasn't me" on their account security page for the event "${row.event.replace(/_/g, " ")}" (${row.outcome}) of ${when}, from ${describeBrowser(row.user_agent ?? "")}, network ${approximateNetwork(row.ip)} (audit #${row.seq}; the full address is in the audit log).`,
    "Every other session of the account was ended and open recovery links were cancelled. The account was not locked: the owner is signed in and was asked to change the password.",
  ].join("\n");
  return inTransaction(context, async (tx): Promise<ActivityReportOutcome> => {
    const sessionsEnded = await deleteOtherSessions(tx.services.db, { type: "user", id: user.id }, current.id);
    await cancelFlows(tx.services.db, { userId: user.id });
    // One ticket per reported event: a second press (or a double submit) secures again but
    // points at the ticket already open. Serialized, so two presses at once cannot both open one.
    await serializeOn(tx.services.db, `activity_report:${user.id}`);
    const earlier = (await eventsForUserSince(tx.services.db, user.id, ["activity_reported"], Number(row.at), 1000))
      .map((e) => JSON.parse(e.details ?? "{}") as { reported_seq?: number; ticket?: string; sla_hours?: number })
      .find((d) => d.reported_seq === Number(row.seq) && typeof d.ticket === "string");
    if (earlier) {
      await recordEvent(tx, {
        event: "activity_reported",
        outcome: "info",
        userId: user.id,
        actorType: "user",
        actorId: user.id,
        details: { reported_seq: Number(row.seq), reported_event: row.event, ticket: earlier.ticket!, sessions_revoked: sessionsEnded, repeated: true },
      });
      return { ok: true, reference: earlier.ticket!, slaHours: earlier.sla_hours ?? 0, sessionsEnded };
    }
    const ticket = await openTicket(
      tx,
      {
        category: "compromised",
        fullName: user.username,
        accountHint: user.username,
        contactEmail: user.email,
        contactPhone: user.phone_verified ? user.phone : null,
        details,
        lastSignInClaim: null,
        openedClaim: null,
      },
      { source: "report", matchedUser: user, contactConfirmed: user.email_verified === 1 },
    );
    await recordEvent(tx, {
      event: "activity_reported",
      outcome: "success",
      userId: user.id,
      actorType: "user",
      actorId: user.id,
      details: { reported_seq: Number(row.seq), reported_event: row.event, ticket: ticket.reference, sla_hours: ticket.slaHours, sessions_revoked: sessionsEnded },
    });
    return { ok: true, reference: ticket.reference, slaHours: ticket.slaHours, sessionsEnded };
  });
}
