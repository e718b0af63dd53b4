import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { readForm } from "~/http/forms.server";
import { currentRecovery, resend, verifyCode } from "~/recovery/flows.server";
import { codeSchema } from "~/recovery/schemas";
import { throttledResponse } from "~/http/responses.server";
import { codeMessage, resendMessage } from "~/recovery/messages";
import { CodeForm } from "~/ui/recovery";

export const meta: MetaFunction = () => [{ title: "Check your email | Account recovery" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const current = currentRecovery(context, request, "reset");
  if (!current) throw redirect("/forgot-password");
  if (current.session.state !== "pending") throw redirect("/reset/password");
  const { config } = context.services;
  return { linkMinutes: Math.round(config.recovery.linkTtlMs / 60_000), codeMinutes: Math.min(10, Math.round(config.recovery.linkTtlMs / 60_000)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  if (form.get("intent") === "resend") {
    const outcome = await resend(context, request, "reset");
    if (!outcome.ok && outcome.reason === "no-flow") throw redirect("/forgot-password");
    return data({ message: resendMessage(outcome), codeErrors: null }, { status: outcome.ok ? 200 : 429 });
  }
  const submission = parseWithZod(form, { schema: codeSchema });
  if (submission.status !== "success") {
    return data({ message: null, codeErrors: submission.error?.code ?? ["Enter the 6-digit code from the message"] }, { status: 400 });
  }
  const outcome = await verifyCode(context, request, "reset", submission.value.code);
  if (outcome.ok) throw redirect("/reset/password", { status: 303, headers: { "Set-Cookie": outcome.cookie } });
  if (outcome.reason === "no-flow") throw redirect("/forgot-password");
  if (outcome.reason === "throttled") throw throttledResponse(3600);
  return data({ message: codeMessage(outcome), codeErrors: null }, { status: 400 });
}

export default function CheckYourEmail() {
  const { linkMinutes, codeMinutes } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <CodeForm
      heading="Check your email"
      linkMinutes={linkMinutes}
      codeMinutes={codeMinutes}
      message={actionData?.message}
      codeErrors={actionData?.codeErrors}
      startPath="/forgot-password"
    />
  );
}
