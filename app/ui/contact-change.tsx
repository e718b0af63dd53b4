import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import { Field, Notice } from "./components";

/** The two steps of a contact change: type the new value, then the code sent to it. */
export function ContactChange(props: {
  kind: "email" | "phone";
  current: string | null;
  pending: string | null;
  /** Catalogue keys ("account:contact.refusal.same-email"), said in the page's language. */
  error?: string | null;
  codeError?: string | null;
  attemptsLeft?: number | null;
}) {
  const { t } = useTranslation();
  const email = props.kind === "email";
  const codeError = props.codeError ? t(props.codeError, { count: props.attemptsLeft ?? 0 }) : null;
  return (
    <>
      <h1>
        {props.current
          ? email
            ? t("account:contact.changeEmail")
            : t("account:contact.changePhone")
          : email
            ? t("account:contact.addEmail")
            : t("account:contact.addPhone")}
      </h1>
      {props.current ? (
        <p className="lead">
          {t("account:contact.now")} <bdi dir="ltr">{props.current}</bdi>
        </p>
      ) : null}
      {codeError && !props.pending ? (
        // The code's last refusal ended the pending change ("too many wrong codes"): say so above the form.
        <Notice kind="error">
          <p>{codeError}</p>
        </Notice>
      ) : null}
      {props.pending ? (
        <>
          <Notice kind="info">
            <p>
              <Trans
                i18nKey={email ? "account:contact.sentEmail" : "account:contact.sentPhone"}
                values={{ value: props.pending }}
                components={{ bdi: <bdi dir="ltr" /> }}
              />
            </p>
          </Notice>
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="verify" />
            <Field
              label={t("account:contact.code")}
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={12}
              errors={codeError ? [codeError] : null}
              required
            />
            <button type="submit" className="button">
              {t("account:contact.confirm")}
            </button>
          </Form>
          <h2>{email ? t("account:contact.wrongEmail") : t("account:contact.wrongPhone")}</h2>
        </>
      ) : null}
      <Form method="post" noValidate>
        <input type="hidden" name="intent" value="start" />
        <Field
          label={email ? t("account:contact.newEmail") : t("account:contact.newPhone")}
          name="value"
          type={email ? "email" : "tel"}
          autoComplete={email ? "email" : "tel"}
          maxLength={320}
          errors={props.error ? [t(props.error)] : null}
          required
        />
        <button type="submit" className={props.pending ? "button button-secondary" : "button"}>
          {t("account:contact.send")}
        </button>
      </Form>
      {props.kind === "phone" ? <p className="hint">{t("account:contact.phoneHint")}</p> : null}
      <p>
        <Link to="/account">{t("account:factors.back")}</Link>
      </p>
    </>
  );
}

/** The page for one kind of contact, fed by its route's loader and action. */
export function contactPage(kind: "email" | "phone") {
  return function ContactChangePage() {
    const l = useLoaderData<{ current: string | null; pending: string | null }>();
    const a = useActionData<{ error: string | null; codeError: string | null; attemptsLeft: number | null }>();
    return <ContactChange kind={kind} current={l.current} pending={l.pending} error={a?.error} codeError={a?.codeError} attemptsLeft={a?.attemptsLeft} />;
  };
}
