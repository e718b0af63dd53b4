import { Form, Link, useNavigation } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { PolicySettings } from "~/accounts/password-policy";
import { Notice } from "./components";
import { NewPasswordFields } from "./new-password";

export type NewPasswordPageData = {
  username: string;
  email: string;
  appName: string;
  settings: PolicySettings;
  history: number;
  required: string | null;
};

export type NewPasswordAnswer = { fieldErrors?: { password?: string[]; confirm?: string[] } | null; suggestions?: string[] };

/** "Choose a new password": the rules up front, then the fields with their meter. */
export function NewPasswordPage({ l, a }: { l: NewPasswordPageData; a?: NewPasswordAnswer }) {
  const navigation = useNavigation();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("password:page.title")}</h1>
      {l.required === "reported" ? (
        <Notice kind="warning" title={t("password:page.required")}>
          <p>{t("password:page.reported")}</p>
        </Notice>
      ) : l.required === "too_short" ? (
        <Notice kind="warning" title={t("password:page.required")}>
          <p>{t("password:page.tooShort", { min: l.settings.minLength })}</p>
        </Notice>
      ) : null}
      {a?.fieldErrors ? (
        <Notice kind="error" title={t("password:page.refused")}>
          <p>{t("password:page.seeBelow")}</p>
        </Notice>
      ) : null}
      <h2>{t("password:page.yours")}</h2>
      <ul className="rules">
        <li>{t("password:page.ruleLength", { min: l.settings.minLength })}</li>
        <li>{t("password:page.ruleCommon", { appName: l.appName })}</li>
        {l.history > 0 ? <li>{t("password:page.ruleHistory", { n: l.history })}</li> : null}
        <li>{t("password:page.ruleTip")}</li>
      </ul>
      <Form method="post" noValidate>
        {/* Lets password managers save the new password against the right account. */}
        <input type="text" name="username" autoComplete="username" defaultValue={l.username} hidden readOnly />
        <NewPasswordFields
          settings={l.settings}
          context={{ username: l.username, email: l.email, appName: l.appName }}
          errors={a?.fieldErrors}
          suggestions={a?.suggestions}
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          {t("password:page.submit")}
        </button>
      </Form>
      <p>
        <Link to="/assisted-recovery">{t("password:page.help")}</Link>
      </p>
    </>
  );
}
