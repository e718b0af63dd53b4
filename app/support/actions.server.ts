import { sendSecurityNotice } from "~/notices/notices.server";
import type { AppLoadContext } from "@remix-run/node";
import type { Staff } from "~/accounts/accounts.server";
import { endLocks } from "~/lockout/lockout.server";
import { startRecoveryForUser } from "~/recovery/flows.server";
import { removeAllFactors } from "~/factors/factors.server";
import { recordEvent } from "~/audit/events.server";
import { getTicket, recordStaffAction, ticketAccount, type TicketStatus } from "~/tickets/tickets.server";

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

export type ActionOutcome = { ok: true; message: string } | { ok: false; status: 400 | 404 | 409; message: string };

export function performStaffAction(
  context: AppLoadContext,
  staff: Staff,
  ticketId: string,
  input: { action: string; note: string; channel?: string },
): ActionOutcome {
  const { db, clock, config } = context.services;
  const ticket = getTicket(db, ticketId);
  if (!ticket) return { ok: false, status: 404, message: "No such ticket." };
  if (!(input.action in STAFF_ACTIONS)) return { ok: false, status: 400, message: "Choose an action." };
  const action = input.action as StaffAction;
  const note = input.note.trim();
  if (note.length < 3 || note.length > 2000) return { ok: false, status: 400, message: "Write a note of 3 to 2000 characters saying why." };
  if (ticket.status === "closed" || ticket.status === "rejected") return { ok: false, status: 409, message: "This ticket is already finished." };
  const user = ticketAccount(db, ticket);
  const now = clock.now();
  const audit = (details: Record<string, string | number | boolean | null> = {}) =>
    recordEvent(context, {
      event: `ticket_${action}`,
      outcome: "success",
      actorType: "staff",
      actorId: staff.id,
      userId: user?.id ?? null,
      details: { ticket: ticket.reference, ...details },
    });
  const toCustomer = (template: string, extra: Record<string, unknown>) =>
    context.services.send({
      channel: "email",
      to: ticket.contact_email,
      template,
      payload: { appName: config.appName, reference: ticket.reference, note, supportEmail: config.supportEmail, ...extra },
    });

  let to: TicketStatus | null = null;
  let message = "";
  if ((action === "approve" || action === "unlock" || action === "remove_factors") && !user) {
    return { ok: false, status: 409, message: "This ticket matches no account. Ask the customer for the username first." };
  }
  if (action === "approve") {
    const channel = input.channel === "sms" ? "sms" : "email";
    if (channel === "email" && !user!.email_verified) return { ok: false, status: 409, message: "The account has no verified email address." };
    if (channel === "sms" && !(user!.phone && user!.phone_verified)) return { ok: false, status: 409, message: "The account has no verified phone number." };
  }
  db.transaction(() => {
    switch (action) {
      case "request_info":
        to = "waiting_customer";
        toCustomer("ticket-more-info", {});
        message = "We emailed the customer your questions.";
        break;
      case "approve": {
        const channel = input.channel === "sms" ? "sms" : "email";
        startRecoveryForUser(context, user!, channel);
        to = "approved";
        message = `A one-time recovery link was sent to the account's verified ${channel === "sms" ? "phone" : "email address"}.`;
        audit({ channel });
        break;
      }
      case "unlock": {
        const ended = endLocks(db, user!.id, now, "staff", `staff:${staff.id}`, ["failed_attempts", "suspicious_activity", "reported_compromise", "staff"]);
        message = ended ? `Ended ${ended} lock(s).` : "The account was not locked.";
        audit({ locks: ended });
        if (ended > 0) {
          // The customer is told, like after a self-service unlock (NTF-02), with a way to report it.
          sendSecurityNotice(context, user!, { template: "account-unlocked", event: "account_unlocked", byStaff: true });
        }
        break;
      }
      case "remove_factors": {
        const removed = removeAllFactors(context, user!, staff.id);
        message = removed ? "The account's second factors were removed. The customer can now recover with email or SMS." : "The account had no second factors.";
        break;
      }
      case "reject":
        to = "rejected";
        toCustomer("ticket-rejected", {});
        message = "The ticket was rejected and the customer told why.";
        break;
      case "close":
        to = "closed";
        message = "The ticket was closed.";
        break;
    }
    recordStaffAction(db, ticket, now, staff.id, action, note, to);
    if (action !== "approve" && action !== "unlock" && action !== "remove_factors") audit();
  }).immediate();
  return { ok: true, message };
}
