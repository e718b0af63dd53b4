import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { totpQr, totpUri } from "~/factors/totp.server";
import { pendingStaff, setupSecret, staffCodeAction } from "~/support/staff-auth.server";
import { Field, FormError } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Set up your authenticator | Support console" }];

/** Staff without an authenticator set one up before they can see anything (always two factors). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const pending = await pendingStaff(request, context);
  if (!pending) throw redirect("/support/login");
  if (pending.staff.totp_confirmed_at) throw redirect("/support/verify");
  // A secret is shown only to the password step it was made for (L12).
  const secret = await setupSecret(context, pending);
  if (!secret) throw redirect("/support/login");
  const uri = totpUri(`${context.services.config.appName} support`, pending.staff.email, secret);
  return { secret, qr: await totpQr(uri) };
}

export const action = ({ request, context }: ActionFunctionArgs) => staffCodeAction(request, context, "setup");

export default function StaffSetup() {
  const { secret, qr } = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  return (
    <>
      <h1>Set up your authenticator app</h1>
      <p className="lead">Support staff always sign in with an authenticator app. Scan this code with it:</p>
      <img src={qr} alt="QR code for your authenticator app" width={220} height={220} />
      <p>
        Or type this key: <code data-testid="totp-secret">{secret}</code>
      </p>
      <FormError message={a?.error} />
      <Form method="post" noValidate>
        <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} hint="The 6 digits the app shows now" required />
        <button type="submit" className="button">
          Confirm and sign in
        </button>
      </Form>
    </>
  );
}
