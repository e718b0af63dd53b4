import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { readForm } from "~/http/forms.server";
import { requireStaff } from "~/support/staff-auth.server";
import { ticketSchema } from "~/tickets/schemas";
import { openTicket } from "~/tickets/tickets.server";
import { PhoneTicketPage } from "~/ui/phone-ticket-page";

export const meta: MetaFunction = () => [{ title: "New phone ticket | Support console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff } = await requireStaff(request, context);
  return { nav: { staffName: staff.name, role: staff.role } };
}

/** Any staff member opens a ticket for a caller (channel "phone"); audited as theirs (ticket_opened). */
export async function action({ request, context }: ActionFunctionArgs) {
  const { staff } = await requireStaff(request, context);
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: ticketSchema });
  if (submission.status !== "success") {
    return data({ errors: submission.error ?? {}, values: Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v).slice(0, 2000)])) }, { status: 400 });
  }
  const { consent: _consent, ...input } = submission.value;
  void _consent;
  const opened = await openTicket(context, input, { channel: "phone", openedBy: staff.id });
  throw redirect(`/support/tickets/${opened.ticketId}`, { status: 303 });
}

export default function NewPhoneTicket() {
  return <PhoneTicketPage nav={useLoaderData<typeof loader>().nav} a={useActionData<typeof action>()} />;
}
