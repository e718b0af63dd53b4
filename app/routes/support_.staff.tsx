import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { findStaffById, listStaff, listStaffEvents, unlockStaff } from "~/accounts/accounts.server";
import { readForm } from "~/http/forms.server";
import { recordEvent } from "~/audit/events.server";
import { requireStaff } from "~/support/staff-auth.server";
import { Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Staff accounts | Support console" }];

/**
 * Staff accounts (H2, L12): who is active, disabled or locked after wrong authenticator codes. A
 * locked staff member is unlocked here by ANOTHER staff member, with a note (what they checked),
 * or by an operator with `npm run portal -- staff unlock --email E`. Disabling is the CLI's.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff: me } = requireStaff(request, context);
  const { db } = context.services;
  const all = listStaff(db);
  const names = new Map(all.map((s) => [s.id, s.email]));
  return {
    me: me.id,
    staff: all.map((s) => ({
      id: s.id,
      name: s.name,
      email: s.email,
      status: s.status,
      enrolled: Boolean(s.totp_confirmed_at),
      lockedAt: s.locked_at,
      lockedIp: s.locked_ip,
      failedCodes: s.failed_code_count,
    })),
    events: listStaffEvents(db).map((e) => ({
      id: e.id,
      at: e.at,
      staff: names.get(e.staff_id) ?? e.staff_id,
      actor: e.actor.startsWith("staff:") ? (names.get(e.actor.slice(6)) ?? e.actor) : e.actor,
      action: e.action,
      note: e.note,
    })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { staff: me } = requireStaff(request, context);
  const form = await readForm(request);
  const targetId = String(form.get("staffId") ?? "");
  const note = String(form.get("note") ?? "").trim().slice(0, 2000);
  if (form.get("intent") !== "unlock") return data({ ok: false, message: "Choose an action." }, { status: 400 });
  const target = findStaffById(context.services.db, targetId);
  if (!target) return data({ ok: false, message: "No such staff member." }, { status: 404 });
  if (target.id === me.id) {
    recordEvent(context, { event: "staff_unlocked", outcome: "failure", actorType: "staff", actorId: me.id, details: { staff_id: target.id, reason: "self" } });
    return data({ ok: false, message: "You can't unlock your own account. Ask another staff member or an operator." }, { status: 403 });
  }
  if (!note) return data({ ok: false, message: "Write a note: how you checked it was really them, and why." }, { status: 400 });
  const { db, clock } = context.services;
  const unlocked = db.transaction(() => {
    const ok = unlockStaff(db, target.id, clock.now(), `staff:${me.id}`, note);
    if (ok) recordEvent(context, { event: "staff_unlocked", outcome: "success", actorType: "staff", actorId: me.id, details: { staff_id: target.id, via: "console" } });
    return ok;
  })();
  if (!unlocked) return data({ ok: false, message: `${target.email} is not locked.` }, { status: 409 });
  return data({ ok: true, message: `${target.email} is unlocked and can sign in again.` });
}

const fmt = (t: number | null) => (t ? new Date(t).toISOString().replace("T", " ").slice(0, 16) + " UTC" : "—");

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
      {a ? (
        <Notice kind={a.ok ? "success" : "error"}>
          <p>{a.message}</p>
        </Notice>
      ) : null}
      <ul className="tickets">
        {d.staff.map((s) => (
          <li key={s.id} className="ticket" data-testid={`staff-${s.email}`}>
            <strong>{s.name}</strong> · {s.email} · {s.status}
            {s.enrolled ? "" : " · authenticator not set up"}
            {s.lockedAt ? (
              <>
                {" "}
                · <span className="badge badge-warn">locked</span> since {fmt(s.lockedAt)} after {s.failedCodes} wrong codes (last from {s.lockedIp ?? "—"})
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
            {fmt(e.at)} · {e.staff} {e.action} by {e.actor}
            {e.note ? <span className="prewrap"> — {e.note}</span> : null}
          </li>
        ))}
      </ol>
    </>
  );
}
