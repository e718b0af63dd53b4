import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { TicketListPage } from "~/ui/ticket-list-page";
import { requireStaff } from "~/support/staff-auth.server";
import { CATEGORIES, STATUSES, listTickets } from "~/tickets/tickets.server";

export const meta: MetaFunction = () => [{ title: "Tickets | Support console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff } = await requireStaff(request, context);
  const url = new URL(request.url);
  const status = url.searchParams.get("status") ?? "active";
  const category = url.searchParams.get("category") ?? "";
  const now = context.services.clock.now();
  return {
    nav: { staffName: staff.name, role: staff.role },
    status,
    category,
    categories: Object.entries(CATEGORIES),
    statuses: STATUSES,
    tickets: (await listTickets(context.services.db, { status, category })).map((t) => ({
      id: t.id,
      reference: t.reference,
      category: CATEGORIES[t.category],
      priority: t.priority,
      status: t.status,
      due: new Date(t.sla_due_at).toISOString(),
      overdue: t.sla_due_at < now && (t.status === "open" || t.status === "waiting_customer"),
      confirmed: t.contact_confirmed === 1,
    })),
  };
}

export default function SupportTickets() {
  return <TicketListPage d={useLoaderData<typeof loader>()} />;
}
