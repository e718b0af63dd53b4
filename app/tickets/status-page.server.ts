import { z } from "zod";
import { inTransaction, type RequestContext } from "~/context.server";
import { serializeOn } from "~/db/db.server";
import * as store from "~/stores/ticket-status.store";
import { findStaffById } from "~/stores/staff.store";
import { insertTicketEvent } from "~/stores/tickets.store";
import { guardedLookup } from "~/limits/limits.server";
import { recordEvent } from "~/audit/events.server";
import { clearCookie, readCookie, serializeCookie } from "~/http/cookies.server";
import { hmacHex, safeEqual, sha256Hex } from "~/security/crypto.server";
import type { TicketStatusPageData } from "~/ui/ticket-status-page";
import { CATEGORIES, getTicket, ticketEvents, type Ticket, type TicketStatus } from "./tickets.server";

/**
 * The customer's ticket status page (issue 14). The acknowledgement's status link
 * (/assisted-recovery/status/<token>) only looks the token up: a browser that opens a valid one
 * gets a short signed cookie naming the ticket and moves to /assisted-recovery/status, a URL
 * without the token (TOK-11). Nothing on the server changes on that GET, so a mail scanner that
 * follows the link harms nothing (0001). Unknown tokens count against the client's link-guessing
 * budget like every other link (TOK-09).
 *
 * The page shows the customer only what is theirs to see: the reference, the status in plain
 * words, what they wrote, the questions staff asked them (the notes of `request_info` events) and
 * their own replies. Every other staff note is internal and never leaves the console.
 */

const STATUS_COOKIE = "ticket_status";
/** How long one landing lets a browser read and answer the ticket; the link works again after. */
export const STATUS_HOLD_MS = 60 * 60_000;
/** Replies per ticket in any 24 hours: enough for a conversation, not for flooding the agent. */
export const REPLIES_PER_DAY = 10;
/** A reply is refused on these; approved tickets still take one (the link did not arrive…). */
const REPLY_STATUSES: readonly TicketStatus[] = ["open", "approved"];

export const PLAIN_STATUS: Record<TicketStatus, { title: string; text: string }> = {
  open: { title: "Open", text: "A member of our support team is looking at your request." },
  waiting_customer: { title: "Waiting for your answer", text: "We asked you some questions. Answer them below so we can carry on." },
  approved: {
    title: "Approved",
    text: "We sent a recovery link to the email address or phone number on your account. If it didn't arrive, tell us below.",
  },
  rejected: { title: "Closed: not approved", text: "We could not approve this request and emailed you why. You can send a new request." },
  closed: { title: "Closed", text: "This request is closed. If you still need help, send a new request." },
};

export const replySchema = z.object({
  message: z
    .string({ error: "Write your answer or the information you want to add" })
    .trim()
    .min(3, "Write at least 3 characters")
    .max(2000, "You can write at most 2000 characters")
    .transform((v) => v.replace(/\r\n?/g, "\n")),
});

// ---- the landing -------------------------------------------------------------------------------

function holdMac(context: RequestContext, ticketId: string, expires: string, tokenHash: string): string {
  return hmacHex(context.services.config.secretKey, `ticket-status:${ticketId}:${expires}:${tokenHash}`);
}

export type LandingOutcome = { ok: true; cookie: string } | { ok: false; reason: "invalid" | "throttled" | "expired" };

/**
 * A finished ticket's link keeps working this long after the ticket was closed or rejected, then
 * dies: the page shows what the customer wrote, and an old e-mail should not open it for ever.
 */
export const STATUS_LINK_AFTER_CLOSE_MS = 30 * 86_400_000;

/** The status link: a valid token gives this browser the cookie; an unknown one costs guessing budget. */
export async function landOnStatusLink(context: RequestContext, token: string): Promise<LandingOutcome> {
  const { db, clock, config, limits } = context.services;
  const looked = await guardedLookup(
    limits,
    context.clientKey,
    async () => (/^[A-Za-z0-9_-]{43}$/.test(token) ? ((await store.findTicketByStatusHash(db, sha256Hex(token))) as Ticket | undefined) : undefined),
    (found) => found !== undefined,
  );
  if (!looked) return { ok: false, reason: "throttled" };
  const ticket = looked.found;
  if (!ticket || !ticket.status_token_hash) return { ok: false, reason: "invalid" };
  const finishedAt = ticket.status === "closed" || ticket.status === "rejected" ? (ticket.resolved_at ?? ticket.updated_at) : null;
  if (finishedAt !== null && clock.now() >= finishedAt + STATUS_LINK_AFTER_CLOSE_MS) return { ok: false, reason: "expired" };
  const expires = String(clock.now() + STATUS_HOLD_MS);
  const value = `${ticket.id}.${expires}.${holdMac(context, ticket.id, expires, ticket.status_token_hash)}`;
  // Lax: the link is opened from a mail client, and the redirect after it must carry the cookie.
  return { ok: true, cookie: serializeCookie(STATUS_COOKIE, value, { secure: config.secureCookies, sameSite: "Lax", maxAgeSeconds: STATUS_HOLD_MS / 1000 }) };
}

export function clearStatusHold(context: RequestContext): string {
  return clearCookie(STATUS_COOKIE, { secure: context.services.config.secureCookies, sameSite: "Lax" });
}

/** The ticket this browser landed on, while its cookie lasts and the ticket keeps its status link. */
async function heldTicket(context: RequestContext, request: Request): Promise<Ticket | null> {
  const { db, clock, config } = context.services;
  const value = readCookie(request, STATUS_COOKIE, config.secureCookies);
  if (!value) return null;
  const [id, expires, mac] = value.split(".");
  if (!id || !expires || !mac || !/^\d{1,15}$/.test(expires) || Number(expires) <= clock.now()) return null;
  const ticket = await getTicket(db, id);
  if (!ticket || !ticket.status_token_hash) return null;
  return safeEqual(mac, holdMac(context, ticket.id, expires, ticket.status_token_hash)) ? ticket : null;
}

// ---- the page ----------------------------------------------------------------------------------

/** The page's data (its conversation: staff questions and the customer's replies, nothing else). */
export type StatusPageView = TicketStatusPageData & { status: TicketStatus };

/** What the customer may see of their ticket: never an internal note, a staff id or a hash. */
async function viewOf(context: RequestContext, ticket: Ticket): Promise<StatusPageView> {
  const events = await ticketEvents(context.services.db, ticket.id);
  const conversation: StatusPageView["conversation"] = [];
  for (const e of events) {
    if (!e.note) continue;
    if (e.action === "request_info" && e.actor.startsWith("staff:")) conversation.push({ at: e.at, from: "support", text: e.note });
    else if (e.action === "customer_reply" && e.actor === "customer") conversation.push({ at: e.at, from: "you", text: e.note });
  }
  return {
    reference: ticket.reference,
    status: ticket.status,
    statusTitle: PLAIN_STATUS[ticket.status].title,
    statusText: PLAIN_STATUS[ticket.status].text,
    openedAt: ticket.created_at,
    category: CATEGORIES[ticket.category],
    categoryCode: ticket.category,
    details: ticket.details,
    conversation,
    mayReply: mayReply(ticket.status),
  };
}

function mayReply(status: TicketStatus): boolean {
  return status === "waiting_customer" || REPLY_STATUSES.includes(status);
}

export async function statusPage(context: RequestContext, request: Request): Promise<StatusPageView | null> {
  const ticket = await heldTicket(context, request);
  return ticket ? viewOf(context, ticket) : null;
}

// ---- replies -----------------------------------------------------------------------------------

export type ReplyOutcome =
  | { ok: true; view: StatusPageView }
  | { ok: false; reason: "no-hold" }
  | { ok: false; reason: "finished"; view: StatusPageView }
  | { ok: false; reason: "too-many"; view: StatusPageView; retryAfterSeconds: number };

/**
 * A reply from the status page: kept in the ticket's history (actor "customer"), a ticket waiting
 * for the customer goes back to open, the audit log records that a reply came (never its text),
 * and the assigned agent, or SUPPORT_EMAIL when nobody is, gets an e-mail with the reference and
 * the console link (not the text). At most REPLIES_PER_DAY per ticket in any 24 hours, counted
 * under a per-ticket lock so parallel replies cannot overshoot it (0017 rule 3); the ticket's
 * status is re-checked by the conditional UPDATE that records the reply (rule 1).
 */
export async function replyFromStatusPage(context: RequestContext, request: Request, message: string): Promise<ReplyOutcome> {
  const ticket = await heldTicket(context, request);
  if (!ticket) return { ok: false, reason: "no-hold" };
  const { clock, config, metrics } = context.services;
  const now = clock.now();
  if (!mayReply(ticket.status)) return { ok: false, reason: "finished", view: await viewOf(context, ticket) };
  let retryAfterSeconds = 0;
  const outcome = await inTransaction(context, async (tx) => {
    const db = tx.services.db;
    await serializeOn(db, `ticket_replies:${ticket.id}`);
    const recent = await store.countTicketEventsSince(db, ticket.id, "customer_reply", now - 86_400_000);
    if (recent.count >= REPLIES_PER_DAY) {
      retryAfterSeconds = Math.max(1, Math.ceil(((recent.oldest ?? now) + 86_400_000 - now) / 1000));
      return "too-many" as const;
    }
    const from = await store.touchForCustomerReply(db, ticket.id, now, REPLY_STATUSES);
    if (from === null) return "finished" as const;
    const to = from === "waiting_customer" ? "open" : from;
    await insertTicketEvent(db, { ticket_id: ticket.id, at: now, actor: "customer", action: "customer_reply", note: message, from_status: from, to_status: to });
    const agent = ticket.assigned_to ? await findStaffById(db, ticket.assigned_to) : undefined;
    const to_ = agent && agent.status === "active" ? agent.email : config.supportEmail;
    await tx.services.send({
      channel: "email",
      to: to_,
      template: "ticket-customer-reply",
      payload: { appName: config.appName, reference: ticket.reference, consoleUrl: `${config.appOrigin}/support/tickets/${ticket.id}` },
    });
    await recordEvent(tx, {
      event: "ticket_customer_reply",
      outcome: "success",
      userId: ticket.matched_user_id,
      details: { ticket: ticket.reference, reopened: from === "waiting_customer", notified: agent && agent.status === "active" ? "agent" : "support" },
    });
    return "ok" as const;
  });
  if (outcome === "too-many") metrics.throttled.inc({ limit: "ticket_replies_per_day" });
  const fresh = (await getTicket(context.services.db, ticket.id)) ?? ticket;
  const view = await viewOf(context, fresh);
  if (outcome === "too-many") return { ok: false, reason: outcome, view, retryAfterSeconds };
  return outcome === "ok" ? { ok: true, view } : { ok: false, reason: outcome, view };
}

// ---- the console's view of the customer side ---------------------------------------------------

export type CustomerSideView = {
  /** The customer can open the status page (the acknowledgement carried its link). */
  hasStatusLink: boolean;
  replies: { id: number; at: number; note: string }[];
};

/** For the console's ticket page: the customer's replies and whether they have a status link. */
export async function customerSideView(context: RequestContext, ticketId: string): Promise<CustomerSideView | null> {
  const ticket = await getTicket(context.services.db, ticketId);
  if (!ticket) return null;
  const events = await ticketEvents(context.services.db, ticket.id);
  return {
    hasStatusLink: ticket.status_token_hash !== null,
    replies: events.filter((e) => e.action === "customer_reply" && e.actor === "customer").map((e) => ({ id: e.id, at: e.at, note: e.note ?? "" })),
  };
}
