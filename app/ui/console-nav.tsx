import { Form, Link } from "@remix-run/react";

/** What the console's navigation needs to know about the signed-in staff member. */
export type ConsoleNavData = { staffName: string; role: "agent" | "supervisor" | "admin" };

/**
 * The support console's top bar. Links a role cannot use are not shown (the pages behind them
 * refuse anyway, with an audited 403): reports for supervisors and admins, staff accounts for
 * admins.
 */
export function ConsoleNav({ nav, title }: { nav: ConsoleNavData; title: string }) {
  const atLeastSupervisor = nav.role === "supervisor" || nav.role === "admin";
  return (
    <div className="actions">
      <h1>{title}</h1>
      <nav aria-label="Support console">
        <ul className="console-nav">
          <li>
            <Link to="/support">Tickets</Link>
          </li>
          {/* slot:nav-links */}
          {atLeastSupervisor ? (
            <li>
              <Link to="/support/approvals">Approvals</Link>
            </li>
          ) : null}
          <li>
            <Link to="/support/tickets/new">New phone ticket</Link>
          </li>
          {atLeastSupervisor ? (
            <li>
              <Link to="/support/reports">Reports</Link>
            </li>
          ) : null}
          {nav.role === "admin" ? (
            <li>
              <Link to="/support/staff">Staff accounts</Link>
            </li>
          ) : null}
          {nav.role === "admin" ? (
            <li>
              <Link to="/support/webhooks">Webhooks</Link>
            </li>
          ) : null}
        </ul>
      </nav>
      <Form method="post" action="/support/logout">
        <button type="submit" className="button button-secondary">
          Sign out {nav.staffName}
        </button>
      </Form>
    </div>
  );
}
