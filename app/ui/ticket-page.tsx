import { Form, Link } from "@remix-run/react";
import { OutcomeNotice } from "./components";
import { utcMinuteOrDash } from "./format";
import { TicketQueue, type TicketQueueData } from "./ticket-queue";
import { TicketCustomer, type TicketCustomerData } from "./ticket-customer";
import { TicketApprovals, type TicketApprovalsData } from "./ticket-approvals";

type ContactState = "matches" | "differs" | "recent" | "restored";

/** The customer's language as the (English) console names it (issue 16). */
const LANGUAGE_NAMES: Record<string, string> = { en: "English", es: "Spanish", ar: "Arabic" };

/** What the ticket screen shows; the support console's ticket view supplies it. */
export type TicketPageData = {
  ticket: {
    reference: string;
    priority: string;
    status: string;
    sla_due_at: number;
    full_name: string;
    account_hint: string | null;
    contact_email: string;
    contact_confirmed: number;
    contact_phone: string | null;
    last_sign_in_claim: string | null;
    opened_claim: string | null;
    details: string | null;
    /** "web" (the form or a report) or "phone" (opened by staff for a caller). */
    channel?: string;
    /** The language the customer wrote in (issue 16); replies to the contact go out in it. Null: opened by staff. */
    locale?: string | null;
  };
  category: string;
  overdue: boolean;
  reportedBy: string | null;
  account: {
    username: string;
    email: string;
    emailVerified: boolean;
    phone: string | null;
    status: string;
    createdAt: number;
    emailChangedAt: number | null;
    phoneChangedAt: number | null;
    lastSignInAt: number | null;
    lock: string | null;
  } | null;
  checks: { username: boolean; emailState: ContactState; phoneState: ContactState | null };
  actions: [string, string][];
  events: { id: number; at: number; actor: string; action: string; note: string | null; from_status: string | null; to_status: string | null }[];
  locks: {
    id: number | string;
    reason: string;
    locked_at: number;
    locked_until: number | null;
    ended_at: number | null;
    end_reason: string | null;
    created_by?: string | null;
    ended_by?: string | null;
    details?: string | null;
  }[];
  flows: { id: string; created_at: number; purpose: string; channel: string; status: string; failed_count: number }[];
  audit: { seq: number; at: number; event: string; outcome: string; ip: string | null }[];
  /** Assignment, tier, SLA clock and escalation (app/ui/ticket-queue.tsx). */
  queue?: TicketQueueData | null;
  /** The customer's status link and replies (app/ui/ticket-customer.tsx). */
  customer?: TicketCustomerData | null;
  /** Four eyes, a lost contact's replacement, the account view link (app/ui/ticket-approvals.tsx). */
  approvals?: TicketApprovalsData | null;
};

/** A match with a contact changed lately proves nothing (M3); one put back by the report says so. */
function ContactBadge(p: { state: ContactState; changedAt: number | null; match: string; differ: string }) {
  if (p.state === "restored") return <span className="badge">restored by this report: the change was undone</span>;
  if (p.state === "recent") return <span className="badge badge-warn">{p.match}, but changed {utcMinuteOrDash(p.changedAt)}: not proof of identity</span>;
  if (p.state === "matches") return <span className="badge">{p.match}</span>;
  return (
    <>
      <span className="badge badge-warn">{p.differ}</span>
      {p.changedAt ? <span className="badge badge-warn">changed {utcMinuteOrDash(p.changedAt)}</span> : null}
    </>
  );
}

/** A support ticket: the claim beside the account record, the action form and the history. */
export function TicketPage({ d, a }: { d: TicketPageData; a?: { ok: boolean; message: string } }) {
  const t = d.ticket;
  return (
    <>
      <p>
        <Link to="/support">All tickets</Link>
      </p>
      <h1>
        {t.reference} <span className={t.priority === "high" ? "badge badge-warn" : "badge"}>{t.priority}</span>
        {t.channel === "phone" ? (
          <>
            {" "}
            <span className="badge">by phone</span>
          </>
        ) : null}
      </h1>
      <p className="lead">
        {d.category} · {t.status.replace("_", " ")} · due {utcMinuteOrDash(t.sla_due_at)}
        {d.overdue ? <strong className="overdue-label"> OVERDUE</strong> : null}
      </p>
      <OutcomeNotice outcome={a} />
      {/* slot:queue — assignment, tier, SLA clock, escalation */}
      {d.queue ? <TicketQueue q={d.queue} /> : null}
      <div className="compare">
        <section>
          <h2>The customer says</h2>
          <dl className="details">
            <dt>Full name</dt>
            <dd>{t.full_name}</dd>
            <dt>Account</dt>
            <dd>{t.account_hint ?? "—"}</dd>
            <dt>Contact email</dt>
            <dd>
              {t.contact_email} {t.contact_confirmed ? <span className="badge">confirmed</span> : <span className="badge badge-warn">not confirmed</span>}
              {d.reportedBy ? <span className="hint"> {d.reportedBy}</span> : null}
            </dd>
            <dt>Phone</dt>
            <dd>{t.contact_phone ?? "—"}</dd>
            <dt>Language</dt>
            <dd>{t.locale ? (LANGUAGE_NAMES[t.locale] ?? t.locale) : "— (opened by staff: messages in the default language)"}</dd>
            <dt>Last sign-in</dt>
            <dd>{t.last_sign_in_claim ?? "—"}</dd>
            <dt>Opened</dt>
            <dd>{t.opened_claim ?? "—"}</dd>
            <dt>Details</dt>
            <dd className="prewrap">{t.details ?? "—"}</dd>
          </dl>
        </section>
        <section>
          <h2>The account record</h2>
          {d.account ? (
            <dl className="details">
              <dt>Username</dt>
              <dd>
                {d.account.username} {d.checks.username ? <span className="badge">matches</span> : null}
              </dd>
              <dt>Email</dt>
              <dd>
                {d.account.email} {d.account.emailVerified ? "(verified)" : "(not verified)"}{" "}
                <ContactBadge state={d.checks.emailState} changedAt={d.account.emailChangedAt} match="matches contact" differ="differs from contact" />
              </dd>
              <dt>Phone</dt>
              <dd>
                {d.account.phone ?? "—"}{" "}
                {d.checks.phoneState === null ? (
                  d.account.phoneChangedAt ? <span className="badge badge-warn">changed {utcMinuteOrDash(d.account.phoneChangedAt)}</span> : null
                ) : (
                  <ContactBadge state={d.checks.phoneState} changedAt={d.account.phoneChangedAt} match="matches" differ="differs" />
                )}
              </dd>
              <dt>Last sign-in</dt>
              <dd>{utcMinuteOrDash(d.account.lastSignInAt)}</dd>
              <dt>Opened</dt>
              <dd>{utcMinuteOrDash(d.account.createdAt)}</dd>
              <dt>Status</dt>
              <dd>{d.account.status}</dd>
              <dt>Lock</dt>
              <dd>{d.account.lock ?? "not locked"}</dd>
            </dl>
          ) : (
            <p>No account matches what the customer typed. Ask them for their username before approving anything.</p>
          )}
        </section>
      </div>
      {/* slot:approvals — four eyes, contact change, console locks */}
      {d.approvals ? <TicketApprovals d={d.approvals} /> : null}
      <h2>Act on this ticket</h2>
      <Form method="post" className="staff-actions">
        <fieldset className="field">
          <legend>Action</legend>
          {d.actions.map(([value, label]) => (
            <div key={value} className="choice-row">
              <input type="radio" id={`action-${value}`} name="action" value={value} required />
              <label htmlFor={`action-${value}`}>{label}</label>
            </div>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="channel">Send the recovery link by</label>
          <select id="channel" name="channel" defaultValue="email">
            <option value="email">Email (verified address on the account)</option>
            <option value="sms">Text message (verified phone on the account)</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="note">Note (required: what you checked, or what you ask or tell the customer)</label>
          <textarea id="note" name="note" rows={4} maxLength={2000} required />
        </div>
        <button type="submit" className="button">
          Record action
        </button>
      </Form>
      {/* slot:customer — the customer's status page and replies */}
      {d.customer ? <TicketCustomer c={d.customer} /> : null}
      <h2>History</h2>
      <ol className="history">
        {d.events.map((e) => (
          <li key={e.id}>
            {utcMinuteOrDash(e.at)} · {e.actor} · {e.action.replace(/_/g, " ")}
            {e.to_status && e.to_status !== e.from_status ? ` → ${e.to_status.replace("_", " ")}` : ""}
            {e.note ? <span className="prewrap"> — {e.note}</span> : null}
          </li>
        ))}
      </ol>
      {d.account ? (
        <>
          <h2>Lock records</h2>
          {d.locks.length === 0 ? <p>None.</p> : null}
          <ul>
            {d.locks.map((l) => (
              <li key={l.id}>
                {l.reason.replace(/_/g, " ")} from {utcMinuteOrDash(l.locked_at)} {l.locked_until ? `until ${utcMinuteOrDash(l.locked_until)}` : "until unlocked"}
                {l.created_by ? ` · locked by ${l.created_by}` : ""}
                {l.ended_at ? ` · ended ${utcMinuteOrDash(l.ended_at)} (${l.end_reason?.replace(/_/g, " ")})` : " · in force"}
                {l.ended_at && l.ended_by ? ` by ${l.ended_by}` : ""}
                {lockNote(l.details) ? <span className="prewrap"> — note: {lockNote(l.details)}</span> : null}
              </li>
            ))}
          </ul>
          <h2>Recent recovery attempts</h2>
          {d.flows.length === 0 ? <p>None.</p> : null}
          <ul>
            {d.flows.map((f) => (
              <li key={f.id}>
                {utcMinuteOrDash(f.created_at)} · {f.purpose} by {f.channel} · {f.status}
                {f.failed_count ? ` · ${f.failed_count} wrong code(s)` : ""}
              </li>
            ))}
          </ul>
          <h2>Recent audit events</h2>
          <ul>
            {d.audit.map((e) => (
              <li key={e.seq}>
                {utcMinuteOrDash(e.at)} · {e.event.replace(/_/g, " ")} · {e.outcome} · {e.ip ?? "—"}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}

/** The note staff gave with a manual lock (kept in the lock's details), if any. */
function lockNote(details: string | null | undefined): string | null {
  try {
    const note = details ? (JSON.parse(details) as { note?: unknown }).note : undefined;
    return typeof note === "string" ? note : null;
  } catch {
    return null;
  }
}
