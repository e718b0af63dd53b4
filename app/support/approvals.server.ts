import { inTransaction, type RequestContext } from "~/context.server";
import { serializeOn, type Db } from "~/db/db.server";
import type { User } from "~/accounts/accounts.server";
import { isValidEmail, normaliseEmail } from "~/accounts/identifiers";
import { normalisePhone } from "~/accounts/phone";
import { smsAllowed } from "~/delivery/sms-guard.server";
import { recordEvent } from "~/audit/events.server";
import { sendSecurityNotice } from "~/notices/notices.server";
import { liftLocks, openLocks, SELF_SERVICE_REASONS, type LockReason } from "~/lockout/lockout.server";
import { removeAllFactors } from "~/factors/factors.server";
import { codeHash } from "~/settings/contacts.server";
import { randomDigits, randomId } from "~/security/crypto.server";
import * as store from "~/stores/approvals.store";
import { cancelTicketChanges, insertContactChange } from "~/stores/contact-changes.store";
import { addTicketEvent, getTicket, ticketAccount, type Ticket } from "~/tickets/tickets.server";
import { staffHasRole, type Staff } from "./staff.server";
import type { ApprovalItemView } from "~/ui/ticket-approvals";
import { ticketLocale } from "~/notices/message-locale";

export type { ApprovalAction, ApprovalRow } from "~/stores/approvals.store";
type ApprovalAction = store.ApprovalAction;

/**
 * Four eyes for risky staff actions (issue 14). With the action in FOUR_EYES (all three by default),
 * an agent's request is kept as a pending ticket_approvals row with its note instead of acting. A
 * supervisor or admin who is not the requester approves it (with a note) or declines it; the
 * requester may cancel it. The decision is one conditional UPDATE (`… WHERE status = 'pending'`)
 * and an approval carries out the action in that same transaction, so of two approvers at once
 * exactly one wins and the action runs once. Everything lands in the ticket's history and the
 * audit log (approval_requested, _approved, _declined, _cancelled, and _refused for a refusal).
 */

export const APPROVAL_LABELS: Record<ApprovalAction, string> = {
  remove_factors: "Remove the account's second factors",
  lift_compromise_lock: "Lift the reported-compromise lock",
  change_contact: "Replace the customer's contact",
};

/** How long a staff-made contact change waits for the code sent to the new contact. */
export const NEW_CONTACT_TTL_MS = 24 * 3_600_000;
export const NEW_CONTACT_MAX_ATTEMPTS = 5;

export function needsFourEyes(context: RequestContext, action: ApprovalAction): boolean {
  return context.services.config.tickets.fourEyes.includes(action);
}

/** What a request carries, by action: the contact change's kind and new value; a lock to lift. */
export type ApprovalDetail = { kind?: "email" | "phone"; value?: string; lockId?: string };

export type ContactCheck = { ok: true; kind: "email" | "phone"; value: string } | { ok: false; reason: "bad-kind" | "invalid-email" | "invalid-phone" | "same-contact" | "sms-refused" };

/** The new contact staff typed, checked like the customer's own change: e-mail format, or a phone in an allowed country. */
export async function checkNewContact(context: RequestContext, user: User, kindRaw: string, raw: string): Promise<ContactCheck> {
  if (kindRaw !== "email" && kindRaw !== "phone") return { ok: false, reason: "bad-kind" };
  const kind = kindRaw;
  if (kind === "email") {
    const value = normaliseEmail(raw.slice(0, 320));
    if (!isValidEmail(value)) return { ok: false, reason: "invalid-email" };
    if (value === user.email && user.email_verified) return { ok: false, reason: "same-contact" };
    return { ok: true, kind, value };
  }
  const value = normalisePhone(raw.slice(0, 64), context.services.config.defaultPhoneRegion);
  if (!value) return { ok: false, reason: "invalid-phone" };
  if (value === user.phone && user.phone_verified) return { ok: false, reason: "same-contact" };
  if (!(await smsAllowed(context, value))) return { ok: false, reason: "sms-refused" };
  return { ok: true, kind, value };
}

export type RequestOutcome =
  | { ok: true; approvalId: string }
  | { ok: false; reason: "no-ticket" | "finished" | "no-account" | "bad-note" | "already-pending" };

const validNote = (note: string) => note.length >= 3 && note.length <= 2000;

/** A risky action needs an unfinished ticket matched to an account, and a note (3–2000 characters). */
async function actionable(
  db: Db,
  ticketId: string,
  rawNote: string,
): Promise<{ ok: true; ticket: Ticket; user: User; note: string } | { ok: false; reason: "no-ticket" | "finished" | "no-account" | "bad-note" }> {
  const ticket = await getTicket(db, ticketId);
  if (!ticket) return { ok: false, reason: "no-ticket" };
  if (ticket.status === "closed" || ticket.status === "rejected") return { ok: false, reason: "finished" };
  const user = await ticketAccount(db, ticket);
  if (!user) return { ok: false, reason: "no-account" };
  const note = rawNote.trim();
  if (!validNote(note)) return { ok: false, reason: "bad-note" };
  return { ok: true, ticket, user, note };
}

/** An agent's (or anyone's) request for a risky action, waiting for a second staff member. */
export async function requestApproval(
  context: RequestContext,
  staff: Staff,
  ticketId: string,
  input: { action: ApprovalAction; note: string; detail?: ApprovalDetail },
): Promise<RequestOutcome> {
  const { db, clock } = context.services;
  const checked = await actionable(db, ticketId, input.note);
  if (!checked.ok) return checked;
  const { ticket, user, note } = checked;
  const id = randomId();
  const now = clock.now();
  const done = await inTransaction(context, async (tx) => {
    const db = tx.services.db;
    // Read-then-write (0017 rule 3): two agents asking at once make one pending request.
    await serializeOn(db, `ticket_approvals:${ticket.id}:${input.action}`);
    if (await store.findPendingApproval(db, ticket.id, input.action)) return false;
    await store.insertApproval(db, {
      id,
      ticket_id: ticket.id,
      action: input.action,
      detail: input.detail ? JSON.stringify(input.detail) : null,
      note,
      requested_by: staff.id,
      requested_at: now,
    });
    await addTicketEvent(db, ticket.id, now, `staff:${staff.id}`, `${input.action}_requested`, note);
    // Supervisors hear of it at SUPPORT_EMAIL too (the queue is /support/approvals).
    const { config } = tx.services;
    await tx.services.send({
      channel: "email",
      to: config.supportEmail,
      template: "approval-requested",
      payload: {
        appName: config.appName,
        reference: ticket.reference,
        action: APPROVAL_LABELS[input.action],
        requester: staff.name,
        ticketUrl: `${config.appOrigin}/support/tickets/${ticket.id}`,
        queueUrl: `${config.appOrigin}/support/approvals`,
      },
    });
    await recordEvent(tx, {
      event: "approval_requested",
      outcome: "info",
      actorType: "staff",
      actorId: staff.id,
      userId: user.id,
      details: { ticket: ticket.reference, approval: id, action: input.action },
    });
    return true;
  });
  return done ? { ok: true, approvalId: id } : { ok: false, reason: "already-pending" };
}

export type RiskyOutcome = { ok: true; requested: true } | { ok: true; requested: false; count: number } | Exclude<RequestOutcome, { ok: true }> | { ok: false; reason: "flooded" };

/** A new contact's code, prepared outside the transaction that saves it (and the destination's budget spent). */
async function prepareCode(context: RequestContext, destination: string): Promise<{ id: string; code: string; hash: string } | null> {
  for (const name of ["messages_per_destination_hour", "messages_per_destination_day"] as const) {
    if (!(await context.services.limits.consume(name, `dest:${destination}`)).ok) return null;
  }
  const id = randomId();
  const digits = randomDigits(6);
  return { id, code: digits, hash: codeHash(context, id, digits) };
}

/**
 * A risky action asked for on a ticket: a pending request when the action is in FOUR_EYES, else
 * carried out at once (ticket history and audit as any staff action).
 */
export async function requestOrRun(
  context: RequestContext,
  staff: Staff,
  ticketId: string,
  input: { action: ApprovalAction; note: string; detail?: ApprovalDetail },
): Promise<RiskyOutcome> {
  if (needsFourEyes(context, input.action)) {
    const outcome = await requestApproval(context, staff, ticketId, input);
    return outcome.ok ? { ok: true, requested: true } : outcome;
  }
  const { db, clock } = context.services;
  const checked = await actionable(db, ticketId, input.note);
  if (!checked.ok) return checked;
  const { ticket, user, note } = checked;
  const code = input.action === "change_contact" ? await prepareCode(context, input.detail!.value!) : null;
  if (input.action === "change_contact" && !code) return { ok: false, reason: "flooded" };
  const now = clock.now();
  const count = await inTransaction(context, async (tx) => {
    await addTicketEvent(tx.services.db, ticket.id, now, `staff:${staff.id}`, input.action, note);
    await recordEvent(tx, {
      event: `ticket_${input.action}`,
      outcome: "success",
      actorType: "staff",
      actorId: staff.id,
      userId: user.id,
      details: { ticket: ticket.reference, four_eyes: false },
    });
    return executeAction(tx, staff, ticket, user, input.action, input.detail ?? {}, code);
  });
  return { ok: true, requested: false, count };
}

export type Decision = "approve" | "decline" | "cancel";
export type DecisionOutcome =
  | { ok: true; decision: Decision; action: ApprovalAction; count?: number }
  | { ok: false; reason: "no-approval" | "decided" | "own-request" | "not-supervisor" | "not-requester" | "bad-note" | "no-account" | "flooded" | "finished" };

/**
 * Approve, decline or cancel a pending request. Approving or declining needs a supervisor or admin
 * who did not ask; cancelling, the requester. Refusals of the role rules are audited.
 */
export async function decideRequest(context: RequestContext, staff: Staff, ticketId: string, input: { approvalId: string; decision: Decision; note: string }): Promise<DecisionOutcome> {
  const { db, clock } = context.services;
  const row = /^[a-z2-7]{24}$/.test(input.approvalId) ? await store.findApproval(db, input.approvalId) : undefined;
  if (!row || row.ticket_id !== ticketId) return { ok: false, reason: "no-approval" };
  const ticket = (await getTicket(db, row.ticket_id))!;
  if (row.status !== "pending") return { ok: false, reason: "decided" };
  const refuse = async (reason: "own-request" | "not-supervisor" | "not-requester") => {
    await recordEvent(context, {
      event: "approval_refused",
      outcome: "failure",
      actorType: "staff",
      actorId: staff.id,
      userId: ticket.matched_user_id,
      details: { ticket: ticket.reference, approval: row.id, action: row.action, decision: input.decision, why: reason },
    });
    return { ok: false as const, reason };
  };
  if (input.decision === "cancel") {
    if (row.requested_by !== staff.id) return refuse("not-requester");
  } else {
    if (row.requested_by === staff.id) return refuse("own-request");
    if (!staffHasRole(staff, "supervisor")) return refuse("not-supervisor");
  }
  const note = input.note.trim();
  if (input.decision !== "cancel" && !validNote(note)) return { ok: false, reason: "bad-note" };
  // A finished ticket's requests may still be declined or cancelled, never carried out.
  if (input.decision === "approve" && (ticket.status === "closed" || ticket.status === "rejected")) return { ok: false, reason: "finished" };
  const user = await ticketAccount(db, ticket);
  if (input.decision === "approve" && !user) return { ok: false, reason: "no-account" };
  const detail: ApprovalDetail = row.detail ? JSON.parse(row.detail) : {};
  // A contact change sends a code: prepared (and the destination's budget spent) before the transaction.
  let code: { id: string; code: string; hash: string } | null = null;
  if (input.decision === "approve" && row.action === "change_contact") {
    code = await prepareCode(context, detail.value!);
    if (!code) return { ok: false, reason: "flooded" };
  }
  const now = clock.now();
  const status = input.decision === "approve" ? "approved" : input.decision === "decline" ? "declined" : "cancelled";
  const result = await inTransaction(context, async (tx) => {
    if (!(await store.decideApproval(tx.services.db, row.id, { status, by: staff.id, at: now, note: note || null }))) return null;
    await addTicketEvent(tx.services.db, ticket.id, now, `staff:${staff.id}`, `${row.action}_${status}`, note || null);
    await recordEvent(tx, {
      event: `approval_${status}`,
      outcome: "success",
      actorType: "staff",
      actorId: staff.id,
      userId: ticket.matched_user_id,
      details: { ticket: ticket.reference, approval: row.id, action: row.action, requested_by: row.requested_by },
    });
    if (input.decision !== "approve") return 0;
    return executeAction(tx, staff, ticket, user!, row.action, detail, code);
  });
  if (result === null) return { ok: false, reason: "decided" };
  return { ok: true, decision: input.decision, action: row.action, count: result };
}

/**
 * Carries out a risky action: after its approval (inside the deciding transaction), or at once
 * when the action is not in FOUR_EYES. Returns how many things it changed (factors, locks, 1 for a
 * contact change started).
 */
export async function executeAction(
  tx: RequestContext,
  staff: Staff,
  ticket: Ticket,
  user: User,
  action: ApprovalAction,
  detail: ApprovalDetail,
  code: { id: string; code: string; hash: string } | null,
): Promise<number> {
  const { clock, config } = tx.services;
  const now = clock.now();
  switch (action) {
    case "remove_factors":
      return removeAllFactors(tx, user, staff.id);
    case "lift_compromise_lock": {
      const ended = await liftLocks(tx.services.db, user.id, now, `staff:${staff.id}`, { reasons: ["reported_compromise"], lockId: detail.lockId });
      await afterLift(tx, staff, user, ended, { ticket: ticket.reference, reason: "reported_compromise" });
      return ended;
    }
    case "change_contact": {
      const kind = detail.kind!;
      const value = detail.value!;
      const db: Db = tx.services.db;
      await cancelTicketChanges(db, ticket.id);
      await insertContactChange(db, { id: code!.id, user_id: user.id, kind, new_value: value, code_hash: code!.hash, created_at: now, expires_at: now + NEW_CONTACT_TTL_MS, ticket_id: ticket.id });
      await tx.services.send({
        channel: kind === "email" ? "email" : "sms",
        to: value,
        template: "contact-verify-assisted",
        payload: {
          appName: config.appName,
          username: user.username,
          code: code!.code,
          kind,
          reference: ticket.reference,
          hours: NEW_CONTACT_TTL_MS / 3_600_000,
          pageUrl: `${config.appOrigin}/assisted-recovery/new-contact`,
          // About the ticket, to its new contact: the ticket's language, else the account's (issue 16).
          locale: ticketLocale(ticket, user.locale ?? config.defaultLocale),
        },
      });
      await addTicketEvent(db, ticket.id, now, `staff:${staff.id}`, "contact_code_sent", `A code was sent to the new ${kind === "email" ? "email address" : "phone number"} ${value}; it is saved once the customer types it.`);
      await recordEvent(tx, {
        event: `${kind}_change_requested`,
        outcome: "info",
        actorType: "staff",
        actorId: staff.id,
        userId: user.id,
        details: { via: "console", ticket: ticket.reference },
      });
      return 1;
    }
  }
}

/** After staff lifted locks: the audit row, and the customer's "unlocked" notice once none is left. */
export async function afterLift(tx: RequestContext, staff: Staff, user: User, ended: number, details: Record<string, string | null>): Promise<void> {
  if (ended === 0) return;
  await recordEvent(tx, {
    event: "account_unlocked",
    outcome: "success",
    actorType: "staff",
    actorId: staff.id,
    userId: user.id,
    details: { via: "console", locks: ended, ...details },
  });
  if ((await openLocks(tx.services.db, user.id, tx.services.clock.now())).length === 0) {
    await sendSecurityNotice(tx, user, { template: "account-unlocked", event: "account_unlocked", byStaff: true });
  }
}

/** The locks the ticket's plain "unlock" may end: all, or all but a compromise lock under four eyes. */
export function unlockReasons(context: RequestContext): LockReason[] {
  return needsFourEyes(context, "lift_compromise_lock") ? [...SELF_SERVICE_REASONS, "staff"] : ["failed_attempts", "suspicious_activity", "reported_compromise", "staff"];
}

// ---- what the ticket page and the queue show ----------------------------------------------------

/** One request as the ticket page shows it, plus the action it names. */
export type ApprovalItem = ApprovalItemView & { action: string };

function describeDetail(row: store.ApprovalRow): string | null {
  if (!row.detail) return null;
  const d = JSON.parse(row.detail) as ApprovalDetail;
  if (d.kind && d.value) return `new ${d.kind === "email" ? "email address" : "phone number"}: ${d.value}`;
  return null;
}

/** The ticket page's four-eyes section: requests for this ticket, and what the viewer may do. */
export async function ticketApprovals(context: RequestContext, staff: Staff, ticketId: string) {
  const { db } = context.services;
  const ticket = await getTicket(db, ticketId);
  const user = ticket ? await ticketAccount(db, ticket) : null;
  const rows = ticket ? await store.listTicketApprovals(db, ticket.id) : [];
  const items: ApprovalItem[] = rows.map((r) => ({
    id: r.id,
    action: r.action,
    label: APPROVAL_LABELS[r.action],
    detail: describeDetail(r),
    note: r.note,
    requester: r.requester ?? r.requested_by,
    requestedAt: r.requested_at,
    status: r.status,
    decider: r.decider,
    decidedAt: r.decided_at,
    decisionNote: r.decision_note,
    mine: r.requested_by === staff.id,
  }));
  const locks = user ? await openLocks(db, user.id, context.services.clock.now()) : [];
  return {
    ticketId,
    canDecide: staffHasRole(staff, "supervisor"),
    fourEyes: context.services.config.tickets.fourEyes as readonly string[],
    accountId: user?.id ?? null,
    compromiseLocked: locks.some((l) => l.reason === "reported_compromise"),
    pending: items.filter((i) => i.status === "pending"),
    past: items.filter((i) => i.status !== "pending"),
  };
}

/** The supervisors' queue: every pending request, oldest first. */
export async function pendingApprovals(context: RequestContext) {
  const rows = await store.listPendingApprovals(context.services.db, 200);
  return rows.map((r) => ({
    id: r.id,
    ticketId: r.ticket_id,
    reference: r.reference,
    label: APPROVAL_LABELS[r.action],
    detail: describeDetail(r),
    note: r.note,
    requester: r.requester ?? r.requested_by,
    requestedAt: r.requested_at,
  }));
}

