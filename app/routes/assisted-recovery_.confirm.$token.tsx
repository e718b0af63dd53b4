import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { confirmContact } from "~/tickets/tickets.server";
import { Notice } from "~/ui/components";
import { useTranslation } from "react-i18next";
import { metaT } from "~/i18n/meta";

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("assisted:meta.confirm") }];

const STATUS = { confirmed: 200, invalid: 404, expired: 410, throttled: 429 } as const;

/** Opening the link changes nothing; the button confirms (scanner-safe, like every link here). */
export async function action({ params, context }: ActionFunctionArgs) {
  const outcome = await confirmContact(context, params.token ?? "");
  return data({ ok: outcome === "confirmed", outcome }, { status: STATUS[outcome] });
}

export default function ConfirmContact() {
  const a = useActionData<typeof action>();
  const { t } = useTranslation();
  if (a?.ok) {
    return (
      <>
        <h1>{t("assisted:confirm.thanks")}</h1>
        <Notice kind="success">
          <p>{t("assisted:confirm.confirmed")}</p>
        </Notice>
      </>
    );
  }
  return (
    <>
      <h1>{t("assisted:confirm.title")}</h1>
      {a && !a.ok ? (
        <Notice kind="error">
          <p>
            {a.outcome === "expired"
              ? t("assisted:confirm.expired")
              : a.outcome === "throttled"
                ? t("assisted:confirm.throttled")
                : t("assisted:confirm.invalid")}
          </p>
        </Notice>
      ) : (
        <p className="lead">{t("assisted:confirm.lead")}</p>
      )}
      {a ? null : (
        <Form method="post">
          <button type="submit" className="button">
            {t("assisted:confirm.submit")}
          </button>
        </Form>
      )}
      <p>
        <Link to="/">{t("assisted:backToStart")}</Link>
      </p>
    </>
  );
}
