import type { Db } from "~/db/db.server";
import { inTransaction, type RequestContext } from "~/context.server";
import * as queueStore from "~/stores/ticket-queue.store";
import { countOutboxBacklog } from "~/stores/outbox.store";
import { findStaffById, listStaff, type Staff } from "~/stores/staff.store";
import { normalisePhone, looksLikePhone } from "~/accounts/phone";
import { recordEvent } from "~/audit/events.server";
import type { QueueFigures } from "~/metrics.server";
import { CATEGORIES, STATUSES, addTicketEvent, getTicket, type Ticket } from "./tickets.server";
import { escalateByHand } from "./escalation.server";
import type { TicketQueueData } from "~/ui/ticket-queue";

/**
 * The support queue (issue 14): claiming and assigning tickets, the list's views, filters and
 * search, manual escalation, the SLA clock, and the figures /metrics reports.
 *
 * Who may assign: any staff member may claim an unassigned ticket or assign an unassigned one to
 * an active colleague; taking a ticket away from the colleague who holds it (reassigning) is for
 * supervisors and admins. Each write is conditional on the assignee the decision was based on, so
 * two claims at once give one winner (docs/decisions/0017, rule 1).
 */

export const QUEUE_INTENTS = ["claim", "assign", "escalate"] as const;
export type QueueIntent = (typeof QUEUE_INTENTS)[number];

type Actor = Pick<Staff, "id" | "name" | "role">;
export type QueueAnswer = { ok: boolean; message: string; status: number };

const mayReassign = (staff: Actor) => staff.role === "supervisor" || staff.role === "admin";
const ACTIVE = new Set(["open", "waiting_customer"]);

/** Answers the ticket page's `claim`, `assign` and `escalate` intents; null for any other intent. */
export async function handleQueueIntent(context: RequestContext, staff: Actor, ticketId: string, intent: string, form: FormData): Promise<QueueAnswer | null> {
  if (!(QUEUE_INTENTS as readonly string[]).includes(intent)) return null;
  const { db } = context.services;
  const ticket = await getTicket(db, ticketId);
  if (!ticket) return { ok: false, status: 404, message: "No such ticket." };
  switch (intent as QueueIntent) {
    case "claim":
      return claim(context, staff, ticket);
    case "assign":
      return assign(context, staff, ticket, String(form.get("assignee") ?? ""));
    case "escalate":
      return escalate(context, staff, ticket, String(form.get("escalation_note") ?? ""));
  }
}

async function recordAssignment(tx: RequestContext, staff: Actor, ticket: Ticket, to: Pick<Staff, "id" | "name">, action: "claimed" | "assigned", from: string | null, now: number) {
  await addTicketEvent(tx.services.db, ticket.id, now, `staff:${staff.id}`, action, action === "claimed" ? `claimed by ${to.name}` : `assigned to ${to.name}${from ? ` (was ${from})` : ""}`);
  await recordEvent(tx, {
    event: action === "claimed" ? "ticket_claimed" : "ticket_assigned",
    outcome: "success",
    actorType: "staff",
    actorId: staff.id,
    userId: ticket.matched_user_id,
    details: { ticket: ticket.reference, assignee: to.id, previous: ticket.assigned_to },
  });
}

async function claim(context: RequestContext, staff: Actor, ticket: Ticket): Promise<QueueAnswer> {
  if (ticket.assigned_to === staff.id) return { ok: true, status: 200, message: "This ticket is already yours." };
  if (ticket.assigned_to) return { ok: false, status: 409, message: "Someone else already has this ticket. A supervisor can reassign it." };
  const now = context.services.clock.now();
  const won = await inTransaction(context, async (tx) => {
    if (!(await queueStore.claimTicket(tx.services.db, ticket.id, staff.id, now))) return false;
    await recordAssignment(tx, staff, ticket, staff, "claimed", null, now);
    return true;
  });
  return won ? { ok: true, status: 200, message: "You have claimed this ticket." } : { ok: false, status: 409, message: "Someone else claimed this ticket first." };
}

async function assign(context: RequestContext, staff: Actor, ticket: Ticket, assigneeId: string): Promise<QueueAnswer> {
  const { db, clock } = context.services;
  const assignee = /^[a-z2-7]{24}$/.test(assigneeId) || /^[A-Za-z0-9_-]{1,64}$/.test(assigneeId) ? await findStaffById(db, assigneeId) : undefined;
  if (!assignee || assignee.status !== "active") return { ok: false, status: 400, message: "Choose an active staff member to assign the ticket to." };
  if (ticket.assigned_to === assignee.id) return { ok: true, status: 200, message: `This ticket is already assigned to ${assignee.name}.` };
  if (ticket.assigned_to && !mayReassign(staff)) {
    return { ok: false, status: 403, message: "Only a supervisor or an admin can reassign a ticket someone already has." };
  }
  const from = ticket.assigned_to ? ((await findStaffById(db, ticket.assigned_to))?.name ?? null) : null;
  const now = clock.now();
  const won = await inTransaction(context, async (tx) => {
    if (!(await queueStore.assignTicket(tx.services.db, ticket.id, assignee.id, ticket.assigned_to, now))) return false;
    await recordAssignment(tx, staff, ticket, assignee, "assigned", from, now);
    return true;
  });
  return won
    ? { ok: true, status: 200, message: `Assigned to ${assignee.name}.` }
    : { ok: false, status: 409, message: "The ticket's assignment changed meanwhile. Reload the page and try again." };
}

async function escalate(context: RequestContext, staff: Actor, ticket: Ticket, rawNote: string): Promise<QueueAnswer> {
  const note = rawNote.trim();
  if (note.length < 3 || note.length > 2000) return { ok: false, status: 400, message: "Write a note of 3 to 2000 characters: why this ticket needs tier 2." };
  if (!ACTIVE.has(ticket.status)) return { ok: false, status: 409, message: "This ticket is finished: there is nothing to escalate." };
  if (ticket.escalated_at !== null) return { ok: false, status: 409, message: "This ticket is already escalated to tier 2." };
  const won = await escalateByHand(context, ticket, staff, note);
  return won ? { ok: true, status: 200, message: "Escalated to tier 2 with high priority; the escalation address was e-mailed." } : { ok: false, status: 409, message: "This ticket is already escalated to tier 2." };
}

// ---- the ticket page -------------------------------------------------------------------------

/** The SLA as staff read it: "breached by 3 h", "5 h left", or stopped by the first response. */
export function slaState(ticket: { sla_due_at: number; first_response_at: number | null; status: string }, now: number): { breached: boolean; text: string } {
  const hours = (ms: number) => {
    const h = ms / 3_600_000;
    return h < 1 ? `${Math.max(1, Math.round(ms / 60_000))} min` : `${Math.round(h * 10) / 10} h`;
  };
  if (ticket.first_response_at !== null) {
    const late = ticket.first_response_at > ticket.sla_due_at;
    return { breached: late, text: late ? `first response ${hours(ticket.first_response_at - ticket.sla_due_at)} late` : "first response within the SLA" };
  }
  if (!ACTIVE.has(ticket.status)) return { breached: false, text: "finished without a response" };
  if (now >= ticket.sla_due_at) return { breached: true, text: `breached by ${hours(now - ticket.sla_due_at)}` };
  return { breached: false, text: `${hours(ticket.sla_due_at - now)} left` };
}

/** The ticket page's queue section, in the shape its component takes. */
export type QueueView = TicketQueueData;

/** The ticket page's queue section: tier, assignee, who it may go to, the SLA clock. */
export async function queueView(context: RequestContext, staff: Actor, ticketId: string): Promise<QueueView | null> {
  const { db, clock } = context.services;
  const ticket = await getTicket(db, ticketId);
  if (!ticket) return null;
  const everyone = await listStaff(db);
  const assignee = ticket.assigned_to ? everyone.find((s) => s.id === ticket.assigned_to) : undefined;
  return {
    tier: ticket.tier,
    assignee: assignee ? { id: assignee.id, name: assignee.name } : null,
    me: staff.id,
    mayReassign: mayReassign(staff),
    staff: everyone.filter((s) => s.status === "active").map((s) => ({ id: s.id, name: s.name })),
    dueAt: ticket.sla_due_at,
    sla: slaState(ticket, clock.now()),
    firstResponseAt: ticket.first_response_at,
    escalatedAt: ticket.escalated_at,
    resolvedAt: ticket.resolved_at,
    active: ACTIVE.has(ticket.status),
  };
}

// ---- the list --------------------------------------------------------------------------------

export type QueueListInput = { status: string; category: string; view: string; tier: string; q: string };

const REFERENCE_RE = /^AR-[A-Z0-9]{4}-[A-Z0-9]{4}$/;

/** The list page's rows for its filters, view (all, mine, unassigned), tier and search. */
export async function listQueue(context: RequestContext, staff: Actor, input: QueueListInput) {
  const { db, clock, config } = context.services;
  const statuses =
    input.status === "active" || !input.status
      ? (["open", "waiting_customer"] as const)
      : (STATUSES as readonly string[]).includes(input.status)
        ? [input.status]
        : null;
  const category = input.category in CATEGORIES ? input.category : null;
  const tier = input.tier === "1" ? 1 : input.tier === "2" ? 2 : null;
  const assignee = input.view === "mine" ? staff.id : input.view === "unassigned" ? "none" : null;
  const q = input.q.trim().slice(0, 320);
  const search = q ? await searchKeys(db, q, config.defaultPhoneRegion) : null;
  const now = clock.now();
  const rows = await queueStore.listQueue(db, { statuses, category, tier, assignee, search }, 200);
  return rows.map((t) => {
    const sla = slaState(t, now);
    return {
      id: t.id,
      reference: t.reference,
      category: CATEGORIES[t.category as keyof typeof CATEGORIES] ?? t.category,
      priority: t.priority,
      status: t.status,
      tier: Number(t.tier),
      assignee: t.assignee_name,
      due: new Date(t.sla_due_at).toISOString(),
      overdue: t.sla_due_at < now && ACTIVE.has(t.status),
      breached: sla.breached,
      sla: sla.text,
      escalated: t.escalated_at !== null,
      confirmed: t.contact_confirmed === 1,
    };
  });
}

/** What a search term can be: a reference, an e-mail or username, a phone number. */
async function searchKeys(db: Db, q: string, region: string): Promise<NonNullable<queueStore.QueueFilter["search"]>> {
  const upper = q.toUpperCase();
  const phone = looksLikePhone(q) ? normalisePhone(q, region) : null;
  // Customers type their phone as they like: the ticket's copy is normalised the same way here.
  const ids = phone
    ? (await queueStore.ticketContactPhones(db, 5000)).filter((t) => normalisePhone(t.contact_phone, region) === phone).map((t) => t.id)
    : [];
  return { reference: REFERENCE_RE.test(upper) ? upper : null, login: q.toLowerCase(), phone, ids: ids.slice(0, 500) };
}

// ---- metrics ---------------------------------------------------------------------------------

/** The scrape-time figures: open tickets by tier, breaches, outbox backlog. */
export async function readQueueFigures(db: Db, now: number): Promise<QueueFigures> {
  const [tickets, outboxBacklog] = [await queueStore.queueFigures(db, now), await countOutboxBacklog(db)];
  return { ...tickets, outboxBacklog };
}
