import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireStaffRole } from "~/support/staff-auth.server";
import { auditReportAccess, buildReport, FEEDBACK_DEFINITIONS, hours, parseRange, percent, RECOVERY_DEFINITIONS, TICKET_DEFINITIONS } from "~/support/reports.server";
import { ReportsPage } from "~/ui/reports-page";

export const meta: MetaFunction = () => [{ title: "Reports | Support console" }];

/**
 * Support reports (issue 14), for supervisors and admins (an agent gets the audited 403 page):
 * tickets created in a date range (GET from/to, YYYY-MM-DD, UTC, both included; the last 30 days
 * by default) and the self-service recoveries of the same days. A bad range answers 400 with the
 * form and its error. Every view is audited with its range.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff } = await requireStaffRole(request, context, "supervisor");
  const nav = { staffName: staff.name, role: staff.role };
  const definitions = { tickets: TICKET_DEFINITIONS, recovery: RECOVERY_DEFINITIONS, feedback: FEEDBACK_DEFINITIONS };
  const parsed = parseRange(new URL(request.url).searchParams, context.services.clock.now());
  if (!parsed.ok) return data({ nav, from: parsed.from, to: parsed.to, error: parsed.error, report: null, definitions }, { status: 400 });
  const { range } = parsed;
  const report = await buildReport(context, range);
  await auditReportAccess(context, staff, range, "page");
  const t = report.tickets;
  return {
    nav,
    from: range.from,
    to: range.to,
    error: null,
    definitions,
    report: {
      generatedAt: new Date(report.generatedAt).toISOString().slice(0, 16).replace("T", " "),
      opened: t.opened,
      resolved: t.resolved,
      open: t.open,
      byCategory: t.byCategory,
      byPriority: t.byPriority,
      firstResponse: { count: t.firstResponse.count, median: hours(t.firstResponse.medianMs), p90: hours(t.firstResponse.p90Ms) },
      resolution: { count: t.resolution.count, median: hours(t.resolution.medianMs), p90: hours(t.resolution.p90Ms) },
      breaches: t.breaches,
      firstContactResolved: t.firstContactResolved,
      firstContactPercent: percent(t.firstContactResolved, t.resolved),
      recovery: report.recovery.rows,
      requestsEmail: report.recovery.requestsEmail,
      requestsSms: report.recovery.requestsSms,
      feedback: report.feedback,
      exportQuery: new URLSearchParams({ from: range.from, to: range.to }).toString(),
    },
  };
}

export default function SupportReports() {
  return <ReportsPage d={useLoaderData<typeof loader>()} />;
}
