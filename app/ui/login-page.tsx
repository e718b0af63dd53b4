import { Form, Link, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { parseWithZod } from "@conform-to/zod/v4";
import { useForm, type SubmissionResult } from "@conform-to/react";
import { Trans, useTranslation } from "react-i18next";
import { Field, Honeypot, Notice, useMessages } from "./components";
import { PasskeyButton } from "./passkey-button";

/** The sign-in form's rules, checked in the browser and again by the action. */
export const loginSchema = z.object({
  identifier: z.string({ error: "ui:login.identifierRequired" }).trim().min(1, "ui:login.identifierRequired").max(320),
  password: z.string({ error: "ui:login.passwordRequired" }).min(1, "ui:login.passwordRequired").max(1024),
});

export function LoginPage({ lastResult }: { lastResult?: SubmissionResult<string[]> }) {
  const navigation = useNavigation();
  const { t } = useTranslation();
  const messages = useMessages();
  const [form, fields] = useForm({
    lastResult,
    shouldValidate: "onSubmit",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: loginSchema }),
  });
  return (
    <>
      <h1>{t("ui:login.title")}</h1>
      <Form method="post" id={form.id} onSubmit={form.onSubmit} noValidate>
        <Honeypot />
        {form.errors?.length ? (
          <Notice kind="error">
            <p>{messages(form.errors)?.join(" ")}</p>
            <p>
              <Trans i18nKey="ui:login.lockedOut" components={{ unlock: <Link to="/unlock" />, why: <Link to="/help/locked-out" /> }} />
            </p>
          </Notice>
        ) : null}
        <Field
          label={t("ui:login.identifier")}
          name={fields.identifier.name}
          defaultValue={fields.identifier.initialValue as string | undefined}
          errors={messages(fields.identifier.errors)}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
        />
        <Field
          label={t("ui:login.password")}
          name={fields.password.name}
          type="password"
          errors={messages(fields.password.errors)}
          autoComplete="current-password"
          required
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          {t("ui:login.submit")}
        </button>
      </Form>
      <PasskeyButton use="sign-in" label={t("ui:passkey.signIn")} />
      <p>
        <Link to="/forgot-password">{t("ui:login.forgotPassword")}</Link> · <Link to="/forgot-username">{t("ui:login.forgotUsername")}</Link>
      </p>
    </>
  );
}
