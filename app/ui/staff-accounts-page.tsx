import { Form, Link } from "@remix-run/react";
import { Field, OutcomeNotice } from "./components";
import { utcMinuteOrDash } from "./format";

export type StaffAccountsData = {
  me: string;
  staff: { id: string; name: string; email: string; role: string; status: string; enrolled: boolean; invited: boolean; lockedAt: number | null; failedCodes: number; lockedIp: string | null }[];
  events: { id: number; at: number; staff: string; action: string; actor: string; note: string | null }[];
};

const ROLES = ["agent", "supervisor", "admin"] as const;

/**
 * Staff accounts in the console (admins only): each member's role and state, an admin's changes to
 * colleagues (role, disable/enable, authenticator reset, unlock with a note), and the history.
 * Every change is a plain form POST, so the page works without JavaScript.
 */
export function StaffAccountsPage({ d, a }: { d: StaffAccountsData; a?: { ok: boolean; message: string } }) {
  return (
    <>
      <p>
        <Link to="/support">All tickets</Link>
      </p>
      <h1>Staff accounts</h1>
      <p className="lead">
        Roles: an agent works tickets; a supervisor also approves risky actions and sees the reports; an admin also manages staff here. A
        staff member is locked after 10 wrong authenticator codes in a row. Before you unlock someone or reset their authenticator, check
        with them in person or by phone that it is them. Disabling someone or resetting their authenticator signs them out everywhere at
        once. You cannot change your own account here; another admin or an operator (command line) can.
      </p>
      <OutcomeNotice outcome={a} />
      <h2>Invite a staff member</h2>
      <Form method="post">
        <input type="hidden" name="intent" value="invite" />
        <Field label="Their work e-mail" name="email" type="email" autoComplete="off" maxLength={254} required />
        <Field label="Their name" name="name" autoComplete="off" maxLength={100} required />
        <div className="field">
          <label htmlFor="invite-role">Role</label>
          <select id="invite-role" name="role" defaultValue="agent">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <p className="hint">They get an e-mail with a one-time link to choose a password (it works for 72 hours), then set up an authenticator app at their first sign-in.</p>
        <button type="submit" className="button">
          Send invitation
        </button>
      </Form>
      <h2>Staff</h2>
      <ul className="tickets">
        {d.staff.map((s) => (
          <li key={s.id} className="ticket" data-testid={`staff-${s.email}`}>
            <strong>{s.name}</strong>
            {s.id === d.me ? " (you)" : ""} · {s.email} · <span data-testid="role">{s.role}</span> · {s.status}
            {s.invited ? " · invited, no password yet" : s.enrolled ? "" : " · authenticator not set up"}
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
            {s.id !== d.me ? (
              <div className="staff-actions">
                <Form method="post" className="field">
                  <input type="hidden" name="intent" value="role" />
                  <input type="hidden" name="staffId" value={s.id} />
                  <label htmlFor={`role-${s.id}`}>Role of {s.email}</label>
                  <select id={`role-${s.id}`} name="role" defaultValue={s.role}>
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                  <button type="submit" className="button button-secondary">
                    Change role
                  </button>
                </Form>
                <Form method="post" className="field">
                  <input type="hidden" name="intent" value={s.status === "disabled" ? "enable" : "disable"} />
                  <input type="hidden" name="staffId" value={s.id} />
                  <button type="submit" className="button button-secondary">
                    {s.status === "disabled" ? `Enable ${s.email}` : `Disable ${s.email}`}
                  </button>
                </Form>
                {s.invited ? (
                  <Form method="post" className="field">
                    <input type="hidden" name="intent" value="reinvite" />
                    <input type="hidden" name="staffId" value={s.id} />
                    <button type="submit" className="button button-secondary">
                      Send {s.email} a new set-up link
                    </button>
                  </Form>
                ) : null}
                {s.enrolled ? (
                  <Form method="post" className="field">
                    <input type="hidden" name="intent" value="reset_totp" />
                    <input type="hidden" name="staffId" value={s.id} />
                    <button type="submit" className="button button-secondary">
                      Reset authenticator of {s.email}
                    </button>
                  </Form>
                ) : null}
              </div>
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
