import { Link } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import { titleMeta } from "~/ui/recovery";

export const meta = titleMeta("recovery:chooser.title");

export default function Chooser() {
  const { t } = useTranslation();
  const choices = [
    { to: "/forgot-password", title: t("recovery:chooser.password.title"), text: t("recovery:chooser.password.text") },
    { to: "/forgot-username", title: t("recovery:chooser.username.title"), text: t("recovery:chooser.username.text") },
    { to: "/unlock", title: t("recovery:chooser.unlock.title"), text: t("recovery:chooser.unlock.text") },
    { to: "/assisted-recovery", title: t("recovery:chooser.assisted.title"), text: t("recovery:chooser.assisted.text") },
  ];
  return (
    <>
      <h1>{t("recovery:chooser.title")}</h1>
      <p className="lead">{t("recovery:chooser.lead")}</p>
      <ul className="choices">
        {choices.map((c) => (
          <li key={c.to}>
            <Link to={c.to} className="choice">
              <span className="choice-title">{c.title}</span>
              <span className="choice-text">{c.text}</span>
            </Link>
          </li>
        ))}
      </ul>
      <p>
        <Trans i18nKey="recovery:chooser.remembered" components={{ go: <Link to="/login" /> }} />
      </p>
    </>
  );
}
