import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { hasTotp, listPasskeys } from "~/factors/factors.server";
import { checkTypedFactor } from "~/factors/second-step.server";
import { factorRefusal } from "~/factors/messages";
import { markResetFactorPassed, resetAwaitingFactor } from "~/recovery/reset.server";
import { recordEvent } from "~/audit/events.server";
import { SecondFactorForms } from "~/ui/second-factor";

export const meta: MetaFunction = () => [{ title: "One more step | Account recovery" }];

/** After the email or SMS step, an account with stronger factors must use one (MFA-01, MFA-02). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const waiting = await resetAwaitingFactor(request, context);
  if (!waiting) throw redirect("/reset/password");
  const { db } = context.services;
  return { hasTotp: await hasTotp(db, waiting.user.id), hasPasskey: (await listPasskeys(db, waiting.user.id)).length > 0 };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const waiting = await resetAwaitingFactor(request, context);
  if (!waiting) throw data("This page needs a verified link or code. Start again from “Forgot your password?”.", { status: 403 });
  const form = await readForm(request);
  const outcome = await checkTypedFactor(context, waiting.user, String(form.get("intent") ?? ""), String(form.get("value") ?? ""));
  if (!outcome.ok) return data({ error: factorRefusal(outcome) }, { status: 400 });
  await markResetFactorPassed(context, waiting.sessionId);
  await recordEvent(context, { event: "password_reset_second_factor_verified", outcome: "success", userId: waiting.user.id });
  throw redirect("/reset/password", { status: 303 });
}

export default function ResetSecondFactor() {
  const l = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  return (
    <>
      <h1>One more step</h1>
      <p className="lead">Your account is protected by a passkey or an authenticator app. Use it to continue.</p>
      <SecondFactorForms use="reset-factor" hasTotp={l.hasTotp} hasPasskey={l.hasPasskey} error={a?.error} />
    </>
  );
}
