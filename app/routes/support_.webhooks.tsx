import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireStaffRole } from "~/support/staff-auth.server";
import { webhooksOverview } from "~/support/webhooks.server";
import { WebhooksPage } from "~/ui/webhooks-page";

export const meta: MetaFunction = () => [{ title: "Webhooks | Support console" }];

/**
 * Webhook endpoints (issue 17), for admins only (an agent or supervisor gets the console's audited
 * 403 page, as on /support/staff). Read-only: the CLI manages endpoints. Each view is audited.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff } = await requireStaffRole(request, context, "admin");
  return { nav: { staffName: staff.name, role: staff.role }, ...(await webhooksOverview(context, staff.id)) };
}

export default function Webhooks() {
  return <WebhooksPage d={useLoaderData<typeof loader>()} />;
}
