import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireStaff } from "~/support/staff-auth.server";
import { STAFF_ACTIONS, performStaffAction } from "~/support/actions.server";
import { ticketView } from "~/support/ticket-view.server";
import { staffActionMessage } from "~/support/messages";
import { TicketPage } from "~/ui/ticket-page";
import { recordEvent } from "~/audit/events.server";
import { handleQueueIntent, queueView } from "~/tickets/queue.server";
import { customerSideView } from "~/tickets/status-page.server";
import { ticketApprovals } from "~/support/approvals.server";
import { handleApprovalIntent } from "~/support/approval-intents.server";

export const meta: MetaFunction = () => [{ title: "Ticket | Support console" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { staff } = await requireStaff(request, context);
  const view = await ticketView(context, params.id ?? "");
  if (!view) throw data("No such ticket.", { status: 404 });
  // Who read which ticket (L12): ids only, no customer data.
  await recordEvent(context, { event: "ticket_viewed", outcome: "success", actorType: "staff", actorId: staff.id, details: { ticket_id: view.ticket.id } });
  return {
    ...view,
    actions: Object.entries(STAFF_ACTIONS),
    // slot:views — each capability adds its part of the page here
    queue: await queueView(context, staff, view.ticket.id),
    customer: await customerSideView(context, view.ticket.id),
    approvals: await ticketApprovals(context, staff, view.ticket.id),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { staff } = await requireStaff(request, context);
  const form = await readForm(request);
  // Each capability answers its own intents with the same { ok, message } shape and status.
  const intent = String(form.get("intent") ?? "action");
  // slot:intents
  const approvals = await handleApprovalIntent(context, staff, params.id ?? "", intent, form);
  if (approvals) return data({ ok: approvals.ok, message: approvals.message }, { status: approvals.status });
  const queued = await handleQueueIntent(context, staff, params.id ?? "", intent, form);
  if (queued) return data({ ok: queued.ok, message: queued.message }, { status: queued.status });
  if (intent !== "action") throw data("Unknown request.", { status: 400 });
  const outcome = await performStaffAction(context, staff, params.id ?? "", {
    action: String(form.get("action") ?? ""),
    note: String(form.get("note") ?? "").slice(0, 4000),
    channel: String(form.get("channel") ?? "email"),
  });
  const { status, message } = staffActionMessage(outcome);
  return data({ ok: outcome.ok, message }, { status });
}

export default function TicketDetail() {
  return <TicketPage d={useLoaderData<typeof loader>()} a={useActionData<typeof action>()} />;
}
