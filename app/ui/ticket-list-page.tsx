import { Form, Link } from "@remix-run/react";
import { ConsoleNav, type ConsoleNavData } from "./console-nav";

export type TicketListData = {
  nav: ConsoleNavData;
  status: string;
  category: string;
  categories: [string, string][];
  statuses: readonly string[];
  tickets: { id: string; reference: string; category: string; priority: string; status: string; due: string; overdue: boolean; confirmed: boolean }[];
};

/** The support console's ticket list, with its filters. */
export function TicketListPage({ d }: { d: TicketListData }) {
  return (
    <>
      <ConsoleNav nav={d.nav} title="Tickets" />
      <Form method="get" className="filters">
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
            <span className={t.priority === "high" ? "badge badge-warn" : "badge"}>{t.priority}</span> · {t.status.replace("_", " ")} · due{" "}
            <time dateTime={t.due}>{t.due.replace("T", " ").slice(0, 16)} UTC</time>
            {t.overdue ? <strong className="overdue-label"> OVERDUE</strong> : null}
            {t.confirmed ? null : <span className="hint"> (contact not confirmed)</span>}
          </li>
        ))}
      </ul>
    </>
  );
}
