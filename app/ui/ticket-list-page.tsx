import { Form, Link } from "@remix-run/react";
import { ConsoleNav, type ConsoleNavData } from "./console-nav";

export type TicketListData = {
  nav: ConsoleNavData;
  status: string;
  category: string;
  view: string;
  tier: string;
  q: string;
  categories: [string, string][];
  statuses: readonly string[];
  tickets: {
    id: string;
    reference: string;
    category: string;
    priority: string;
    status: string;
    tier: number;
    assignee: string | null;
    due: string;
    overdue: boolean;
    breached: boolean;
    sla: string;
    escalated: boolean;
    confirmed: boolean;
  }[];
};

/**
 * The support console's ticket list: views (all, mine, unassigned), tier, status and category
 * filters and a search box, all one GET form (works without JavaScript). High priority first,
 * then soonest due: escalated tickets are high priority, so they lead.
 */
export function TicketListPage({ d }: { d: TicketListData }) {
  return (
    <>
      <ConsoleNav nav={d.nav} title="Tickets" />
      <Form method="get" className="filters" role="search">
        <div className="field">
          <label htmlFor="q">Search (reference, e-mail, username or phone)</label>
          <input id="q" name="q" type="search" defaultValue={d.q} maxLength={320} autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="view">Show</label>
          <select id="view" name="view" defaultValue={d.view}>
            <option value="all">All tickets</option>
            <option value="mine">My tickets</option>
            <option value="unassigned">Unassigned</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="tier">Tier</label>
          <select id="tier" name="tier" defaultValue={d.tier}>
            <option value="">Any</option>
            <option value="1">Tier 1</option>
            <option value="2">Tier 2</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="status">Status</label>
          <select id="status" name="status" defaultValue={d.status}>
            <option value="active">Open or waiting</option>
            {d.statuses.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ")}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="category">What happened</label>
          <select id="category" name="category" defaultValue={d.category}>
            <option value="">Any</option>
            {d.categories.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button button-secondary">
          Filter
        </button>
      </Form>
      {d.tickets.length === 0 ? <p>No tickets match.</p> : null}
      <ul className="tickets">
        {d.tickets.map((t) => (
          <li key={t.id} className={t.overdue ? "ticket overdue" : "ticket"}>
            <Link to={`/support/tickets/${t.id}`}>{t.reference}</Link> · {t.category} ·{" "}
            <span className={t.priority === "high" ? "badge badge-warn" : "badge"}>{t.priority}</span> · <span className="badge">tier {t.tier}</span>
            {t.escalated ? <span className="badge badge-warn">escalated</span> : null} · {t.status.replace("_", " ")} ·{" "}
            {t.assignee ? `assigned to ${t.assignee}` : "unassigned"} · due <time dateTime={t.due}>{t.due.replace("T", " ").slice(0, 16)} UTC</time>
            {t.overdue ? <strong className="overdue-label"> OVERDUE</strong> : null}
            {t.breached ? <strong className="overdue-label"> SLA breached</strong> : null}
            <span className="hint"> ({t.sla})</span>
            {t.confirmed ? null : <span className="hint"> (contact not confirmed)</span>}
          </li>
        ))}
      </ul>
    </>
  );
}
