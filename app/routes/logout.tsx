import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { endUserSession, getUserSession } from "~/sessions/auth.server";
import { audit } from "~/audit/audit.server";

export async function loader() {
  return redirect("/");
}

/** Ends the session on the server and tells the browser to drop its cookies (SES-08). */
export async function action({ request, context }: ActionFunctionArgs) {
  const found = getUserSession(request, context);
  if (found) {
    const { db, clock } = context.services;
    audit(db, clock.now(), {
      event: "sign_out",
      outcome: "success",
      actorType: "user",
      actorId: found.user.id,
      userId: found.user.id,
      ip: context.clientIp,
      userAgent: context.userAgent,
    });
  }
  return redirect("/login", {
    headers: { "Set-Cookie": endUserSession(request, context), "Clear-Site-Data": '"cookies"' },
  });
}
