import { Link } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import { Notice } from "~/ui/components";
import { titleMeta } from "~/ui/recovery";

export const meta = titleMeta("recovery:username.sentTitle");

/** The same page for every request (AR-01): usernames are only ever in the message. */
export default function UsernameSent() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("recovery:username.sentTitle")}</h1>
      <Notice kind="info">
        <p>{t("recovery:username.sentNotice")}</p>
      </Notice>
      <ul className="tips">
        <li>{t("recovery:username.sentSpam")}</li>
        <li>{t("recovery:username.sentNothing")}</li>
      </ul>
      <p className="actions">
        <Link className="button" to="/login">
          {t("recovery:username.signIn")}
        </Link>
        <Link to="/forgot-password">{t("recovery:username.forgotPassword")}</Link>
      </p>
      <p>
        <Trans i18nKey="recovery:username.cantUse" components={{ go: <Link to="/assisted-recovery" /> }} />
      </p>
    </>
  );
}
