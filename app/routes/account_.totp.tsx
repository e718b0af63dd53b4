import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireRecentUser } from "~/sign-in/auth.server";
import { confirmTotp, hasTotp, startTotpSetup } from "~/factors/factors.server";
import { totpQr } from "~/factors/totp.server";
import { Field, FormError } from "~/ui/components";

export const meta: MetaFunction = () => [{ title: "Set up an authenticator app | Account recovery" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireRecentUser(request, context);
  if (await hasTotp(context.services.db, user.id)) throw redirect("/account/security");
  const { secret, uri } = await startTotpSetup(context, user);
  return { secret, qr: await totpQr(uri) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, session } = await requireRecentUser(request, context);
  const form = await readForm(request);
  const ok = await confirmTotp(context, user, String(form.get("code") ?? "").slice(0, 16), session.id);
  if (!ok) return data({ error: "That code isn't right. Check the app shows this account and type the newest code." }, { status: 400 });
  throw redirect("/account/security", { status: 303 });
}

export default function TotpSetup() {
  const { secret, qr } = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  return (
    <>
      <h1>Set up an authenticator app</h1>
      <ol className="tips">
        <li>Open an authenticator app (for example Google Authenticator, Microsoft Authenticator, 1Password or Aegis).</li>
        <li>Scan this code, or type the key below.</li>
        <li>Type the 6-digit code the app shows.</li>
      </ol>
      <img src={qr} alt="QR code for your authenticator app" width={220} height={220} />
      <p>
        Key: <code data-testid="totp-secret">{secret}</code>
      </p>
      <FormError message={a?.error} />
      <Form method="post" noValidate>
        <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} required />
        <button type="submit" className="button">
          Turn on
        </button>
      </Form>
      <p>
        <Link to="/account/security">Cancel</Link>
      </p>
    </>
  );
}
