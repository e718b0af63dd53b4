import { Form, Link } from "@remix-run/react";
import { OutcomeNotice } from "./components";
import { utcMinuteOrDash } from "./format";

export type AccountViewData = {
  account: { id: string; username: string; email: string; emailVerified: boolean; phone: string | null; phoneVerified: boolean; status: string; createdAt: number };
  ticket: { id: string; reference: string } | null;
  compromiseNeedsApproval: boolean;
  locks: {
    id: string;
    reason: string;
    locked_at: number;
    locked_until: number | null;
    ended_at: number | null;
    end_reason: string | null;
    created_by: string;
    ended_by: string | null;
    details: string | null;
    trigger_ip: string | null;
    open: boolean;
  }[];
};

/** The note staff gave with a manual lock (kept in the lock's details), if any. */
function lockNote(details: string | null): string | null {
  try {
    const note = details ? (JSON.parse(details) as { note?: unknown }).note : undefined;
    return typeof note === "string" ? note : null;
  } catch {
    return null;
  }
}

/**
 * The console's account view (issue 14): summary, lock records, a manual lock with a note, and a
 * lift per lock in force with a note. Plain form posts.
 */
export function AccountViewPage({ d, a }: { d: AccountViewData; a?: { ok: boolean; message: string } }) {
  const u = d.account;
  const ticketField = d.ticket ? <input type="hidden" name="ticket" value={d.ticket.id} /> : null;
  return (
    <>
      <p>
        <Link to="/support">All tickets</Link>
        {d.ticket ? (
          <>
            {" · "}
            <Link to={`/support/tickets/${d.ticket.id}`}>Back to ticket {d.ticket.reference}</Link>
          </>
        ) : null}
      </p>
      <h1>Account {u.username}</h1>
      <OutcomeNotice outcome={a} />
      <dl className="details">
        <dt>Username</dt>
        <dd>{u.username}</dd>
        <dt>Email</dt>
        <dd>
          {u.email} {u.emailVerified ? "(verified)" : "(not verified)"}
        </dd>
        <dt>Phone</dt>
        <dd>{u.phone ? `${u.phone} ${u.phoneVerified ? "(verified)" : "(not verified)"}` : "—"}</dd>
        <dt>Status</dt>
        <dd>{u.status}</dd>
        <dt>Opened</dt>
        <dd>{utcMinuteOrDash(u.createdAt)}</dd>
      </dl>
      <h2>Lock records</h2>
      {d.locks.length === 0 ? <p>None.</p> : null}
      <ul className="lock-records">
        {d.locks.map((l) => (
          <li key={l.id}>
            <p>
              <strong>{l.reason.replace(/_/g, " ")}</strong> from {utcMinuteOrDash(l.locked_at)}{" "}
              {l.locked_until ? `until ${utcMinuteOrDash(l.locked_until)}` : "until lifted"} · locked by {l.created_by}
              {l.trigger_ip ? ` (from ${l.trigger_ip})` : ""}
              {l.ended_at ? ` · ended ${utcMinuteOrDash(l.ended_at)} (${l.end_reason?.replace(/_/g, " ")})${l.ended_by ? ` by ${l.ended_by}` : ""}` : " · in force"}
              {lockNote(l.details) ? <span className="prewrap"> — note: {lockNote(l.details)}</span> : null}
            </p>
            {l.open ? (
              <Form method="post">
                <input type="hidden" name="intent" value="lift" />
                <input type="hidden" name="lockId" value={l.id} />
                {ticketField}
                <div className="field">
                  <label htmlFor={`lift-note-${l.id}`}>Note for lifting this lock (required)</label>
                  <textarea id={`lift-note-${l.id}`} name="note" rows={2} maxLength={2000} required />
                </div>
                <button type="submit" className="button button-secondary">
                  {l.reason === "reported_compromise" && d.compromiseNeedsApproval ? "Request the lift (a supervisor approves)" : "Lift this lock"}
                </button>
              </Form>
            ) : null}
          </li>
        ))}
      </ul>
      <h2>Lock this account</h2>
      <p className="hint">Reason: staff. The account stays locked until staff lift it; the customer is emailed at once with the way to reach support.</p>
      <Form method="post">
        <input type="hidden" name="intent" value="lock" />
        {ticketField}
        <div className="field">
          <label htmlFor="lock-note">Note (required: why you lock it)</label>
          <textarea id="lock-note" name="note" rows={3} maxLength={2000} required />
        </div>
        <button type="submit" className="button">
          Lock this account
        </button>
      </Form>
    </>
  );
}
