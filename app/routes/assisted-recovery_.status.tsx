import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { readForm } from "~/http/forms.server";
export { keepRetryAfter as headers } from "~/http/responses.server";
import { REPLIES_PER_DAY, replyFromStatusPage, replySchema, statusPage, type StatusPageView } from "~/tickets/status-page.server";
import { StatusLinkNeeded, TicketStatusPage } from "~/ui/ticket-status-page";
import { metaT } from "~/i18n/meta";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("assisted:meta.status") }];

/** The customer's ticket, for the browser that opened the acknowledgement's status link (see the $token route). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const view = await statusPage(context, request);
  if (!view) return data({ view: null }, { status: 403 });
  return { view };
}

/** `message` is a catalogue key, said in the page's language; `count` fills it. */
type Answer = { ok: boolean; message: string; count: number | null; errors: string[] | null; value: string | null; view: StatusPageView | null };
const answer = (a: Partial<Answer> & { view: StatusPageView | null }, status = 200, headers?: Record<string, string>) =>
  data<Answer>({ ok: false, message: "", count: null, errors: null, value: null, ...a }, { status, headers });

/** "Add information or answer our questions": 3–2000 characters, at most REPLIES_PER_DAY a day per ticket. */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: replySchema });
  if (submission.status !== "success") {
    const view = await statusPage(context, request);
    if (!view) return answer({ view: null }, 403);
    const errors = submission.error?.message ?? ["Write your message"];
    return answer({ message: "assisted:status.checkMessage", errors, value: String(form.get("message") ?? "").slice(0, 2000), view }, 400);
  }
  const outcome = await replyFromStatusPage(context, request, submission.value.message);
  if (outcome.ok) return answer({ ok: true, message: "assisted:status.thanks", view: outcome.view });
  if (outcome.reason === "no-hold") return answer({ view: null }, 403);
  if (outcome.reason === "too-many") {
    return answer({ message: "assisted:status.tooMany", count: REPLIES_PER_DAY, view: outcome.view }, 429, { "Retry-After": String(outcome.retryAfterSeconds) });
  }
  return answer({ message: "assisted:status.finished", view: outcome.view }, 409);
}

export default function TicketStatus() {
  const loaded = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  const view = a ? a.view : loaded.view;
  if (!view) return <StatusLinkNeeded reason="no-hold" />;
  return <TicketStatusPage d={view} a={a ?? undefined} />;
}
