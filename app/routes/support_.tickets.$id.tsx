import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireStaff } from "~/support/staff-auth.server";
import { STAFF_ACTIONS, performStaffAction } from "~/support/actions.server";
import { ticketView } from "~/support/ticket-view.server";
import { OutcomeNotice } from "~/ui/components";
import { staffActionMessage } from "~/support/messages";
import { utcMinuteOrDash } from "~/ui/format";
import { recordEvent } from "~/audit/events.server";

export const meta: MetaFunction = () => [{ title: "Ticket | Support console" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { staff } = await requireStaff(request, context);
  const view = await ticketView(context, params.id ?? "");
  if (!view) throw data("No such ticket.", { status: 404 });
  // Who read which ticket (L12): ids only, no customer data.
  await recordEvent(context, { event: "ticket_viewed", outcome: "success", actorType: "staff", actorId: staff.id, details: { ticket_id: view.ticket.id } });
  return { ...view, actions: Object.entries(STAFF_ACTIONS) };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { staff } = await requireStaff(request, context);
  const form = await readForm(request);
  const outcome = await performStaffAction(context, staff, params.id ?? "", {
    action: String(form.get("action") ?? ""),
    note: String(form.get("note") ?? "").slice(0, 4000),
    channel: String(form.get("channel") ?? "email"),
  });
  const { status, message } = staffActionMessage(outcome);
  return data({ ok: outcome.ok, message }, { status });
}

/** A match with a contact changed lately proves nothing (M3); one put back by the report says so. */
function ContactBadge(p: { state: "matches" | "differs" | "recent" | "restored"; changedAt: number | null; match: string; differ: string }) {
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

export default function TicketDetail() {
  const d = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  const t = d.ticket;
  return (
    <>
      <p>
        <Link to="/support">All tickets</Link>
      </p>
      <h1>
        {t.reference} <span className={t.priority === "high" ? "badge badge-warn" : "badge"}>{t.priority}</span>
      </h1>
      <p className="lead">
        {d.category} · {t.status.replace("_", " ")} · due {utcMinuteOrDash(t.sla_due_at)}
        {d.overdue ? <strong className="overdue-label"> OVERDUE</strong> : null}
      </p>
      <OutcomeNotice outcome={a} />
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
                {l.ended_at ? ` · ended ${utcMinuteOrDash(l.ended_at)} (${l.end_reason?.replace(/_/g, " ")})` : " · in force"}
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
