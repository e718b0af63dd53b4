import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireStaff } from "~/support/staff-auth.server";
import { staffOverview, unlockColleague } from "~/support/staff-accounts.server";
import { colleagueUnlockMessage } from "~/support/messages";
import { utcMinuteOrDash } from "~/ui/format";
import { OutcomeNotice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Staff accounts | Support console" }];

/**
 * Staff accounts (H2, L12): who is active, disabled or locked after wrong authenticator codes. A
 * locked staff member is unlocked here by ANOTHER staff member, with a note (what they checked),
 * or by an operator with `npm run portal -- staff unlock --email E`. Disabling is the CLI's.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff: me } = await requireStaff(request, context);
  return { me: me.id, ...(await staffOverview(context)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { staff: me } = await requireStaff(request, context);
  const form = await readForm(request);
  if (form.get("intent") !== "unlock") return data({ ok: false, message: "Choose an action." }, { status: 400 });
  const outcome = await unlockColleague(context, me, String(form.get("staffId") ?? ""), String(form.get("note") ?? "").trim().slice(0, 2000));
  const { status, message } = colleagueUnlockMessage(outcome);
  return data({ ok: outcome.ok, message }, { status });
}

export default function StaffAccounts() {
  const d = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
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
