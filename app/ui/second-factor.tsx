import { Form, Link } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import { Field, Notice, translateMessage } from "./components";
import { PasskeyButton } from "./passkey-button";

/** The choices for a second factor: passkey, authenticator code, or a saved recovery code. */
export function SecondFactorForms(props: {
  use: "login-factor" | "reset-factor";
  hasTotp: boolean;
  hasPasskey: boolean;
  error?: string | null;
}) {
  const { t } = useTranslation();
  return (
    <>
      {props.error ? (
        <Notice kind="error">
          <p>{translateMessage(t, props.error)}</p>
        </Notice>
      ) : null}
      {props.hasPasskey ? <PasskeyButton use={props.use} label={t("ui:passkey.factor")} className="button" /> : null}
      {props.hasTotp ? (
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="totp" />
          <Field
            label={t("ui:factor.codeLabel")}
            name="value"
            id="factor-code"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={8}
            hint={t("ui:factor.codeHint")}
            dir="ltr"
            required
          />
          <button type="submit" className="button">
            {t("ui:factor.continue")}
          </button>
        </Form>
      ) : null}
      <details className="more-ways">
        <summary>{t("ui:factor.recoverySummary")}</summary>
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="recovery" />
          <Field
            label={t("ui:factor.recoveryLabel")}
            name="value"
            id="factor-recovery-code"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={64}
            hint={t("ui:factor.recoveryHint")}
            dir="ltr"
            required
          />
          <button type="submit" className="button button-secondary">
            {t("ui:factor.recoverySubmit")}
          </button>
        </Form>
      </details>
      <h2>{t("ui:factor.lostAll")}</h2>
      <p>
        <Trans
          i18nKey="ui:factor.lostText"
          components={{ help: <Link to="/assisted-recovery?reason=lost-factor" />, article: <Link to="/help/lost-authenticator" /> }}
        />
      </p>
    </>
  );
}
