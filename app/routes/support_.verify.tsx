import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { pendingStaff, staffCodeAction } from "~/support/staff-auth.server";
import { Field, FormError } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Authenticator code | Support console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const pending = await pendingStaff(request, context);
  if (!pending) throw redirect("/support/login");
  if (!pending.staff.totp_confirmed_at) throw redirect("/support/setup");
  return null;
}

export const action = ({ request, context }: ActionFunctionArgs) => staffCodeAction(request, context, "verify");

export default function StaffVerify() {
  const a = useActionData<typeof action>();
  return (
    <>
      <h1>Authenticator code</h1>
      <FormError message={a?.error} />
      <Form method="post" noValidate>
        <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} hint="6 digits from your authenticator app" required />
        <button type="submit" className="button">
          Sign in
        </button>
      </Form>
    </>
  );
}
