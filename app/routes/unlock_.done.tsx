import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import { titleMeta } from "~/ui/recovery";
import { Notice } from "~/ui/components";
import { readDone } from "~/recovery/feedback.server";
import { DoneFeedback, NextTimePanel } from "~/ui/feedback";

export const meta = titleMeta("recovery:done.unlockTitle");

/** Only the browser that finished this unlock has the signed cookie that fills the panel and the form. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return readDone(context, request, "unlock");
}

export default function UnlockDone() {
  const done = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("recovery:done.unlockHeading")}</h1>
      <Notice kind="success">
        <p>{t("recovery:done.unlockNotice")}</p>
      </Notice>
      <p className="actions">
        <Link className="button" to="/login">
          {t("recovery:done.signIn")}
        </Link>
      </p>
      <p>
        <Trans i18nKey="recovery:done.dontRemember" components={{ go: <Link to="/forgot-password" /> }} />
      </p>
      <NextTimePanel items={done.missing} />
      <DoneFeedback feedback={done.feedback} />
    </>
  );
}
