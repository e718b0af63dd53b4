import { sendSecurityNotice } from "~/notices/notices.server";
import { inTransaction, type RequestContext } from "~/context.server";
import type { Staff } from "./staff.server";
import { endLocks, openLocks } from "~/lockout/lockout.server";
import { startRecoveryForUser } from "~/recovery/flows.server";
import { CHANNELS } from "~/delivery/channels/index.server";
import { removeAllFactors } from "~/factors/factors.server";
import { recordEvent } from "~/audit/events.server";
import { getTicket, recordStaffAction, ticketAccount, type TicketStatus } from "~/tickets/tickets.server";
import { needsFourEyes, requestApproval, unlockReasons } from "./approvals.server";
import { FEEDBACK_TTL_MS, ticketFeedbackUrl } from "~/recovery/feedback.server";
import { ticketLocale } from "~/notices/message-locale";

/**
 * What support staff can do with a ticket. Every action needs a note, is kept in the ticket's
 * history and in the audit log. There is deliberately no action that shows or sets a password
 * (AR-04): approval sends the customer an ordinary one-time reset link.
 */
export const STAFF_ACTIONS = {
  request_info: "Ask the customer for more information",
  approve: "Approve: send a recovery link to a verified contact",
  unlock: "Unlock the account",
  remove_factors: "Remove the account's passkeys, authenticator app and recovery codes (after checking identity)",
  reject: "Reject",
  close: "Close",
} as const;
export type StaffAction = keyof typeof STAFF_ACTIONS;

export type ActionOutcome =
  | { ok: true; action: StaffAction; channel?: "email" | "sms"; count?: number; requested?: boolean; compromiseLeft?: boolean }
  | { ok: false; reason: "no-ticket" | "no-action" | "bad-note" | "finished" | "no-account" | "no-verified-email" | "no-verified-phone" | "already-pending" };

export async function performStaffAction(
  context: RequestContext,
  staff: Staff,
  ticketId: string,
  input: { action: string; note: string; channel?: string },
): Promise<ActionOutcome> {
  const { db, clock, config } = context.services;
  const ticket = await getTicket(db, ticketId);
  if (!ticket) return { ok: false, reason: "no-ticket" };
  if (!(input.action in STAFF_ACTIONS)) return { ok: false, reason: "no-action" };
  const action = input.action as StaffAction;
  const note = input.note.trim();
  if (note.length < 3 || note.length > 2000) return { ok: false, reason: "bad-note" };
  if (ticket.status === "closed" || ticket.status === "rejected") return { ok: false, reason: "finished" };
  const user = await ticketAccount(db, ticket);
  const now = clock.now();
  // Both run inside the transaction below, on its handle.
  const audit = (tx: RequestContext, details: Record<string, string | number | boolean | null> = {}) =>
    recordEvent(tx, {
      event: `ticket_${action}`,
      outcome: "success",
      actorType: "staff",
      actorId: staff.id,
      userId: user?.id ?? null,
      details: { ticket: ticket.reference, ...details },
    });
  const toCustomer = (tx: RequestContext, template: "ticket-more-info" | "ticket-rejected") =>
    tx.services.send({
      channel: "email",
      to: ticket.contact_email,
      template,
      // The frame in the ticket's language (issue 16); the note goes as the staff member wrote it.
      payload: { appName: config.appName, reference: ticket.reference, note, supportEmail: config.supportEmail, locale: ticketLocale(ticket, config.defaultLocale) },
    });

  let to: TicketStatus | null = null;
  let done: ActionOutcome = { ok: true, action };
  if ((action === "approve" || action === "unlock" || action === "remove_factors") && !user) {
    return { ok: false, reason: "no-account" };
  }
  if (action === "approve") {
    const channel = input.channel === "sms" ? "sms" : "email";
    if (!CHANNELS[channel].destinationOf(user!)) return { ok: false, reason: channel === "email" ? "no-verified-email" : "no-verified-phone" };
  }
  if (action === "remove_factors" && needsFourEyes(context, "remove_factors")) {
    // Four eyes (issue 14): a pending request a supervisor decides, instead of acting now.
    const requested = await requestApproval(context, staff, ticket.id, { action: "remove_factors", note });
    return requested.ok ? { ok: true, action, requested: true } : requested.reason === "already-pending" ? { ok: false, reason: "already-pending" } : { ok: false, reason: requested.reason };
  }
  await inTransaction(context, async (tx) => {
    switch (action) {
      case "request_info":
        to = "waiting_customer";
        await toCustomer(tx, "ticket-more-info");
        break;
      case "approve": {
        const channel = input.channel === "sms" ? "sms" : "email";
        await startRecoveryForUser(tx, user!, channel);
        to = "approved";
        done = { ok: true, action, channel };
        await audit(tx, { channel });
        break;
      }
      case "unlock": {
        // A reported-compromise lock under four eyes is not lifted here: it needs its own approved request.
        const ended = await endLocks(tx.services.db, user!.id, now, "staff", `staff:${staff.id}`, unlockReasons(context));
        const compromiseLeft = (await openLocks(tx.services.db, user!.id, now)).some((l) => l.reason === "reported_compromise");
        done = { ok: true, action, count: ended, compromiseLeft };
        await audit(tx, { locks: ended });
        if (ended > 0 && !compromiseLeft) {
          // The customer is told, like after a self-service unlock (NTF-02), with a way to report it.
          await sendSecurityNotice(tx, user!, { template: "account-unlocked", event: "account_unlocked", byStaff: true });
        }
        break;
      }
      case "remove_factors": {
        const removed = await removeAllFactors(tx, user!, staff.id);
        done = { ok: true, action, count: removed };
        break;
      }
      case "reject":
        to = "rejected";
        await toCustomer(tx, "ticket-rejected");
        break;
      case "close":
        to = "closed";
        // "How easy was this?" (issue 15): a signed, single-use feedback link to the ticket's contact.
        await tx.services.send({
          channel: "email",
          to: ticket.contact_email,
          template: "ticket-closed",
          payload: {
            appName: config.appName,
            reference: ticket.reference,
            feedbackUrl: ticketFeedbackUrl(tx, ticket),
            feedbackDays: FEEDBACK_TTL_MS.ticket / 86_400_000,
            supportEmail: config.supportEmail,
            locale: ticketLocale(ticket, config.defaultLocale),
          },
        });
        break;
    }
    await recordStaffAction(tx.services.db, ticket, now, staff.id, action, note, to);
    if (action !== "approve" && action !== "unlock" && action !== "remove_factors") await audit(tx);
  });
  return done;
}
