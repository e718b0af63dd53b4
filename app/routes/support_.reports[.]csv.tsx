import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaffRole } from "~/support/staff-auth.server";
import { auditReportAccess, buildReport, csvResponse, summaryRows, toCsv } from "~/support/reports.server";

/** The report's numbers as CSV (section, item, measure, value): supervisors and admins, audited. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { staff } = await requireStaffRole(request, context, "supervisor");
  return csvResponse(request, context, async (range) => {
    const report = await buildReport(context, range);
    await auditReportAccess(context, staff, range, "summary_csv");
    return { name: `support-report_${range.from}_${range.to}.csv`, body: toCsv(summaryRows(report)) };
  });
}
