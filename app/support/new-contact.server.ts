import { inTransaction, type RequestContext } from "~/context.server";
import { findUserById } from "~/accounts/accounts.server";
import { guardedLookup } from "~/limits/limits.server";
import { codeProof } from "~/proofs/code.server";
import { recordEvent } from "~/audit/events.server";
import { sendSecurityNotice } from "~/notices/notices.server";
import { reportLink } from "~/notices/report-links.server";
import { codeHash } from "~/settings/contacts.server";
import { claimChangeAttempt, completeChange, cancelTicketChanges, findPendingTicketChange } from "~/stores/contact-changes.store";
import { cancelFlows } from "~/stores/recovery-flows.store";
import { setVerifiedContact } from "~/stores/users.store";
import { deleteAllSessions } from "~/sessions/sessions.server";
import { addTicketEvent, getTicket, ticketEvents } from "~/tickets/tickets.server";
import { NEW_CONTACT_MAX_ATTEMPTS } from "./approvals.server";

/**
 * The customer proves a new contact that support set for their ticket (issue 14), on the public
 * page /assisted-recovery/new-contact: their ticket reference and the code sent to the new contact.
 * Until then the account keeps its old contacts (recovery still goes there).
 *
 * Guessing is bounded like every code and link: a reference that names no waiting change spends
 * the client's link-guessing budget (`link_failures_per_ip`); a wrong code spends one of the
 * change's 5 attempts and the account's daily code budget. Every refusal reads the same, so the
 * page does not tell a wrong reference from a wrong code.
 */
export type NewContactOutcome = { ok: true; kind: "email" | "phone" } | { ok: false; reason: "wrong" | "throttled" };

const REFERENCE = /^AR-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/;

export async function proveNewContact(context: RequestContext, referenceRaw: string, codeRaw: string): Promise<NewContactOutcome> {
  const { db, clock, config } = context.services;
  const reference = referenceRaw.trim().toUpperCase().slice(0, 32);
  const code = codeRaw.replace(/[\s-]/g, "").slice(0, 32);
  const looked = await guardedLookup(
    context.services.limits,
    context.clientKey,
    async () => (REFERENCE.test(reference) ? await findPendingTicketChange(db, reference, clock.now()) : undefined),
    (found) => found !== undefined,
  );
  if (!looked) return { ok: false, reason: "throttled" };
  const change = looked.found;
  if (!change) return { ok: false, reason: "wrong" };
  const proof = await codeProof.verify(
    context,
    {
      claimAttempt: (d) => claimChangeAttempt(d, change.id, NEW_CONTACT_MAX_ATTEMPTS),
      maxAttempts: NEW_CONTACT_MAX_ATTEMPTS,
      expectedHash: change.code_hash,
      hashOf: (typed) => codeHash(context, change.id, typed),
      budgetKey: `otp:contact:${change.user_id}`,
    },
    code,
  );
  if (!proof.ok) {
    if (proof.counted) {
      await inTransaction(context, async (tx) => {
        if (proof.reason === "dead") {
          await cancelTicketChanges(tx.services.db, change.ticket_id);
          await addTicketEvent(tx.services.db, change.ticket_id, clock.now(), "system", "contact_change_failed", "Too many wrong codes: the new contact was not saved. Request the change again.");
        }
        await recordEvent(tx, {
          event: `${change.kind}_change_code_failed`,
          outcome: "failure",
          userId: change.user_id,
          details: { via: "assisted", attempts: proof.attempts, budget: proof.budget },
        });
      });
    }
    return { ok: false, reason: "wrong" };
  }
  const user = await findUserById(db, change.user_id);
  const ticket = await getTicket(db, change.ticket_id);
  if (!user || !ticket) return { ok: false, reason: "wrong" };
  // The staff member who sent the code (after approval, or at once without four eyes).
  const sent = (await ticketEvents(db, ticket.id)).filter((e) => e.action === "contact_code_sent").pop();
  const staffId = sent?.actor.startsWith("staff:") ? sent.actor.slice("staff:".length) : null;
  const kind = change.kind;
  const now = clock.now();
  const done = await inTransaction(context, async (tx) => {
    const d = tx.services.db;
    if (!(await completeChange(d, change.id, now))) return false;
    await setVerifiedContact(d, user.id, kind, change.new_value);
    // Whoever held the account before must not keep a session or a recovery link sent to the old contact.
    const sessions = await deleteAllSessions(d, { type: "user", id: user.id });
    await cancelFlows(d, { userId: user.id });
    await addTicketEvent(d, ticket.id, now, "customer", `${kind}_changed`, `The customer typed the code: the new ${kind === "email" ? "email address" : "phone number"} is saved and verified.`);
    await recordEvent(tx, {
      event: `${kind}_changed`,
      outcome: "success",
      ...(staffId ? { actorType: "staff" as const, actorId: staffId } : {}),
      userId: user.id,
      details: { via: "assisted", ticket: ticket.reference, sessions_revoked: sessions },
    });
    // Both the old and the new contact are told; the old one's link can undo the change (M3).
    const previous = kind === "email" ? (user.email_verified ? user.email : null) : user.phone && user.phone_verified ? user.phone : null;
    await sendSecurityNotice(tx, user, {
      template: "contact-changed",
      event: `${kind}_changed`,
      extra: { kind },
      byStaff: true,
      alsoEmail: kind === "email" ? [change.new_value] : [],
      restore: previous ? { kind, previous, replaced: change.new_value } : undefined,
    });
    if (kind === "phone") {
      const reportUrl = await reportLink(tx, user.id, "phone_changed", { channel: "sms", to: change.new_value });
      await tx.services.send({
        channel: "sms",
        to: change.new_value,
        template: "contact-changed",
        payload: {
          appName: config.appName,
          username: user.username,
          kind,
          when: new Date(now).toUTCString(),
          browser: "our support team",
          ip: "",
          reportUrl,
          supportEmail: config.supportEmail,
          locale: user.locale ?? config.defaultLocale,
        },
      });
    }
    return true;
  });
  return done ? { ok: true, kind } : { ok: false, reason: "wrong" };
}
