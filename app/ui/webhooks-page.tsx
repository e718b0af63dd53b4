import { ConsoleNav, type ConsoleNavData } from "./console-nav";
import { utcMinuteOrDash } from "./format";

export type WebhooksPageData = {
  nav: ConsoleNavData;
  endpoints: { id: string; url: string; events: string; status: "active" | "disabled"; lastResult: string | null; lastAttemptAt: number | null; failingSince: number | null; createdAt: number }[];
};

/**
 * Webhook endpoints (admins only, read-only): where signed events go, what each subscribes to,
 * whether it is active, its last delivery result and since when it has been failing. Managed with
 * the CLI (`webhook add|list|remove|rotate-secret`); secrets are never shown here.
 */
export function WebhooksPage({ d }: { d: WebhooksPageData }) {
  return (
    <>
      <ConsoleNav nav={d.nav} title="Webhooks" />
      <p className="lead">
        Other systems learn about resets, locks, compromise reports, factor and contact changes and tickets from signed webhooks (Standard
        Webhooks). Endpoints are managed on the command line: <code>npm run portal -- webhook add --url URL --events TYPE,TYPE</code>. An
        endpoint whose deliveries fail for 24 hours is disabled and the admins are e-mailed.
      </p>
      {d.endpoints.length === 0 ? (
        <p data-testid="no-webhooks">No webhook endpoints.</p>
      ) : (
        <ul className="tickets" aria-label="Webhook endpoints">
          {d.endpoints.map((e) => (
            <li key={e.id} className="ticket" data-testid={`webhook-${e.id}`}>
              <h2>{e.url}</h2>
              <dl className="details">
                <dt>Endpoint id</dt>
                <dd>{e.id}</dd>
                <dt>Events</dt>
                <dd>{e.events === "*" ? "all (*)" : e.events.split(",").join(", ")}</dd>
                <dt>Status</dt>
                <dd data-cell="status">{e.status}</dd>
                <dt>Last delivery</dt>
                <dd data-cell="last">{e.lastResult ? `${e.lastResult} (${utcMinuteOrDash(e.lastAttemptAt)})` : "none yet"}</dd>
                <dt>Failing since</dt>
                <dd data-cell="failing">{utcMinuteOrDash(e.failingSince)}</dd>
                <dt>Added</dt>
                <dd>{utcMinuteOrDash(e.createdAt)}</dd>
              </dl>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
