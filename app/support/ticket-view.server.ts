import type { RequestContext } from "~/context.server";
import { recentAuditForUser } from "~/audit/audit.server";
import { successesForUserSince } from "~/stores/audit.store";
import { activeLock, listLocks } from "~/lockout/lockout.server";
import { recentFlows } from "~/recovery/flows.server";
import { normalisePhone } from "~/accounts/phone";
import { CATEGORIES, getTicket, ticketAccount, ticketEvents } from "~/tickets/tickets.server";

/** A contact set this recently is no proof: an intruder with a fresh session may have set it (M3). */
export const RECENT_CONTACT_CHANGE_MS = 30 * 86_400_000;

/** When the account's email and phone were last changed or restored, if within the recent window. */
async function recentContactChanges(context: RequestContext, userId: string, now: number) {
  const rows = await successesForUserSince(
    context.services.db,
    userId,
    ["email_changed", "phone_changed", "email_restored", "phone_restored"],
    now - RECENT_CONTACT_CHANGE_MS,
  );
  const latest = (kind: "email" | "phone") => rows.find((r) => r.event.startsWith(`${kind}_`)) ?? null;
  return { email: latest("email"), phone: latest("phone") };
}

/**
 * Everything a support agent needs on one screen: the claim beside the account record, with
 * which statements match, plus locks, recovery attempts and audit events. No secrets: hashes,
 * tokens and codes never leave their tables. A match with an email or phone that was changed
 * recently is shown as such, not as a match (M3); a contact put back by a "This wasn't me"
 * report says so.
 */
export async function ticketView(context: RequestContext, id: string) {
  const { db, clock, config } = context.services;
  const ticket = await getTicket(db, id);
  if (!ticket) return null;
  const user = await ticketAccount(db, ticket);
  const now = clock.now();
  const audit = user ? await recentAuditForUser(db, user.id, 30) : [];
  const lastSignIn = audit.find((e) => e.event === "sign_in" && e.outcome === "success");
  const lock = user ? await activeLock(db, user.id, now) : undefined;
  const hint = (ticket.account_hint ?? "").trim().toLowerCase();
  const claimedPhone = ticket.contact_phone ? normalisePhone(ticket.contact_phone, config.defaultPhoneRegion) : null;
  const { confirm_token_hash: _omit, status_token_hash: _omitStatus, ...safeTicket } = ticket;
  void _omit;
  void _omitStatus;
  const events = await ticketEvents(db, ticket.id);
  const changed = user ? await recentContactChanges(context, user.id, now) : { email: null, phone: null };
  const restoredByReport = (kind: "email" | "phone") => events.some((e) => e.actor === "system" && e.action === `${kind}_restored`);
  /** "restored": put back by this ticket's report; "recent": changed lately, so a match proves nothing. */
  const contactState = (kind: "email" | "phone", matches: boolean | null) => {
    if (matches === null) return null;
    if (restoredByReport(kind)) return matches ? ("restored" as const) : ("differs" as const);
    if (!matches) return "differs" as const;
    return changed[kind] ? ("recent" as const) : ("matches" as const);
  };
  const emailMatches = Boolean(user && ticket.contact_email === user.email);
  const phoneMatches = user && claimedPhone ? claimedPhone === user.phone : null;
  const reportedBy =
    ticket.source !== "report"
      ? null
      : ticket.contact_confirmed
        ? `The "This wasn't me" link used was the one emailed to ${ticket.contact_email}: the reporter reads that inbox.`
        : ticket.contact_phone
          ? `The "This wasn't me" link used was the one texted to ${ticket.contact_phone}. The contact email is the account's, not proven by the report.`
          : null;
  return {
    ticket: safeTicket,
    category: CATEGORIES[ticket.category],
    overdue: ticket.sla_due_at < now && (ticket.status === "open" || ticket.status === "waiting_customer"),
    events,
    reportedBy,
    account: user
      ? {
          username: user.username,
          email: user.email,
          emailVerified: user.email_verified === 1,
          phone: user.phone,
          status: user.status,
          createdAt: user.created_at,
          emailChangedAt: changed.email?.at ?? null,
          phoneChangedAt: changed.phone?.at ?? null,
          lastSignInAt: lastSignIn?.at ?? null,
          lock: lock ? `${lock.reason.replace(/_/g, " ")}${lock.locked_until ? ` until ${new Date(lock.locked_until).toISOString()}` : " (until unlocked)"}` : null,
        }
      : null,
    checks: {
      username: Boolean(user && (hint === user.username || hint === user.email)),
      /** True only for a match with an address that was not just changed (a restored one counts). */
      email: emailMatches && contactState("email", emailMatches) !== "recent",
      phone: phoneMatches === null ? null : phoneMatches && contactState("phone", phoneMatches) !== "recent",
      emailState: contactState("email", emailMatches)!,
      phoneState: contactState("phone", phoneMatches),
    },
    locks: user ? await listLocks(db, user.id, 20) : [],
    flows: user ? await recentFlows(db, user.id, 20) : [],
    audit: audit.map((e) => ({ seq: e.seq, at: e.at, event: e.event, outcome: e.outcome, ip: e.ip })),
  };
}
