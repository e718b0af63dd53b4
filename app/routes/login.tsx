import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { parseWithZod } from "@conform-to/zod/v4";
import { useForm } from "@conform-to/react";
import { Field, Honeypot, Notice } from "~/ui/components";
import { isBot, readForm } from "~/http/forms.server";
import { getUserSession, signInCookies } from "~/sign-in/auth.server";
import { pendingSignInCookie } from "~/sign-in/pending.server";
import { PasskeyButton } from "~/ui/passkey-button";
import { signIn, type SignInOutcome } from "~/sign-in/sign-in.server";
import { signInRefusal } from "~/sign-in/messages";
import { keepRetryAfter } from "~/http/responses.server";
import { requirePasswordChange } from "~/recovery/reset.server";

/** Keeps Retry-After on a delayed sign-in (RL-02). */
export const headers = keepRetryAfter;

export const meta: MetaFunction = () => [{ title: "Sign in | Account recovery" }];

export const loginSchema = z.object({
  identifier: z.string({ error: "Enter your username or email" }).trim().min(1, "Enter your username or email").max(320),
  password: z.string({ error: "Enter your password" }).min(1, "Enter your password").max(1024),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getUserSession(request, context)) throw redirect("/account");
  const url = new URL(request.url);
  return { notice: url.searchParams.get("notice") === "password-changed" ? "password-changed" : null };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: loginSchema });
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields: ["password"] }) }, { status: 400 });
  // A bot that filled the honeypot gets the ordinary refusal and nothing is checked or counted.
  const outcome: SignInOutcome = isBot(form) ? { ok: false, reason: "failed" } : await signIn(context, submission.value.identifier, submission.value.password);
  if (!outcome.ok) {
    const refusal = signInRefusal(outcome);
    return data(
      { result: submission.reply({ formErrors: [refusal.message], hideFields: ["password"] }) },
      { status: refusal.status, headers: refusal.retryAfter ? { "Retry-After": String(refusal.retryAfter) } : undefined },
    );
  }
  if (!outcome.needsSecondFactor && outcome.changePassword) throw await requirePasswordChange(context, outcome.user, outcome.changePassword);
  if (outcome.needsSecondFactor) {
    throw redirect("/login/verify", { status: 303, headers: { "Set-Cookie": pendingSignInCookie(context, outcome.user) } });
  }
  const headers = new Headers();
  for (const cookie of await signInCookies(request, context, outcome.user)) headers.append("Set-Cookie", cookie);
  throw redirect("/account", { headers });
}

export default function Login() {
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    shouldValidate: "onSubmit",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: loginSchema }),
  });
  return (
    <>
      <h1>Sign in</h1>
      <Form method="post" id={form.id} onSubmit={form.onSubmit} noValidate>
        <Honeypot />
        {form.errors?.length ? (
          <Notice kind="error">
            <p>{form.errors.join(" ")}</p>
            <p>
              Locked out after too many tries? <Link to="/unlock">Unlock your account</Link>.
            </p>
          </Notice>
        ) : null}
        <Field
          label="Username or email"
          name={fields.identifier.name}
          defaultValue={fields.identifier.initialValue as string | undefined}
          errors={fields.identifier.errors}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
        />
        <Field
          label="Password"
          name={fields.password.name}
          type="password"
          errors={fields.password.errors}
          autoComplete="current-password"
          required
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Sign in
        </button>
      </Form>
      <PasskeyButton use="sign-in" label="Sign in with a passkey" />
      <p>
        <Link to="/forgot-password">Forgot your password?</Link> · <Link to="/forgot-username">Forgot your username?</Link>
      </p>
    </>
  );
}
