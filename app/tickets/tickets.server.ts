import crypto from "node:crypto";
import type { AppLoadContext } from "@remix-run/node";
import type { Db } from "~/db/db.server";
import { findUserById, findUsersByEmail, findUsersByLogin, type User } from "~/accounts/accounts.server";
import { activeLock } from "~/lockout/lockout.server";
import { guardedLookup } from "~/limits/limits.server";
import { recentFlows } from "~/recovery/flows.server";
import { recordEvent } from "~/audit/events.server";
import { randomId, randomToken, sha256Hex } from "~/security/crypto.server";

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

export type Ticket = {
  id: string;
  reference: string;
  category: Category;
  priority: "high" | "normal";
  status: TicketStatus;
  source: "form" | "report";
  sla_due_at: number;
  full_name: string;
  account_hint: string | null;
  contact_email: string;
  contact_phone: string | null;
  details: string | null;
  last_sign_in_claim: string | null;
  opened_claim: string | null;
  matched_user_id: string | null;
  contact_confirmed: number;
  confirm_token_hash: string | null;
  created_at: number;
  updated_at: number;
};

export type TicketEvent = {
  id: number;
  ticket_id: string;
  at: number;
  actor: string;
  action: string;
  note: string | null;
  from_status: string | null;
  to_status: string | null;
};

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
function matchAccount(db: Db, input: NewTicket): User | null {
  const byHint = input.accountHint ? findUsersByLogin(db, input.accountHint) : [];
  if (byHint.length === 1) return byHint[0];
  const byContact = findUsersByEmail(db, input.contactEmail);
  return byContact.length === 1 ? byContact[0] : null;
}

/**
 * Opens a ticket, inside one transaction with its acknowledgement to the customer and its email
 * to support. Call inside a transaction when combining with other changes.
 */
export function openTicket(
  context: AppLoadContext,
  input: NewTicket,
  options: { source?: "form" | "report"; matchedUser?: User | null; contactConfirmed?: boolean } = {},
): { reference: string; slaHours: number; ticketId: string } {
  const { db, clock, config } = context.services;
  const now = clock.now();
  const priority = input.category === "compromised" ? "high" : "normal";
  const slaMs = priority === "high" ? config.tickets.slaHighMs : config.tickets.slaNormalMs;
  const matched = options.matchedUser !== undefined ? options.matchedUser : matchAccount(db, input);
  const confirmToken = randomToken();
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
  };
  db.transaction(() => {
    db.prepare(
      `INSERT INTO tickets (id, reference, category, priority, status, source, sla_due_at, full_name, account_hint, contact_email, contact_phone,
         details, last_sign_in_claim, opened_claim, matched_user_id, contact_confirmed, confirm_token_hash, created_at, updated_at)
       VALUES (@id, @reference, @category, @priority, @status, @source, @sla_due_at, @full_name, @account_hint, @contact_email, @contact_phone,
         @details, @last_sign_in_claim, @opened_claim, @matched_user_id, @contact_confirmed, @confirm_token_hash, @created_at, @updated_at)`,
    ).run(ticket);
    addEvent(db, ticket.id, now, ticket.source === "report" ? "system" : "customer", "opened", null, null, "open");
    const slaHours = Math.round(slaMs / 3_600_000);
    if (!options.contactConfirmed) {
      context.services.send({
        channel: "email",
        to: ticket.contact_email,
        template: "ticket-acknowledgement",
        payload: {
          appName: config.appName,
          reference: ticket.reference,
          slaHours,
          confirmUrl: `${config.appOrigin}/assisted-recovery/confirm/${confirmToken}`,
        },
      });
    }
    context.services.send({ channel: "email", to: config.supportEmail, template: "ticket-new", payload: supportPayload(context, ticket, matched) });
    recordEvent(context, {
      event: "ticket_opened",
      outcome: "info",
      userId: matched?.id ?? null,
      details: { ticket: ticket.reference, category: ticket.category, priority, source: ticket.source, matched: Boolean(matched) },
    });
  }).immediate();
  return { reference: ticket.reference, slaHours: Math.round(slaMs / 3_600_000), ticketId: ticket.id };
}

/** What support's email says. Every customer value is passed as data; the template escapes it. */
function supportPayload(context: AppLoadContext, ticket: Ticket, matched: User | null) {
  const { db, clock, config } = context.services;
  const lock = matched ? activeLock(db, matched.id, clock.now()) : undefined;
  const attempts = matched ? recentFlows(db, matched.id, 50).filter((f) => f.created_at > clock.now() - 7 * 86_400_000) : [];
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

function addEvent(db: Db, ticketId: string, at: number, actor: string, action: string, note: string | null, from: string | null, to: string | null) {
  db.prepare("INSERT INTO ticket_events (ticket_id, at, actor, action, note, from_status, to_status) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
    ticketId,
    at,
    actor,
    action,
    note,
    from,
    to,
  );
}

/** A system note in a ticket's history (e.g. what a "This wasn't me" report changed). */
export function addTicketEvent(db: Db, ticketId: string, at: number, actor: string, action: string, note: string | null) {
  addEvent(db, ticketId, at, actor, action, note, null, null);
}

/** The acknowledgement's confirm link lives as long as a report link (L15, TOK-05). */
export const CONFIRM_TTL_MS = 7 * 86_400_000;

export type ConfirmOutcome = "confirmed" | "invalid" | "expired" | "throttled";

/**
 * The acknowledgement's link proves the customer reads the contact address they gave. It expires
 * 7 days after the ticket was opened; unknown tokens count against the client's link-guessing
 * budget like every other link (L15, TOK-09).
 */
export async function confirmContact(context: AppLoadContext, token: string): Promise<ConfirmOutcome> {
  const { db, clock, limits } = context.services;
  const looked = await guardedLookup(
    limits,
    context.clientKey,
    () => (/^[A-Za-z0-9_-]{43}$/.test(token) ? (db.prepare("SELECT * FROM tickets WHERE confirm_token_hash = ?").get(sha256Hex(token)) as Ticket | undefined) : undefined),
    (found) => found !== undefined,
  );
  if (!looked) return "throttled";
  const ticket = looked.found;
  if (!ticket) return "invalid";
  if (clock.now() >= ticket.created_at + CONFIRM_TTL_MS) return "expired";
  const won = db.transaction(() => {
    const changed = db
      .prepare("UPDATE tickets SET contact_confirmed = 1, confirm_token_hash = NULL, updated_at = ? WHERE id = ? AND confirm_token_hash = ?")
      .run(clock.now(), ticket.id, ticket.confirm_token_hash).changes;
    if (changed === 1) addEvent(db, ticket.id, clock.now(), "customer", "contact_confirmed", null, null, null);
    return changed === 1;
  }).immediate();
  return won ? "confirmed" : "invalid";
}

export function listTickets(db: Db, filter: { status?: string | null; category?: string | null }): Ticket[] {
  const where: string[] = [];
  const args: string[] = [];
  if (filter.status === "active" || !filter.status) where.push("status IN ('open', 'waiting_customer')");
  else if ((STATUSES as readonly string[]).includes(filter.status)) {
    where.push("status = ?");
    args.push(filter.status);
  }
  if (filter.category && filter.category in CATEGORIES) {
    where.push("category = ?");
    args.push(filter.category);
  }
  const sql = `SELECT * FROM tickets ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY sla_due_at ASC LIMIT 200`;
  return db.prepare(sql).all(...args) as Ticket[];
}

export function getTicket(db: Db, id: string): Ticket | undefined {
  if (!/^[a-z2-7]{24}$/.test(id)) return undefined;
  return db.prepare("SELECT * FROM tickets WHERE id = ?").get(id) as Ticket | undefined;
}

export function ticketEvents(db: Db, id: string): TicketEvent[] {
  return db.prepare("SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id").all(id) as TicketEvent[];
}

export function ticketAccount(db: Db, ticket: Ticket): User | null {
  return ticket.matched_user_id ? (findUserById(db, ticket.matched_user_id) ?? null) : null;
}

/** Records a staff action with its note and status change (the ticket's history). */
export function recordStaffAction(db: Db, ticket: Ticket, now: number, staffId: string, action: string, note: string, to: TicketStatus | null) {
  if (to) db.prepare("UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?").run(to, now, ticket.id);
  else db.prepare("UPDATE tickets SET updated_at = ? WHERE id = ?").run(now, ticket.id);
  addEvent(db, ticket.id, now, `staff:${staffId}`, action, note, ticket.status, to ?? ticket.status);
}
