import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { endUserSession, getUserSession } from "~/sign-in/auth.server";
import { recordEvent } from "~/audit/events.server";

export async function loader() {
  return redirect("/");
}

/**
 * Ends the session on the server, expires its cookie and tells the browser to drop cached pages
 * and storage (SES-08). Not `"cookies"`: that would also wipe the device cookie that lets the
 * owner recover from this browser while strangers flood their inbox budget (M9, decision 0008).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const found = await getUserSession(request, context);
  if (found) {
    // In the audit table and the log, with IP and user agent (LOG-01).
    await recordEvent(context, { event: "sign_out", outcome: "success", actorType: "user", actorId: found.user.id, userId: found.user.id });
  }
  return redirect("/login", {
    headers: { "Set-Cookie": await endUserSession(request, context), "Clear-Site-Data": '"cache", "storage"' },
  });
}
