import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { readForm } from "~/http/forms.server";
import { proveNewContact } from "~/support/new-contact.server";
import { Field, Notice } from "~/ui/components";
import { useTranslation } from "react-i18next";
import { metaT } from "~/i18n/meta";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("assisted:meta.newContact") }];

const WRONG = "assisted:newContact.wrong";
const THROTTLED = "assisted:newContact.throttled";

/**
 * Issue 14: support replaced a lost email address or phone number for a ticket; the customer types
 * the ticket reference and the code sent to the new contact, which is saved only then. One answer
 * for a wrong reference and a wrong code.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const outcome = await proveNewContact(context, String(form.get("reference") ?? ""), String(form.get("code") ?? ""));
  if (outcome.ok) return data({ ok: true as const, kind: outcome.kind, message: "" });
  return outcome.reason === "throttled"
    ? data({ ok: false as const, kind: null, message: THROTTLED }, { status: 429 })
    : data({ ok: false as const, kind: null, message: WRONG }, { status: 400 });
}

export default function NewContact() {
  const a = useActionData<typeof action>();
  const { t } = useTranslation();
  if (a?.ok) {
    return (
      <>
        <h1>{t("assisted:newContact.savedTitle")}</h1>
        <Notice kind="success">
          <p>{a.kind === "email" ? t("assisted:newContact.savedEmail") : t("assisted:newContact.savedPhone")}</p>
        </Notice>
        <p>
          <Link to="/forgot-password">{t("assisted:newContact.reset")}</Link> · <Link to="/login">{t("assisted:newContact.signIn")}</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <h1>{t("assisted:newContact.title")}</h1>
      <p className="lead">{t("assisted:newContact.lead")}</p>
      {a && !a.ok ? (
        <Notice kind="error">
          <p>{t(a.message)}</p>
        </Notice>
      ) : null}
      <Form method="post">
        <Field
          label={t("assisted:newContact.reference")}
          name="reference"
          hint={t("assisted:newContact.referenceHint")}
          autoComplete="off"
          autoCapitalize="characters"
          maxLength={32}
          required
        />
        <Field label={t("assisted:newContact.code")} name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={12} required />
        <button type="submit" className="button">
          {t("assisted:newContact.confirm")}
        </button>
      </Form>
      <p>
        <Link to="/">{t("assisted:backToStart")}</Link>
      </p>
    </>
  );
}
