import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireRecentUser } from "~/sign-in/auth.server";
import { confirmTotp, hasTotp, startTotpSetup } from "~/factors/factors.server";
import { totpQr } from "~/factors/totp.server";
import { Field, FormError } from "~/ui/components";
import { useTranslation } from "react-i18next";
import { metaT } from "~/i18n/meta";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("account:meta.totp") }];

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
  if (!ok) return data({ error: "account:totp.wrong" }, { status: 400 });
  throw redirect("/account/security", { status: 303 });
}

export default function TotpSetup() {
  const { secret, qr } = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("account:totp.title")}</h1>
      <ol className="tips">
        <li>{t("account:totp.step1")}</li>
        <li>{t("account:totp.step2")}</li>
        <li>{t("account:totp.step3")}</li>
      </ol>
      <img src={qr} alt={t("account:totp.qrAlt")} width={220} height={220} />
      <p>
        {t("account:totp.key")}{" "}
<code data-testid="totp-secret">{secret}</code>
      </p>
      <FormError message={a?.error ? t(a.error) : null} />
      <Form method="post" noValidate>
        <Field label={t("account:totp.code")} name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} required />
        <button type="submit" className="button">
          {t("account:totp.turnOn")}
        </button>
      </Form>
      <p>
        <Link to="/account/security">{t("account:totp.cancel")}</Link>
      </p>
    </>
  );
}
