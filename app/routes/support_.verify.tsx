import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { pendingStaff, staffTotpStep } from "~/support/staff-auth.server";
import { Field, Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Authenticator code | Support console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = pendingStaff(request, context);
  if (!staff) throw redirect("/support/login");
  if (!staff.totp_confirmed_at) throw redirect("/support/setup");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const staff = pendingStaff(request, context);
  if (!staff || !staff.totp_confirmed_at) throw redirect("/support/login");
  const form = await readForm(request);
  const cookies = await staffTotpStep(context, request, staff, String(form.get("code") ?? "").slice(0, 16));
  if (!cookies) return data({ error: "That code isn't right, or was already used. Wait for the next code and try again." }, { status: 400 });
  const headers = new Headers();
  for (const c of cookies) headers.append("Set-Cookie", c);
  throw redirect("/support", { status: 303, headers });
}

export default function StaffVerify() {
  const a = useActionData<typeof action>();
  return (
    <>
      <h1>Authenticator code</h1>
      {a?.error ? (
        <Notice kind="error">
          <p>{a.error}</p>
        </Notice>
      ) : null}
      <Form method="post" noValidate>
        <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} hint="6 digits from your authenticator app" required />
        <button type="submit" className="button">
          Sign in
        </button>
      </Form>
    </>
  );
}
