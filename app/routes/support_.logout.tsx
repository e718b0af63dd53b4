import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { endStaffSession } from "~/support/staff-auth.server";

export const loader = () => redirect("/support");

export async function action({ request, context }: ActionFunctionArgs) {
  return redirect("/support/login", { headers: { "Set-Cookie": await endStaffSession(request, context), "Clear-Site-Data": '"cookies"' } });
}
