import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { titleMeta } from "~/ui/recovery";
import { Notice } from "~/ui/components";
import { readDone } from "~/recovery/feedback.server";
import { DoneFeedback, NextTimePanel } from "~/ui/feedback";

export const meta = titleMeta("recovery:done.resetTitle");

/** No automatic sign-in after a reset (SES-01): the customer signs in with the new password. */
/** Only the browser that finished this reset has the signed cookie that fills the panel and the form. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return readDone(context, request, "reset");
}

export default function ResetDone() {
  const done = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("recovery:done.resetHeading")}</h1>
      <Notice kind="success">
        <p>{t("recovery:done.resetSignedOut")}</p>
      </Notice>
      <p>{t("recovery:done.resetEmailed")}</p>
      <p className="actions">
        <Link className="button" to="/login">
          {t("recovery:done.signIn")}
        </Link>
      </p>
      <NextTimePanel items={done.missing} />
      <DoneFeedback feedback={done.feedback} />
    </>
  );
}
