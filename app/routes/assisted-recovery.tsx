import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { isBot, readForm } from "~/http/forms.server";
import { throttledResponse } from "~/http/responses.server";
import { submitTicket } from "~/tickets/submit.server";
import { ticketSchema } from "~/tickets/schemas";
import { AssistedRecoveryPage } from "~/ui/assisted-recovery-page";
import { metaT } from "~/i18n/meta";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("assisted:meta.form") }];

export async function loader({ request }: LoaderFunctionArgs) {
  const reason = new URL(request.url).searchParams.get("reason");
  const preset = reason === "not-me" ? "compromised" : reason === "lost-factor" ? "lost_factor" : reason === "locked" ? "locked" : null;
  return { preset };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: ticketSchema });
  if (submission.status !== "success") {
    return data({ errors: submission.error ?? {}, values: Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v).slice(0, 2000)])), done: null }, { status: 400 });
  }
  const outcome = await submitTicket(context, submission.value, { bot: isBot(form) });
  if (!outcome.ok) throw throttledResponse(outcome.retryAfterSeconds);
  return { errors: null, values: null, done: { reference: outcome.reference, slaHours: outcome.slaHours } };
}

export default function AssistedRecovery() {
  return <AssistedRecoveryPage preset={useLoaderData<typeof loader>().preset} a={useActionData<typeof action>()} />;
}
