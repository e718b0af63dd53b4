import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { readForm } from "~/http/forms.server";
import { completeReset, passwordSettings } from "~/recovery/reset.server";
import { requireHold } from "~/recovery/journey.server";
import { newPasswordSchema } from "~/recovery/schemas";
import { HOLD_REFUSAL, resetRefusal } from "~/recovery/messages";
import { NewPasswordPage } from "~/ui/new-password-page";
import { titleMeta } from "~/ui/recovery";
import { fixedT } from "~/i18n/instance";
import { doneCookie } from "~/recovery/feedback.server";

export const meta = titleMeta("password:page.title");

/** Reachable only with a verified reset hold; anything else is refused (TOK-12, MFA-01). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const check = await requireHold(context, request, "reset", "password");
  if (!check.ok && check.reason === "elsewhere" && check.step === "second-factor") throw redirect("/reset/second-factor");
  if (!check.ok) throw data(HOLD_REFUSAL.reset, { status: 403 });
  const current = check.hold;
  const { config } = context.services;
  return {
    username: current.user.username,
    email: current.user.email,
    appName: config.appName,
    settings: await passwordSettings(context, current.user),
    history: config.password.history,
    required: new URL(request.url).searchParams.get("required"),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: newPasswordSchema });
  if (submission.status !== "success") {
    return data(
      { fieldErrors: { password: submission.error?.password ?? undefined, confirm: submission.error?.confirm ?? undefined }, suggestions: [] as string[] },
      { status: 400 },
    );
  }
  // What the done page may show this browser (issue 15), read from the hold before it is consumed.
  const before = await requireHold(context, request, "reset", "password");
  const done = before.ok ? await doneCookie(context, before.hold, "reset") : null;
  const outcome = await completeReset(context, request, submission.value);
  if (outcome.ok) {
    const headers = new Headers([["Set-Cookie", outcome.clearCookie]]);
    if (done) headers.append("Set-Cookie", done);
    throw redirect("/reset/done", { status: 303, headers });
  }
  const refusal = resetRefusal(outcome, fixedT(context.locale));
  if (refusal.status !== 400) throw data(refusal.message, { status: refusal.status });
  return data({ fieldErrors: refusal.fieldErrors, suggestions: refusal.suggestions }, { status: 400 });
}

export default function ChooseNewPassword() {
  return <NewPasswordPage l={useLoaderData<typeof loader>()} a={useActionData<typeof action>()} />;
}
