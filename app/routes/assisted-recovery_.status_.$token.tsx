import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { landOnStatusLink } from "~/tickets/status-page.server";
import { StatusLinkNeeded } from "~/ui/ticket-status-page";
import { metaT } from "~/i18n/meta";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("assisted:meta.status") }];

/**
 * The acknowledgement's status link. A valid token gives this browser a short cookie and moves it
 * to /assisted-recovery/status, so the token does not stay in the address bar or history (TOK-11);
 * nothing on the server changes. Unknown tokens cost link-guessing budget (TOK-09).
 */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const outcome = await landOnStatusLink(context, params.token ?? "");
  if (outcome.ok) throw redirect("/assisted-recovery/status", { status: 303, headers: { "Set-Cookie": outcome.cookie } });
  return data({ reason: outcome.reason }, { status: outcome.reason === "throttled" ? 429 : outcome.reason === "expired" ? 410 : 404 });
}

export default function StatusLink() {
  return <StatusLinkNeeded reason={useLoaderData<typeof loader>().reason} />;
}
