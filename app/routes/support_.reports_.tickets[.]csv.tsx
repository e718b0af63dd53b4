import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaffRole } from "~/support/staff-auth.server";
import { auditReportAccess, buildReport, csvResponse, ticketsCsv } from "~/support/reports.server";

/** The tickets created in the range as CSV, no customer free text: supervisors and admins, audited. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff } = await requireStaffRole(request, context, "supervisor");
  return csvResponse(request, context, async (range) => {
    const report = await buildReport(context, range);
    await auditReportAccess(context, staff, range, "tickets_csv");
    return { name: `support-tickets_${range.from}_${range.to}.csv`, body: ticketsCsv(report.facts) };
  });
}
