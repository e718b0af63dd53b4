import crypto from "node:crypto";
import type { Db } from "~/db/db.server";
import { inTransaction, type RequestContext } from "~/context.server";
import * as store from "~/stores/tickets.store";
import * as queueStore from "~/stores/ticket-queue.store";
import { findUserById, findUsersByEmail, findUsersByLogin, type User } from "~/accounts/accounts.server";
import { activeLock } from "~/lockout/lockout.server";
import { guardedLookup } from "~/limits/limits.server";
import { recentFlows } from "~/recovery/flows.server";
import { recordEvent } from "~/audit/events.server";
import { randomId, randomToken, sha256Hex } from "~/security/crypto.server";
import { ticketLocale } from "~/notices/message-locale";

/**
 * Assisted-recovery tickets (DESIGN.md "Assisted recovery"). A ticket is opened by the public
 * form or by a "This wasn't me" report; support staff work it in /support. Customers never read
 * a ticket by id (AR-05): they only ever see their own reference on the confirmation page.
 */

export const CATEGORIES = {
  lost_email: "I lost access to my email",
  lost_factor: "I lost my phone or authenticator app",
  locked: "My account is locked",
  compromised: "Someone else is using my account",
  other: "Something else",
} as const;
export type Category = keyof typeof CATEGORIES;

export const STATUSES = ["open", "waiting_customer", "approved", "rejected", "closed"] as const;
export type TicketStatus = (typeof STATUSES)[number];

/** A tickets row, its text columns narrowed to the values the portal writes. */
export type Ticket = Omit<store.TicketRow, "category" | "priority" | "status" | "source" | "channel" | "tier"> & {
  category: Category;
  priority: "high" | "normal";
  status: TicketStatus;
  source: "form" | "report";
  /** "phone": opened by an agent for a customer who called. */
  channel: "web" | "phone";
  tier: 1 | 2;
};

export type TicketEvent = store.TicketEventRow;

// No 0/O or 1/I/L: references are read out over the phone.
const REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export function newReference(): string {
  const part = () => Array.from({ length: 4 }, () => REF_ALPHABET[crypto.randomInt(REF_ALPHABET.length)]).join("");
  return `AR-${part()}-${part()}`;
}

export type NewTicket = {
  category: Category;
  fullName: string;
  accountHint: string | null;
  contactEmail: string;
  contactPhone: string | null;
  details: string | null;
  lastSignInClaim: string | null;
  openedClaim: string | null;
};

/** Which account the claim is about, when exactly one matches what the customer typed. */
async function matchAccount(db: Db, input: NewTicket): Promise<User | null> {
  const byHint = input.accountHint ? await findUsersByLogin(db, input.accountHint) : [];
  if (byHint.length === 1) return byHint[0];
  const byContact = await findUsersByEmail(db, input.contactEmail);
  return byContact.length === 1 ? byContact[0] : null;
}

/**
 * Opens a ticket, inside one transaction with its acknowledgement to the customer and its email
 * to support. Pass the caller's transaction context (`tx`) when combining with other changes.
 */
export async function openTicket(
  context: RequestContext,
  input: NewTicket,
  options: {
    source?: "form" | "report";
    channel?: "web" | "phone";
    matchedUser?: User | null;
    contactConfirmed?: boolean;
    /** The staff member who opened it for a caller (channel "phone"): the opened event's actor. */
    openedBy?: string;
  } = {},
): Promise<{ reference: string; slaHours: number; ticketId: string }> {
  const { clock, config } = context.services;
  const now = clock.now();
  const priority = input.category === "compromised" ? "high" : "normal";
  const slaMs = priority === "high" ? config.tickets.slaHighMs : config.tickets.slaNormalMs;
  const slaHours = Math.round(slaMs / 3_600_000);
  const confirmToken = randomToken();
  return inTransaction(context, async (tx) => {
    const db = tx.services.db;
    const matched = options.matchedUser !== undefined ? options.matchedUser : await matchAccount(db, input);
    const ticket: Ticket = {
      id: randomId(),
      reference: newReference(),
      category: input.category,
      priority,
      status: "open",
      source: options.source ?? "form",
      sla_due_at: now + slaMs,
      full_name: input.fullName,
      account_hint: input.accountHint,
      contact_email: input.contactEmail,
      contact_phone: input.contactPhone,
      details: input.details,
      last_sign_in_claim: input.lastSignInClaim,
      opened_claim: input.openedClaim,
      matched_user_id: matched?.id ?? null,
      contact_confirmed: options.contactConfirmed ? 1 : 0,
      confirm_token_hash: options.contactConfirmed ? null : sha256Hex(confirmToken),
      created_at: now,
      updated_at: now,
      tier: 1,
      assigned_to: null,
      channel: options.channel ?? "web",
      first_response_at: null,
      escalated_at: null,
      resolved_at: null,
      // The acknowledgement's token also opens the customer's status page, after confirming too.
      status_token_hash: options.contactConfirmed ? null : sha256Hex(confirmToken),
      // The language the customer wrote in; a ticket staff open for a caller has none yet (issue 16).
      locale: options.openedBy ? null : context.locale,
    };
    await store.insertTicket(db, ticket);
    const openedBy = options.openedBy ? `staff:${options.openedBy}` : ticket.source === "report" ? "system" : "customer";
    await addEvent(db, ticket.id, now, openedBy, "opened", null, null, "open");
    if (!options.contactConfirmed) {
      await tx.services.send({
        channel: "email",
        to: ticket.contact_email,
        template: "ticket-acknowledgement",
        payload: {
          appName: config.appName,
          reference: ticket.reference,
          slaHours,
          confirmUrl: `${config.appOrigin}/assisted-recovery/confirm/${confirmToken}`,
          statusUrl: `${config.appOrigin}/assisted-recovery/status/${confirmToken}`,
          locale: ticketLocale(ticket, config.defaultLocale),
        },
      });
    }
    await tx.services.send({ channel: "email", to: config.supportEmail, template: "ticket-new", payload: await supportPayload(tx, ticket, matched) });
    await recordEvent(tx, {
      event: "ticket_opened",
      outcome: "info",
      userId: matched?.id ?? null,
      ...(options.openedBy ? { actorType: "staff" as const, actorId: options.openedBy } : {}),
      details: { ticket: ticket.reference, category: ticket.category, priority, source: ticket.source, channel: ticket.channel, matched: Boolean(matched) },
    });
    return { reference: ticket.reference, slaHours, ticketId: ticket.id };
  });
}

/** What support's email says. Every customer value is passed as data; the template escapes it. */
async function supportPayload(context: RequestContext, ticket: Ticket, matched: User | null) {
  const { db, clock, config } = context.services;
  const lock = matched ? await activeLock(db, matched.id, clock.now()) : undefined;
  const attempts = matched ? (await recentFlows(db, matched.id, 50)).filter((f) => f.created_at > clock.now() - 7 * 86_400_000) : [];
  return {
    appName: config.appName,
    reference: ticket.reference,
    category: CATEGORIES[ticket.category],
    priority: ticket.priority,
    slaDue: new Date(ticket.sla_due_at).toUTCString(),
    source: ticket.source,
    fullName: ticket.full_name,
    accountHint: ticket.account_hint ?? "",
    contactEmail: ticket.contact_email,
    contactPhone: ticket.contact_phone ?? "",
    details: ticket.details ?? "",
    lastSignInClaim: ticket.last_sign_in_claim ?? "",
    openedClaim: ticket.opened_claim ?? "",
    contactConfirmed: ticket.contact_confirmed === 1,
    matchedUsername: matched?.username ?? null,
    lockState: lock ? `${lock.reason}${lock.locked_until ? ` until ${new Date(lock.locked_until).toUTCString()}` : " (until unlocked)"}` : "not locked",
    recentAttempts: attempts.length,
    consoleUrl: `${config.appOrigin}/support/tickets/${ticket.id}`,
  };
}

async function addEvent(db: Db, ticketId: string, at: number, actor: string, action: string, note: string | null, from: string | null, to: string | null) {
  await store.insertTicketEvent(db, { ticket_id: ticketId, at, actor, action, note, from_status: from, to_status: to });
}

/** A system note in a ticket's history (e.g. what a "This wasn't me" report changed). */
export async function addTicketEvent(db: Db, ticketId: string, at: number, actor: string, action: string, note: string | null): Promise<void> {
  await addEvent(db, ticketId, at, actor, action, note, null, null);
  // A risky action carried out on approval answers the customer as much as a plain staff action.
  if (actor.startsWith("staff:") && FIRST_RESPONSE_ACTIONS.has(action)) await queueStore.stampFirstResponse(db, ticketId, at);
}

/** The acknowledgement's confirm link lives as long as a report link (L15, TOK-05). */
export const CONFIRM_TTL_MS = 7 * 86_400_000;

export type ConfirmOutcome = "confirmed" | "invalid" | "expired" | "throttled";

/**
 * The acknowledgement's link proves the customer reads the contact address they gave. It expires
 * 7 days after the ticket was opened; unknown tokens count against the client's link-guessing
 * budget like every other link (L15, TOK-09).
 */
export async function confirmContact(context: RequestContext, token: string): Promise<ConfirmOutcome> {
  const { db, clock, limits } = context.services;
  const looked = await guardedLookup(
    limits,
    context.clientKey,
    async () => (/^[A-Za-z0-9_-]{43}$/.test(token) ? ((await store.findTicketByConfirmHash(db, sha256Hex(token))) as Ticket | undefined) : undefined),
    (found) => found !== undefined,
  );
  if (!looked) return "throttled";
  const ticket = looked.found;
  if (!ticket) return "invalid";
  if (clock.now() >= ticket.created_at + CONFIRM_TTL_MS) return "expired";
  const now = clock.now();
  // Spent by one conditional UPDATE: of two clicks at once, only one confirms and is recorded.
  const won = await inTransaction(context, async (tx) => {
    if (!(await store.confirmTicketContact(tx.services.db, ticket.id, ticket.confirm_token_hash!, now))) return false;
    await addEvent(tx.services.db, ticket.id, now, "customer", "contact_confirmed", null, null, null);
    return true;
  });
  return won ? "confirmed" : "invalid";
}

export async function listTickets(db: Db, filter: { status?: string | null; category?: string | null }): Promise<Ticket[]> {
  const statuses =
    filter.status === "active" || !filter.status
      ? (["open", "waiting_customer"] as const)
      : (STATUSES as readonly string[]).includes(filter.status)
        ? [filter.status]
        : null;
  const category = filter.category && filter.category in CATEGORIES ? filter.category : null;
  return (await store.listTickets(db, { statuses, category }, 200)) as Ticket[];
}

export async function getTicket(db: Db, id: string): Promise<Ticket | undefined> {
  if (!/^[a-z2-7]{24}$/.test(id)) return undefined;
  return (await store.findTicketById(db, id)) as Ticket | undefined;
}

export async function ticketEvents(db: Db, id: string): Promise<TicketEvent[]> {
  return store.listTicketEvents(db, id);
}

export async function ticketAccount(db: Db, ticket: Ticket): Promise<User | null> {
  return ticket.matched_user_id ? ((await findUserById(db, ticket.matched_user_id)) ?? null) : null;
}

/**
 * Staff actions the customer sees or that decide the ticket: the first one stops the SLA clock
 * (first_response_at). Another capability's action that answers the customer (e.g. "reply")
 * belongs here too. Assigning, escalating and internal notes do not count.
 */
export const FIRST_RESPONSE_ACTIONS: ReadonlySet<string> = new Set([
  "request_info",
  "approve",
  "reject",
  "close",
  "unlock",
  "remove_factors",
  "reply",
  // Risky actions carried out at once (four eyes off) or on approval (app/support/approvals.server.ts).
  "lift_compromise_lock",
  "change_contact",
  "remove_factors_approved",
  "lift_compromise_lock_approved",
  "change_contact_approved",
]);
/** Statuses that resolve a ticket: the first time one is reached is its resolved_at. */
export const RESOLVED_STATUSES: ReadonlySet<string> = new Set(["approved", "rejected", "closed"]);

/**
 * Records a staff action with its note and status change (the ticket's history), and stamps
 * first_response_at and resolved_at the first time (conditional writes: the first stamp stays).
 */
export async function recordStaffAction(db: Db, ticket: Ticket, now: number, staffId: string, action: string, note: string, to: TicketStatus | null): Promise<void> {
  await store.updateTicketStatus(db, ticket.id, to, now);
  await addEvent(db, ticket.id, now, `staff:${staffId}`, action, note, ticket.status, to ?? ticket.status);
  if (FIRST_RESPONSE_ACTIONS.has(action)) await queueStore.stampFirstResponse(db, ticket.id, now);
  if (to && RESOLVED_STATUSES.has(to)) await queueStore.stampResolved(db, ticket.id, now);
}
