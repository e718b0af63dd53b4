import { Form, Link } from "@remix-run/react";
import { utcMinuteOrDash } from "./format";

export type ApprovalItemView = {
  id: string;
  label: string;
  detail: string | null;
  note: string;
  requester: string;
  requestedAt: number;
  status: string;
  decider: string | null;
  decidedAt: number | null;
  decisionNote: string | null;
  mine: boolean;
};

/** The ticket page's four-eyes part (issue 14); the ticket route's loader supplies it. */
export type TicketApprovalsData = {
  ticketId: string;
  canDecide: boolean;
  fourEyes: readonly string[];
  accountId: string | null;
  compromiseLocked: boolean;
  pending: ApprovalItemView[];
  past: ApprovalItemView[];
};

/**
 * Risky actions and their second pair of eyes: pending requests (approve or decline for
 * supervisors and admins, cancel for the requester), a lost contact's replacement, a compromise
 * lock's lift, a link to the account view, and past decisions. Plain form posts (no JavaScript).
 */
export function TicketApprovals({ d }: { d: TicketApprovalsData }) {
  return (
    <section aria-labelledby="approvals-heading">
      <h2 id="approvals-heading">Approvals and account</h2>
      {d.accountId ? (
        <p>
          <Link to={`/support/accounts/${d.accountId}?ticket=${d.ticketId}`}>Open the account view</Link> (lock records, lock and lift)
        </p>
      ) : null}
      {d.pending.length === 0 ? <p>No request is waiting for approval.</p> : null}
      {d.pending.map((p) => (
        <div key={p.id} className="approval">
          <h3>Waiting: {p.label}</h3>
          <p>
            Asked by {p.requester} at {utcMinuteOrDash(p.requestedAt)}
            {p.detail ? ` · ${p.detail}` : ""}
          </p>
          <p className="prewrap">Note: {p.note}</p>
          {d.canDecide && !p.mine ? (
            <Form method="post">
              <input type="hidden" name="intent" value="approval_decide" />
              <input type="hidden" name="approvalId" value={p.id} />
              <div className="field">
                <label htmlFor={`decision-note-${p.id}`}>Your note (required: what you checked)</label>
                <textarea id={`decision-note-${p.id}`} name="note" rows={2} maxLength={2000} required />
              </div>
              <button type="submit" className="button" name="decision" value="approve">
                Approve and carry out
              </button>{" "}
              <button type="submit" className="button button-secondary" name="decision" value="decline">
                Decline
              </button>
            </Form>
          ) : null}
          {p.mine ? (
            <>
              <p className="hint">You asked for this: another supervisor or admin must decide it.</p>
              <Form method="post">
                <input type="hidden" name="intent" value="approval_decide" />
                <input type="hidden" name="approvalId" value={p.id} />
                <input type="hidden" name="decision" value="cancel" />
                <button type="submit" className="button button-secondary">
                  Cancel my request
                </button>
              </Form>
            </>
          ) : null}
        </div>
      ))}
      {d.accountId ? (
        <>
          <h3>Replace a lost contact</h3>
          <p className="hint">
            After the identity check. {d.fourEyes.includes("change_contact") ? "A supervisor approves it; then " : "Then "}a code goes to the new
            contact, and it is saved only when the customer types the code at /assisted-recovery/new-contact.
          </p>
          <Form method="post">
            <input type="hidden" name="intent" value="contact_change" />
            <div className="field">
              <label htmlFor="contact-kind">Replace the</label>
              <select id="contact-kind" name="kind" defaultValue="email">
                <option value="email">Email address</option>
                <option value="phone">Phone number</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor="contact-value">New email address or phone number</label>
              <input id="contact-value" name="value" type="text" autoComplete="off" maxLength={320} required />
            </div>
            <div className="field">
              <label htmlFor="contact-note">Your note for the change (required: how you checked who they are)</label>
              <textarea id="contact-note" name="note" rows={2} maxLength={2000} required />
            </div>
            <button type="submit" className="button">
              {d.fourEyes.includes("change_contact") ? "Request the change" : "Send the code"}
            </button>
          </Form>
          {d.compromiseLocked ? (
            <>
              <h3>Lift the reported-compromise lock</h3>
              <Form method="post">
                <input type="hidden" name="intent" value="approval_request" />
                <input type="hidden" name="approvalAction" value="lift_compromise_lock" />
                <div className="field">
                  <label htmlFor="lift-note">Your note for the lift (required: how you checked it is the owner)</label>
                  <textarea id="lift-note" name="note" rows={2} maxLength={2000} required />
                </div>
                <button type="submit" className="button">
                  {d.fourEyes.includes("lift_compromise_lock") ? "Request the lift" : "Lift the lock"}
                </button>
              </Form>
            </>
          ) : null}
        </>
      ) : null}
      {d.past.length ? (
        <>
          <h3>Past requests</h3>
          <ul>
            {d.past.map((p) => (
              <li key={p.id}>
                {p.label}
                {p.detail ? ` (${p.detail})` : ""} · asked by {p.requester} {utcMinuteOrDash(p.requestedAt)} · {p.status}
                {p.decider ? ` by ${p.decider}` : ""} {utcMinuteOrDash(p.decidedAt)}
                {p.decisionNote ? <span className="prewrap"> — {p.decisionNote}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
