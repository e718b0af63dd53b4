import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { requireUser, safeNext, startUserSession } from "~/sign-in/auth.server";
import { signIn } from "~/sign-in/sign-in.server";
import { signInRefusal } from "~/sign-in/messages";
import { fixedT } from "~/i18n/instance";
import { Field, FormError } from "~/ui/components";
import { hasSecondFactor, listPasskeys } from "~/factors/factors.server";
import { PasskeyButton } from "~/ui/passkey-button";
import { checkTypedFactor } from "~/factors/second-step.server";
import { useTranslation } from "react-i18next";
import { metaT } from "~/i18n/meta";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("account:meta.confirm") }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context);
  const { db } = context.services;
  return {
    username: user.username,
    next: safeNext(new URL(request.url).searchParams.get("next")),
    needsCode: await hasSecondFactor(db, user.id),
    hasPasskey: (await listPasskeys(db, user.id)).length > 0,
  };
}

/** Re-authentication before a sensitive change; success issues a fresh session id (SES-03). */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context);
  const form = await readForm(request);
  const next = safeNext(String(form.get("next") ?? ""));
  const password = String(form.get("password") ?? "").slice(0, 4096);
  const outcome = await signIn(context, user.username, password);
  if (!outcome.ok || outcome.user.id !== user.id) {
    const refusal = outcome.ok ? { status: 400 as const, message: "account:confirm.wrongPassword" } : signInRefusal(outcome, fixedT(context.locale));
    return data({ error: refusal.message }, { status: refusal.status });
  }
  // Re-authentication at the account's strongest level (MFA-06): with a second factor, the
  // password needs an authenticator or recovery code (or the passkey button replaces both).
  if (await hasSecondFactor(context.services.db, user.id)) {
    const code = String(form.get("code") ?? "");
    const factor = await checkTypedFactor(context, user, /^\d{6}$/.test(code.trim()) ? "totp" : "recovery", code.trim());
    if (!factor.ok) return data({ error: `account:confirm.factor.${factor.reason}` }, { status: 400 });
  }
  throw redirect(next, { status: 303, headers: { "Set-Cookie": await startUserSession(request, context, outcome.user) } });
}

export default function ConfirmPassword() {
  const { username, next, needsCode, hasPasskey } = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("account:confirm.title")}</h1>
      <p className="lead">{hasPasskey ? t("account:confirm.leadPasskey") : t("account:confirm.lead")}</p>
      {/* Ours are catalogue keys; a sign-in refusal (app/sign-in/messages.ts) may be a key or a sentence. */}
      <FormError message={a?.error ? (/^[a-z][a-zA-Z]*:[\w.-]+$/.test(a.error) ? t(a.error) : a.error) : null} />
      {hasPasskey ? <PasskeyButton use="reauth" next={next} label={t("account:confirm.withPasskey")} className="button" /> : null}
      <Form method="post" noValidate>
        <input type="hidden" name="next" value={next} />
        <input type="text" name="username" autoComplete="username" defaultValue={username} hidden readOnly />
        <Field label={t("account:confirm.password")} name="password" type="password" autoComplete="current-password" required />
        {needsCode ? (
          <Field label={t("account:confirm.code")} name="code" autoComplete="one-time-code" maxLength={64} hint={t("account:confirm.codeHint")} required />
        ) : null}
        <button type="submit" className="button">
          {t("account:confirm.submit")}
        </button>
      </Form>
    </>
  );
}
