import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { acceptReport, previewReport } from "~/tickets/report.server";
import { ReportPage } from "~/ui/report-page";
import { metaT } from "~/i18n/meta";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("assisted:meta.report") }];

const STATUS = { used: 410, expired: 410, invalid: 404, throttled: 429 } as const;

export async function loader({ params, context }: LoaderFunctionArgs) {
  const { status, contact, restores } = await previewReport(context, params.token ?? "");
  return data({ status, contact, restores }, { status: status === "valid" ? 200 : STATUS[status] });
}

export async function action({ params, context }: ActionFunctionArgs) {
  const outcome = await acceptReport(context, params.token ?? "");
  if (!outcome.ok) return data({ status: outcome.status, reference: null, slaHours: null, contact: null, restored: null }, { status: STATUS[outcome.status] });
  // An explicit 200: otherwise the loader, re-run after the action, sees the link as used and the
  // page that confirms success goes out as a 410.
  return data(
    { status: "done" as const, reference: outcome.reference, slaHours: outcome.slaHours, contact: outcome.contact, restored: outcome.restored },
    { status: 200 },
  );
}

export default function Report() {
  return <ReportPage l={useLoaderData<typeof loader>()} a={useActionData<typeof action>()} />;
}
