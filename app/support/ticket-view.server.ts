import type { AppLoadContext } from "@remix-run/node";
import { recentAuditForUser } from "~/audit/audit.server";
import { activeLock, listLocks } from "~/lockout/lockout.server";
import { recentFlows } from "~/recovery/flows.server";
import { normalisePhone } from "~/accounts/phone";
import { CATEGORIES, getTicket, ticketAccount, ticketEvents } from "~/tickets/tickets.server";

/**
 * Everything a support agent needs on one screen: the claim beside the account record, with
 * which statements match, plus locks, recovery attempts and audit events. No secrets: hashes,
 * tokens and codes never leave their tables.
 */
export function ticketView(context: AppLoadContext, id: string) {
  const { db, clock, config } = context.services;
  const ticket = getTicket(db, id);
  if (!ticket) return null;
  const user = ticketAccount(db, ticket);
  const now = clock.now();
  const audit = user ? recentAuditForUser(db, user.id, 30) : [];
  const lastSignIn = audit.find((e) => e.event === "sign_in" && e.outcome === "success");
  const lock = user ? activeLock(db, user.id, now) : undefined;
  const hint = (ticket.account_hint ?? "").trim().toLowerCase();
  const claimedPhone = ticket.contact_phone ? normalisePhone(ticket.contact_phone, config.defaultPhoneRegion) : null;
  const { confirm_token_hash: _omit, ...safeTicket } = ticket;
  void _omit;
  return {
    ticket: safeTicket,
    category: CATEGORIES[ticket.category],
    overdue: ticket.sla_due_at < now && (ticket.status === "open" || ticket.status === "waiting_customer"),
    events: ticketEvents(db, ticket.id),
    account: user
      ? {
          username: user.username,
          email: user.email,
          emailVerified: user.email_verified === 1,
          phone: user.phone,
          status: user.status,
          createdAt: user.created_at,
          lastSignInAt: lastSignIn?.at ?? null,
          lock: lock ? `${lock.reason.replace(/_/g, " ")}${lock.locked_until ? ` until ${new Date(lock.locked_until).toISOString()}` : " (until unlocked)"}` : null,
        }
      : null,
    checks: {
      username: Boolean(user && (hint === user.username || hint === user.email)),
      email: Boolean(user && ticket.contact_email === user.email),
      phone: user && claimedPhone ? claimedPhone === user.phone : null,
    },
    locks: user ? listLocks(db, user.id, 20) : [],
    flows: user ? recentFlows(db, user.id, 20) : [],
    audit: audit.map((e) => ({ seq: e.seq, at: e.at, event: e.event, outcome: e.outcome, ip: e.ip })),
  };
}
