import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { staffPasswordStep } from "~/support/staff-auth.server";
import { staffPasswordRefusal } from "~/support/messages";
import { Field, FormError } from "~/ui/components";
import { keepRetryAfter } from "~/http/responses.server";

/** Keeps Retry-After on a throttled or delayed staff sign-in. */
export const headers = keepRetryAfter;

export const meta: MetaFunction = () => [{ title: "Staff sign in | Support console" }];

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const email = String(form.get("email") ?? "").slice(0, 320);
  const password = String(form.get("password") ?? "").slice(0, 4096);
  if (!email || !password) return data({ error: "Enter your email and password." }, { status: 400 });
  const step = await staffPasswordStep(context, email, password);
  if (!step.ok) {
    const refusal = staffPasswordRefusal(step);
    return data({ error: refusal.message }, { status: refusal.status, headers: refusal.retryAfter ? { "Retry-After": String(refusal.retryAfter) } : undefined });
  }
  throw redirect(`/support/${step.then}`, { status: 303, headers: { "Set-Cookie": step.cookie } });
}

export default function StaffLogin() {
  const a = useActionData<typeof action>();
  return (
    <>
      <h1>Support console</h1>
      <p className="lead">Staff sign in with a password and an authenticator app.</p>
      <FormError message={a?.error} />
      <Form method="post" noValidate>
        <Field label="Staff email" name="email" type="email" autoComplete="username" required />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required />
        <button type="submit" className="button">
          Continue
        </button>
      </Form>
    </>
  );
}
