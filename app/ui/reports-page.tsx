import { Form } from "@remix-run/react";
import type { ReactNode } from "react";
import { ConsoleNav, type ConsoleNavData } from "./console-nav";
import { FormError } from "./components";

type Counts = { key: string; label: string; opened: number; resolved: number; open: number };
type Times = { count: number; median: string; p90: string };

export type ReportsPageData = {
  nav: ConsoleNavData;
  from: string;
  to: string;
  error: string | null;
  report: {
    generatedAt: string;
    opened: number;
    resolved: number;
    open: number;
    byCategory: Counts[];
    byPriority: Counts[];
    firstResponse: Times;
    resolution: Times;
    breaches: number;
    firstContactResolved: number;
    firstContactPercent: string;
    recovery: { method: string; label: string; started: number; completed: number }[];
    requestsEmail: number;
    requestsSms: number;
    feedback: { answers: number; average: string; distribution: { score: number; count: number }[]; byMethod: { method: string; label: string; answers: number; average: string }[] };
    exportQuery: string;
  } | null;
  definitions: { tickets: readonly string[]; recovery: readonly string[]; feedback: readonly string[] };
};

/** A table that scrolls sideways on a narrow screen, as a labelled, focusable region. */
function Scroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    // A scrollable region must be reachable by keyboard (axe: scrollable-region-focusable).
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

function CountsTable({ caption, first, rows, id }: { caption: string; first: string; rows: Counts[]; id: string }) {
  return (
    <Scroll label={caption}>
      <table className="report" data-testid={id}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{first}</th>
            <th scope="col">Opened</th>
            <th scope="col">Resolved</th>
            <th scope="col">Still open</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} data-key={r.key}>
              <th scope="row">{r.label}</th>
              <td>{r.opened}</td>
              <td>{r.resolved}</td>
              <td>{r.open}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

/** Support reports (supervisors and admins): a GET form for the range, tables, CSV links. */
export function ReportsPage({ d }: { d: ReportsPageData }) {
  const r = d.report;
  return (
    <>
      <ConsoleNav nav={d.nav} title="Reports" />
      <Form method="get" className="filters">
        <div className="field">
          <label htmlFor="from">From (YYYY-MM-DD, UTC)</label>
          <input id="from" name="from" type="date" defaultValue={d.from} aria-invalid={d.error ? true : undefined} />
        </div>
        <div className="field">
          <label htmlFor="to">To (included)</label>
          <input id="to" name="to" type="date" defaultValue={d.to} aria-invalid={d.error ? true : undefined} />
        </div>
        <button type="submit" className="button">
          Show report
        </button>
      </Form>
      <FormError message={d.error} />
      {r ? (
        <>
          <p className="lead" data-testid="report-scope">
            Tickets <strong>created</strong> from {d.from} to {d.to} (UTC, both days included), as they stand now ({r.generatedAt} UTC).
            Self-service recoveries: audit events of the same days.
          </p>
          <p>
            Download: <a href={`/support/reports.csv?${r.exportQuery}`}>these numbers as CSV</a> ·{" "}
            <a href={`/support/reports/tickets.csv?${r.exportQuery}`}>the tickets of this range as CSV</a>
          </p>
          <h2>Tickets</h2>
          <Scroll label="Ticket totals">
            <table className="report" data-testid="totals">
              <caption>Ticket totals</caption>
              <thead>
                <tr>
                  <th scope="col">Opened</th>
                  <th scope="col">Resolved</th>
                  <th scope="col">Still open</th>
                  <th scope="col">SLA breaches</th>
                  <th scope="col">First-contact resolution</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td data-cell="opened">{r.opened}</td>
                  <td data-cell="resolved">{r.resolved}</td>
                  <td data-cell="open">{r.open}</td>
                  <td data-cell="breaches">{r.breaches}</td>
                  <td data-cell="fcr">
                    {r.firstContactResolved} of {r.resolved} ({r.firstContactPercent}%)
                  </td>
                </tr>
              </tbody>
            </table>
          </Scroll>
          <CountsTable caption="By category" first="What happened" rows={r.byCategory} id="by-category" />
          <CountsTable caption="By priority" first="Priority" rows={r.byPriority} id="by-priority" />
          <Scroll label="Response and resolution times">
            <table className="report" data-testid="times">
              <caption>Response and resolution times (hours)</caption>
              <thead>
                <tr>
                  <th scope="col">Time to</th>
                  <th scope="col">Tickets</th>
                  <th scope="col">Median</th>
                  <th scope="col">90th percentile</th>
                </tr>
              </thead>
              <tbody>
                <tr data-key="first_response">
                  <th scope="row">First response</th>
                  <td>{r.firstResponse.count}</td>
                  <td>{r.firstResponse.median}</td>
                  <td>{r.firstResponse.p90}</td>
                </tr>
                <tr data-key="resolution">
                  <th scope="row">Resolution</th>
                  <td>{r.resolution.count}</td>
                  <td>{r.resolution.median}</td>
                  <td>{r.resolution.p90}</td>
                </tr>
              </tbody>
            </table>
          </Scroll>
          <h3>How these are counted</h3>
          <ul className="definitions">
            {d.definitions.tickets.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          <h2>Self-service recovery</h2>
          <Scroll label="Self-service recovery by method">
            <table className="report" data-testid="recovery">
              <caption>Self-service recovery by method</caption>
              <thead>
                <tr>
                  <th scope="col">Method</th>
                  <th scope="col">Started</th>
                  <th scope="col">Completed</th>
                </tr>
              </thead>
              <tbody>
                {r.recovery.map((row) => (
                  <tr key={row.method} data-key={row.method}>
                    <th scope="row">{row.label}</th>
                    <td>{row.started}</td>
                    <td>{row.completed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
          <p data-testid="requests">
            Requests sent: {r.requestsEmail} by e-mail, {r.requestsSms} by SMS.
          </p>
          <ul className="definitions">
            {d.definitions.recovery.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          <h2>Customer feedback</h2>
          <p data-testid="feedback">
            {r.feedback.answers === 0
              ? "No feedback collected yet in this range."
              : `${r.feedback.answers} ${r.feedback.answers === 1 ? "answer" : "answers"} to “How easy was this?”, average ${r.feedback.average} of 5.`}
          </p>
          <Scroll label="Feedback scores">
            <table className="report" data-testid="feedback-scores">
              <caption>Answers by score (1 very hard, 5 very easy)</caption>
              <thead>
                <tr>
                  {r.feedback.distribution.map((d) => (
                    <th scope="col" key={d.score}>
                      {d.score}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <tr>
                  {r.feedback.distribution.map((d) => (
                    <td key={d.score}>{d.count}</td>
                  ))}
                </tr>
              </tbody>
            </table>
          </Scroll>
          <Scroll label="Feedback by method">
            <table className="report" data-testid="feedback-methods">
              <caption>Feedback by method</caption>
              <thead>
                <tr>
                  <th scope="col">Method</th>
                  <th scope="col">Answers</th>
                  <th scope="col">Average</th>
                </tr>
              </thead>
              <tbody>
                {r.feedback.byMethod.map((m) => (
                  <tr key={m.method} data-key={m.method}>
                    <th scope="row">{m.label}</th>
                    <td>{m.answers}</td>
                    <td>{m.average}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
          <ul className="definitions">
            {d.definitions.feedback.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}
