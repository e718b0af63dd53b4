import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import { Notice } from "~/ui/components";
import { requireUser } from "~/sign-in/auth.server";
import { metaT } from "~/i18n/meta";
import { pageDate, usePageLocale } from "~/ui/locale-date";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("account:meta.account") }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user, session } = await requireUser(request, context);
  const changed = new URL(request.url).searchParams.get("changed");
  return {
    changed: changed === "email" || changed === "phone" ? changed : null,
    username: user.username,
    email: user.email,
    emailVerified: user.email_verified === 1,
    phone: user.phone,
    phoneVerified: user.phone_verified === 1,
    passwordChangedAt: user.password_changed_at ? new Date(user.password_changed_at).toISOString() : null,
    signedInAt: new Date(session.authenticated_at).toISOString(),
  };
}

export default function Account() {
  const a = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const locale = usePageLocale();
  const badge = (verified: boolean) =>
    verified ? <span className="badge">{t("account:home.verified")}</span> : <span className="badge badge-warn">{t("account:home.notVerified")}</span>;
  return (
    <>
      <h1>{t("account:home.title")}</h1>
      <p className="lead">
        <Trans i18nKey="account:home.signedInAs" values={{ username: a.username }} components={{ strong: <strong data-testid="username" /> }} />
      </p>
      {a.changed ? (
        <Notice kind="success">
          <p>{a.changed === "email" ? t("account:home.changedEmail") : t("account:home.changedPhone")}</p>
        </Notice>
      ) : null}
      <h2>{t("account:home.contactDetails")}</h2>
      <dl className="details">
        <dt>{t("account:home.email")}</dt>
        <dd>
          <bdi dir="ltr">{a.email}</bdi> {badge(a.emailVerified)} <Link to="/account/email">{t("account:home.changeEmail")}</Link>
        </dd>
        <dt>{t("account:home.phone")}</dt>
        <dd>
          {a.phone ? (
            <>
              <bdi dir="ltr">{a.phone}</bdi> {badge(a.phoneVerified)}
            </>
          ) : (
            t("account:home.none")
          )}{" "}
          <Link to="/account/phone">{a.phone ? t("account:home.changePhone") : t("account:home.addPhone")}</Link>
        </dd>
        <dt>{t("account:home.passwordChanged")}</dt>
        <dd>
          {a.passwordChangedAt ? (
            <time dateTime={a.passwordChangedAt}>{pageDate(locale, Date.parse(a.passwordChangedAt))}</time>
          ) : (
            t("account:home.neverSet")
          )}
        </dd>
      </dl>
      <h2>{t("account:home.protection")}</h2>
      <p>
        <Link to="/account/security">{t("account:home.securityLink")}</Link>
      </p>
      <Form method="post" action="/logout">
        <button type="submit" className="button button-secondary">
          {t("account:home.signOut")}
        </button>
      </Form>
    </>
  );
}
