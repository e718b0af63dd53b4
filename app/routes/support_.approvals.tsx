import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireStaffRole } from "~/support/staff-auth.server";
import { pendingApprovals } from "~/support/approvals.server";
import { utcMinuteOrDash } from "~/ui/format";

export const meta: MetaFunction = () => [{ title: "Approvals | Support console" }];

/** The supervisors' queue (issue 14): every request waiting for a second staff member, oldest first. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaffRole(request, context, "supervisor");
  return { pending: await pendingApprovals(context) };
}

export default function Approvals() {
  const { pending } = useLoaderData<typeof loader>();
  return (
    <>
      <p>
        <Link to="/support">All tickets</Link>
      </p>
      <h1>Approvals</h1>
      <p className="lead">
        Risky actions an agent asked for. Open the ticket, check what they checked, then approve or decline with a note. You cannot decide your own
        requests.
      </p>
      {pending.length === 0 ? <p>Nothing is waiting.</p> : null}
      <ul className="approvals-queue">
        {pending.map((p) => (
          <li key={p.id}>
            <Link to={`/support/tickets/${p.ticketId}`}>{p.reference}</Link>: {p.label}
            {p.detail ? ` (${p.detail})` : ""} · asked by {p.requester} {utcMinuteOrDash(p.requestedAt)}
            <span className="prewrap"> — {p.note}</span>
          </li>
        ))}
      </ul>
    </>
  );
}
