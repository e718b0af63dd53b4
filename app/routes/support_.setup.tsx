import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import QRCode from "qrcode";
import { readForm } from "~/http/forms.server";
import { totpUri } from "~/factors/totp.server";
import { pendingStaff, setupSecret, staffTotpStep } from "~/support/staff-auth.server";
import { Field, Notice } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Set up your authenticator | Support console" }];

/** Staff without an authenticator set one up before they can see anything (always two factors). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = pendingStaff(request, context);
  if (!staff) throw redirect("/support/login");
  if (staff.totp_confirmed_at) throw redirect("/support/verify");
  const secret = setupSecret(context, staff);
  const uri = totpUri(`${context.services.config.appName} support`, staff.email, secret);
  return { secret, qr: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const staff = pendingStaff(request, context);
  if (!staff || staff.totp_confirmed_at) throw redirect("/support/login");
  const form = await readForm(request);
  const cookies = await staffTotpStep(context, request, staff, String(form.get("code") ?? "").slice(0, 16));
  if (!cookies) return data({ error: "That code isn't right. Check the app shows this account and try the newest code." }, { status: 400 });
  const headers = new Headers();
  for (const c of cookies) headers.append("Set-Cookie", c);
  throw redirect("/support", { status: 303, headers });
}

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
      {a?.error ? (
        <Notice kind="error">
          <p>{a.error}</p>
        </Notice>
      ) : null}
      <Form method="post" noValidate>
        <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} hint="The 6 digits the app shows now" required />
        <button type="submit" className="button">
          Confirm and sign in
        </button>
      </Form>
    </>
  );
}
