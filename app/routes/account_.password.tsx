import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { readForm } from "~/http/forms.server";
import { requireRecentUser, requireUser } from "~/sign-in/auth.server";
import { changePassword } from "~/settings/account-security.server";
import { passwordSettings } from "~/recovery/reset.server";
import { newPasswordSchema } from "~/recovery/schemas";
import { resetRefusal } from "~/recovery/messages";
import { waitMessage } from "~/sign-in/messages";
import { fixedT } from "~/i18n/instance";
import { Field, Notice } from "~/ui/components";
import { NewPasswordFields } from "~/ui/new-password";
import { Trans, useTranslation } from "react-i18next";
import { metaT } from "~/i18n/meta";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("account:meta.password") }];

/**
 * Changing the password while signed in (issue 15). With a password, the current one is the
 * re-authentication (checked and counted like a sign-in); an account without one (passkey only)
 * needs a sign-in from the last 10 minutes, confirmed at its strongest level on /account/confirm.
 */
async function who(request: Request, context: LoaderFunctionArgs["context"]) {
  const found = await requireUser(request, context);
  return found.user.password_hash ? found : requireRecentUser(request, context);
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await who(request, context);
  const { config } = context.services;
  const reported = new URL(request.url).searchParams.get("reported");
  return {
    username: user.username,
    email: user.email,
    appName: config.appName,
    settings: await passwordSettings(context, user),
    history: config.password.history,
    hasPassword: Boolean(user.password_hash),
    reported: reported && /^[A-Z0-9-]{6,20}$/.test(reported) ? reported : null,
  };
}

type Answer = { currentError?: string | null; fieldErrors?: { password?: string[]; confirm?: string[] } | null; suggestions?: string[] };

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, session } = await who(request, context);
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: newPasswordSchema });
  const current = String(form.get("current") ?? "");
  if (user.password_hash && !current) {
    return data<Answer>({ currentError: "account:password.enterCurrent", fieldErrors: null }, { status: 400 });
  }
  if (submission.status !== "success") {
    return data<Answer>({ fieldErrors: { password: submission.error?.password ?? undefined, confirm: submission.error?.confirm ?? undefined } }, { status: 400 });
  }
  const outcome = await changePassword(context, user, session, { current, ...submission.value });
  if (outcome.ok) throw redirect("/account/security?done=password-changed", { status: 303 });
  if (outcome.reason === "current") {
    return data<Answer>(
      // The page's language: our key for a wrong current password, the sign-in wait otherwise.
      { currentError: outcome.status === 400 ? "account:password.notCurrent" : waitMessage(outcome.retryAfter ?? 60, fixedT(context.locale)) },
      { status: outcome.status, headers: outcome.retryAfter ? { "Retry-After": String(outcome.retryAfter) } : undefined },
    );
  }
  const refusal = resetRefusal(outcome, fixedT(context.locale));
  if (refusal.status !== 400) throw data(refusal.message, { status: refusal.status });
  return data<Answer>({ fieldErrors: refusal.fieldErrors, suggestions: refusal.suggestions }, { status: 400 });
}

export default function ChangePassword() {
  const l = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>();
  const { t } = useTranslation();
  // "account:password.enterCurrent" is ours; the current-password refusal of a sign-in (L1's) is a sentence.
  const currentError = a?.currentError ? (a.currentError.startsWith("account:") ? t(a.currentError) : a.currentError) : null;
  return (
    <>
      <h1>{t("account:password.title")}</h1>
      {l.reported ? (
        <Notice kind="warning" title={t("account:password.securing")}>
          <p>
            <Trans i18nKey="account:password.reported" values={{ reference: l.reported }} components={{ strong: <strong /> }} />
          </p>
        </Notice>
      ) : null}
      {a?.fieldErrors || a?.currentError ? (
        <Notice kind="error" title={t("account:password.notChanged")}>
          <p>{t("account:password.seeBelow")}</p>
        </Notice>
      ) : null}
      <ul className="rules">
        <li>{t("account:password.ruleLength", { count: l.settings.minLength })}</li>
        <li>{t("account:password.ruleCommon", { appName: l.appName })}</li>
        {l.history > 0 ? <li>{t("account:password.ruleHistory", { count: l.history })}</li> : null}
        <li>{t("account:password.ruleDevices")}</li>
      </ul>
      <Form method="post" noValidate>
        <input type="text" name="username" autoComplete="username" defaultValue={l.username} hidden readOnly />
        {l.hasPassword ? (
          <Field
            label={t("account:password.current")}
            name="current"
            type="password"
            autoComplete="current-password"
            required
            maxLength={4096}
            errors={currentError ? [currentError] : null}
          />
        ) : null}
        <NewPasswordFields
          settings={l.settings}
          context={{ username: l.username, email: l.email, appName: l.appName }}
          errors={a?.fieldErrors}
          suggestions={a?.suggestions}
        />
        <button type="submit" className="button">
          {t("account:password.submit")}
        </button>
      </Form>
      <p>
        <Link to="/account/security">{t("account:password.back")}</Link>
      </p>
    </>
  );
}
