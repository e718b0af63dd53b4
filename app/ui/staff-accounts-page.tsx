import { Form, Link } from "@remix-run/react";
import { OutcomeNotice } from "./components";
import { utcMinuteOrDash } from "./format";

export type StaffAccountsData = {
  me: string;
  staff: { id: string; name: string; email: string; status: string; enrolled: boolean; lockedAt: number | null; failedCodes: number; lockedIp: string | null }[];
  events: { id: number; at: number; staff: string; action: string; actor: string; note: string | null }[];
};

/** Staff accounts in the console: who is locked, the unlock form for colleagues, and the history. */
export function StaffAccountsPage({ d, a }: { d: StaffAccountsData; a?: { ok: boolean; message: string } }) {
  return (
    <>
      <p>
        <Link to="/support">All tickets</Link>
      </p>
      <h1>Staff accounts</h1>
      <p className="lead">
        A staff member is locked after 10 wrong authenticator codes in a row. Before you unlock someone, check with them in person or by phone
        that it was them. You cannot unlock yourself. Operators disable or enable staff with the command line.
      </p>
      <OutcomeNotice outcome={a} />
      <ul className="tickets">
        {d.staff.map((s) => (
          <li key={s.id} className="ticket" data-testid={`staff-${s.email}`}>
            <strong>{s.name}</strong> · {s.email} · {s.status}
            {s.enrolled ? "" : " · authenticator not set up"}
            {s.lockedAt ? (
              <>
                {" "}
                · <span className="badge badge-warn">locked</span> since {utcMinuteOrDash(s.lockedAt)} after {s.failedCodes} wrong codes (last from {s.lockedIp ?? "—"})
              </>
            ) : null}
            {s.lockedAt && s.id !== d.me ? (
              <Form method="post" className="staff-actions">
                <input type="hidden" name="intent" value="unlock" />
                <input type="hidden" name="staffId" value={s.id} />
                <div className="field">
                  <label htmlFor={`note-${s.id}`}>Note (required: how you checked it was them)</label>
                  <textarea id={`note-${s.id}`} name="note" rows={2} maxLength={2000} required />
                </div>
                <button type="submit" className="button">
                  Unlock {s.email}
                </button>
              </Form>
            ) : null}
          </li>
        ))}
      </ul>
      <h2>History</h2>
      {d.events.length === 0 ? <p>None.</p> : null}
      <ol className="history">
        {d.events.map((e) => (
          <li key={e.id}>
            {utcMinuteOrDash(e.at)} · {e.staff} {e.action} by {e.actor}
            {e.note ? <span className="prewrap"> — {e.note}</span> : null}
          </li>
        ))}
      </ol>
    </>
  );
}
