import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { readForm } from "~/http/forms.server";
import { completeReset, passwordSettings } from "~/recovery/reset.server";
import { requireHold } from "~/recovery/journey.server";

import { newPasswordSchema } from "~/recovery/schemas";
import { HOLD_REFUSAL, resetRefusal } from "~/recovery/messages";
import { Notice } from "~/ui/components";
import { NewPasswordFields } from "~/ui/new-password";

export const meta: MetaFunction = () => [{ title: "Choose a new password | Account recovery" }];

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
  const outcome = await completeReset(context, request, submission.value);
  if (outcome.ok) throw redirect("/reset/done", { status: 303, headers: { "Set-Cookie": outcome.clearCookie } });
  const refusal = resetRefusal(outcome);
  if (refusal.status !== 400) throw data(refusal.message, { status: refusal.status });
  return data({ fieldErrors: refusal.fieldErrors, suggestions: refusal.suggestions }, { status: 400 });
}

export default function ChooseNewPassword() {
  const l = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  const navigation = useNavigation();
  return (
    <>
      <h1>Choose a new password</h1>
      {l.required === "reported" ? (
        <Notice kind="warning" title="Choose a new password to continue">
          <p>After the report that someone else used your account, your old password can't be used to sign in any more.</p>
        </Notice>
      ) : l.required === "too_short" ? (
        <Notice kind="warning" title="Choose a new password to continue">
          <p>Your password was short enough only while your account had a second sign-in step. Without one, it needs at least {l.settings.minLength} characters.</p>
        </Notice>
      ) : null}
      {a?.fieldErrors ? (
        <Notice kind="error" title="That password can't be used">
          <p>See the reason below the box.</p>
        </Notice>
      ) : null}
      <h2>Your new password</h2>
      <ul className="rules">
        <li>At least {l.settings.minLength} characters. Spaces, symbols and any language are welcome; there are no other rules.</li>
        <li>Not a common password, and not your username, email address or {l.appName}.</li>
        {l.history > 0 ? <li>Not one of your last {l.history} passwords.</li> : null}
        <li>Tip: three or four unrelated words make a strong password you can remember.</li>
      </ul>
      <Form method="post" noValidate>
        {/* Lets password managers save the new password against the right account. */}
        <input type="text" name="username" autoComplete="username" defaultValue={l.username} hidden readOnly />
        <NewPasswordFields
          settings={l.settings}
          context={{ username: l.username, email: l.email, appName: l.appName }}
          errors={a?.fieldErrors}
          suggestions={a?.suggestions}
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Set new password
        </button>
      </Form>
      <p>
        <Link to="/assisted-recovery">Need help?</Link>
      </p>
    </>
  );
}
