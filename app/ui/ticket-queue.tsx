import { Form } from "@remix-run/react";
import { utcMinuteOrDash } from "./format";

/** The ticket page's queue section: tier, assignee, SLA clock, claim / assign / escalate. */
export type TicketQueueData = {
  tier: number;
  assignee: { id: string; name: string } | null;
  me: string;
  mayReassign: boolean;
  staff: { id: string; name: string }[];
  dueAt: number;
  sla: { breached: boolean; text: string };
  firstResponseAt: number | null;
  escalatedAt: number | null;
  resolvedAt: number | null;
  active: boolean;
};

export function TicketQueue({ q }: { q: TicketQueueData }) {
  const mine = q.assignee?.id === q.me;
  const mayAssign = !q.assignee || q.mayReassign;
  return (
    <section className="ticket-queue" aria-labelledby="queue-heading">
      <h2 id="queue-heading">Queue and SLA</h2>
      <dl className="details">
        <dt>Tier</dt>
        <dd>
          Tier {q.tier} {q.escalatedAt ? <span className="badge badge-warn">escalated {utcMinuteOrDash(q.escalatedAt)}</span> : null}
        </dd>
        <dt>Assigned to</dt>
        <dd>{q.assignee ? `${q.assignee.name}${mine ? " (you)" : ""}` : "nobody (unassigned)"}</dd>
        <dt>SLA due</dt>
        <dd>
          {utcMinuteOrDash(q.dueAt)} ·{" "}
          {q.sla.breached ? <strong className="overdue-label">SLA breached: {q.sla.text}</strong> : <span>{q.sla.text}</span>}
        </dd>
        <dt>First response</dt>
        <dd>{q.firstResponseAt ? `first response at ${utcMinuteOrDash(q.firstResponseAt)}` : "none yet"}</dd>
        {q.resolvedAt ? (
          <>
            <dt>Resolved</dt>
            <dd>{utcMinuteOrDash(q.resolvedAt)}</dd>
          </>
        ) : null}
      </dl>
      {q.active ? (
        <div className="queue-actions">
          {!q.assignee ? (
            <Form method="post">
              <input type="hidden" name="intent" value="claim" />
              <button type="submit" className="button">
                Claim (assign to me)
              </button>
            </Form>
          ) : null}
          {mayAssign ? (
            <Form method="post" className="assign-form">
              <input type="hidden" name="intent" value="assign" />
              <div className="field">
                <label htmlFor="assignee">Assign to</label>
                <select id="assignee" name="assignee" defaultValue={q.assignee?.id ?? ""} required>
                  <option value="" disabled>
                    Choose a staff member
                  </option>
                  {q.staff.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                      {s.id === q.me ? " (you)" : ""}
                    </option>
                  ))}
                </select>
              </div>
              <button type="submit" className="button button-secondary">
                {q.assignee ? "Reassign" : "Assign"}
              </button>
            </Form>
          ) : (
            <p className="hint">Only a supervisor or an admin can reassign a ticket someone already has.</p>
          )}
          {q.escalatedAt === null ? (
            <Form method="post" className="escalate-form">
              <input type="hidden" name="intent" value="escalate" />
              <div className="field">
                <label htmlFor="escalation_note">Escalation note (required: why this needs tier 2)</label>
                <textarea id="escalation_note" name="escalation_note" rows={2} minLength={3} maxLength={2000} required />
              </div>
              <button type="submit" className="button button-secondary">
                Escalate to tier 2
              </button>
            </Form>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
