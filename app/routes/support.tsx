import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { TicketListPage } from "~/ui/ticket-list-page";
import { requireStaff } from "~/support/staff-auth.server";
import { CATEGORIES, STATUSES } from "~/tickets/tickets.server";
import { listQueue } from "~/tickets/queue.server";

export const meta: MetaFunction = () => [{ title: "Tickets | Support console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff } = await requireStaff(request, context);
  const url = new URL(request.url);
  const param = (name: string, fallback = "") => url.searchParams.get(name) ?? fallback;
  const view = ["all", "mine", "unassigned"].includes(param("view")) ? param("view") : "all";
  const tier = ["1", "2"].includes(param("tier")) ? param("tier") : "";
  const filters = { status: param("status", "active"), category: param("category"), view, tier, q: param("q").slice(0, 320) };
  return {
    nav: { staffName: staff.name, role: staff.role },
    ...filters,
    categories: Object.entries(CATEGORIES),
    statuses: STATUSES,
    tickets: await listQueue(context, staff, filters),
  };
}

export default function SupportTickets() {
  return <TicketListPage d={useLoaderData<typeof loader>()} />;
}
